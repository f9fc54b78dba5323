// Kernel recorders: how far the empirical NTK moves during training.
//
// A snapshot is net.ntk(probe, probe), the n_p × n_p empirical NTK (averaged over outputs) on a
// fixed probe set, taken every `snapshot_every` steps. Two summaries (Fort et al. 2020,
// "Deep learning versus kernel learning"):
//   kernel distance  S(Θ_s, Θ_t) = 1 − ⟨Θ_s, Θ_t⟩_F / (‖Θ_s‖_F ‖Θ_t‖_F)
//     (0 for kernels that are positive multiples of each other, 1 for orthogonal ones);
//   kernel velocity  v_j = S(Θ_{s_{j−1}}, Θ_{s_j}) / (s_j − s_{j−1}),
//     the distance between consecutive snapshots per gradient-descent step (divide by the
//     learning rate η for a rate per unit of gradient-flow time t = η · steps).
#pragma once

#include <armadillo>
#include <vector>

#include "ntk/sdk/inputs.hpp"
#include "ntk/sdk/network.hpp"

namespace ntk::core::train {

// 1 − ⟨a, b⟩_F / (‖a‖_F ‖b‖_F). Throws ntk::Error for different shapes or a zero kernel.
double kernel_distance(const arma::mat& a, const arma::mat& b);

struct KernelTrace {
  std::vector<arma::uword> steps;       // step of each snapshot (0 = initialisation)
  std::vector<arma::mat> snapshots;     // Θ on the probe set at those steps
  std::vector<double> distance_from_init;  // S(Θ_0, Θ_s) per snapshot (first entry 0)
  std::vector<double> velocity;         // per step between consecutive snapshots (first entry 0)

  bool empty() const { return steps.empty(); }
  // Appends a snapshot taken at `step` (steps must increase) and its distance and velocity.
  void add(arma::uword step, arma::mat kernel);
};

}  // namespace ntk::core::train
