// Composable kernel rules over a KernelState, in the neural-tangents stax convention.
//
// An architecture's analytic kernel is a fold of rules over the input kernel, the way
// stax.serial folds kernel_fn's. A depth-2 ReLU network, for example:
//
//   using namespace ntk::sdk::layers;
//   KernelState s = input_kernel(a, b, &a == &b, /*track_ntk=*/true);      // Σ = x·x'/d
//   apply_rules(s, {dense(w, b), relu(), dense(w, b), relu(), dense(w, b)});
//   finish(s);                        // mirrors the triangle of a symmetric state
//   // s.nngp, s.ntk are the n1 × n2 NNGP and NTK
//
// Rules:
//   dense(W, b)    Σ ← W²Σ + b²,  Θ ← Σ_new + W²Θ                  (NTK parametrisation)
//   dense(W, b, standard, N)
//                  Σ ← W²Σ + b²,  Θ ← fan_in·Σ_old + W²Θ + 1       (standard parametrisation,
//                  Sohl-Dickstein et al. 2020), fan_in = the state's `width`; the layer's out
//                  width N becomes the next layer's fan-in, as in NT's Dense(N, …, 'standard').
//   relu(), erf()  closed forms of layers_elementwise.hpp; they require a Gaussian state
//                  (an affine rule before them), as neural-tangents does.
//   residual_start(), residual_sum(alpha)
//                  a residual block x ↦ x + α·branch(x) around the rules between them
//                  (neural-tangents' FanOut(2), parallel(branch, Identity), FanInSum, with the
//                  branch's output scaled by α): residual_start saves the state, residual_sum
//                  makes Σ ← Σ_saved + α²Σ, Θ ← Θ_saved + α²Θ (the identity and the branch are
//                  uncorrelated at infinite width: the branch ends in a zero-mean layer of
//                  its own weights, so their kernels add). Blocks may nest. The sum is Gaussian
//                  when both parts are (NT's FanInSum).
//
// apply_rules() fuses consecutive rules: for each column of the kernel it carries a cache-sized
// chunk of entries through every rule before writing it back, so a whole network costs one
// pass over the n1 × n2 matrix (plus O(n·depth) for the variances). Columns run in parallel
// (OpenMP); a symmetric state touches only its upper triangle. The pass itself lives in
// layers_fused.hpp, so that other drivers (layers_tiled.hpp) can feed it their own columns.
#pragma once

#include <armadillo>
#include <string>
#include <vector>

#include "kernel_state.hpp"
#include "layers_elementwise.hpp"
#include "progress_counter.hpp"
#include "ntk/sdk/activation.hpp"
#include "ntk/sdk/layer.hpp"

namespace ntk::sdk {
namespace layers {

// Kinds beyond the first five (SDK 3): `activation` runs any ntk::sdk::Activation's array maps
// (relu and erf keep their own kinds, the vectorised closed forms); `layer_norm` is
// Σ ← Σ/√(Σ11Σ22), Θ ← Θ/√(Σ11Σ22), variances ← 1 (neural-tangents' LayerNorm over features).
struct Rule {
  enum class Kind { dense, relu, erf, residual_start, residual_sum, activation, layer_norm };
  Kind kind = Kind::dense;
  double w_std = 1, b_std = 0;                         // dense only
  double alpha = 1;                                    // residual_sum only: branch scale α
  Parametrization parametrization = Parametrization::ntk;  // dense only
  double out_width = 0;  // dense, standard parametrisation: the width N of this layer's output
  bool trainable = true;  // dense only: false drops the layer's own NTK term (Θ ← W²Θ)
  ActivationPtr activation;  // activation only
  // Who emitted the rule ("layer 3 (Dense(W_std=1, b_std=0))"): non-finite values are reported
  // with the label of the rule where they first appeared. Empty: name() is used.
  std::string label;

  std::string name() const;  // e.g. "Dense(W_std=1, b_std=0)", "Relu", "FanInSum(alpha=0.5)"
};

Rule dense(double w_std, double b_std, Parametrization parametrization = Parametrization::ntk,
           double out_width = 0);
Rule relu();
Rule erf();
// Any activation; relu and erf given this way take the same code path as relu()/erf().
Rule activation(ActivationPtr activation);
Rule layer_norm();
Rule residual_start();
// Refuses (ntk::Error) a non-finite alpha.
Rule residual_sum(double alpha);

// The input kernel Σ(x, x') = x·x'/d between the columns of a (d × n1) and b (d × n2),
// Θ = 0, width = d. With `symmetric` (a and b are the same examples) it computes only the
// upper triangle with one BLAS syrk. Refuses (ntk::Error) mismatched rows, zero rows and
// kernels that would not fit in memory (with the estimate), before allocating.
// With `allow_scale`, inputs beyond about 1e±120 are divided by a power of two first and the
// state carries it in log2_scale (and allow_log_scale is set: the caller resolves it).
KernelState input_kernel(const arma::mat& a, const arma::mat& b, bool symmetric,
                         bool track_ntk, const std::string& caller = "input_kernel()",
                         bool allow_scale = false);

// The pieces of input_kernel() for engines that form the Gram matrix themselves (the float32
// block driver, layers_tiled.hpp). input_prescale: the power of two e by which allow_scale
// divides inputs beyond about 1e±120 (0 when none is needed). input_variances: the input state
// without its n1 × n2 matrix — flags, width d and the variances Σ(x·2^-e)²/d, refused where
// they underflow; with e ≠ 0 it carries 2^2e in log2_scale (allow_log_scale set).
int input_prescale(const arma::mat& a, const arma::mat& b, bool symmetric);
KernelState input_variances(const arma::mat& a, const arma::mat& b, bool symmetric,
                            bool track_ntk, const std::string& caller, int prescale = 0);

// Applies `rules` in order. With keep_nngp = false the NNGP is not kept: the NTK is written
// over the NNGP's storage (state.ntk takes it, state.nngp is left empty), so a network's NTK
// costs a single n1 × n2 matrix. A NaN or infinity in the result throws ntk::Error naming the
// rule (its label) where it first appeared and the entry: each chunk is checked once at the
// end of the fused pass and, only if it went bad, replayed rule by rule from its input.
// `progress` hears of each finished column (weighted by its entries), from OpenMP thread 0.
void apply_rules(KernelState& state, const std::vector<Rule>& rules, bool keep_nngp = true,
                 const ProgressSpan& progress = {});
inline void apply_rule(KernelState& state, const Rule& rule) { apply_rules(state, std::vector<Rule>{rule}); }

// Multiplies the state's kernels and variances by 2^log2_scale and sets the scale to 0, when
// the true values are doubles; otherwise throws ntk::Error naming where they left the double
// range (KernelState::scale_left_at). apply_rules() calls it unless state.allow_log_scale.
void resolve_scale(KernelState& state, const std::string& caller);
// The same without the error: returns false (and changes nothing) when the true values are not
// doubles. With `caller`, throws instead of returning false.
bool try_resolve_scale(KernelState& state, const std::string* caller = nullptr);

// Copies the upper triangle of a square matrix over its lower triangle, in place (blocked).
void mirror_upper(arma::mat& m);

// Makes a symmetric state's matrices whole (mirror_upper on nngp and ntk); no-op otherwise.
// After finish() the state is no longer marked symmetric.
void finish(KernelState& state);

}  // namespace layers
}  // namespace ntk::sdk
