// Distributed kernels and solves over the ranks of `mpirun -np R ntklab run SCRIPT` (issue 16),
// on ScaLAPACK. Every function here is collective: every rank calls it, in the same order, with
// the same arguments (checked where it is cheap: the inputs' fingerprints). In a build without
// MPI each one throws an ntk::Error that says so (distributed_none.cpp).
//
// Results that are small (α: n × k; predictions: k × m; eigenvalues) come back on every rank,
// so an SPMD script goes on without branching on its rank; only rank 0 writes them
// (lua/mpi.cpp). n × n matrices stay distributed.
#pragma once

#include <armadillo>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/distributed/distributed_matrix.hpp"
#include "ntk/sdk/architecture.hpp"

namespace ntk::core::distributed {

struct DistributeOptions {
  GridShape grid;         // {0, 0}: the most square grid of all ranks
  arma::uword block = 0;  // 0: default_block
  bool float32 = false;
};

// The kernel of a and b (`ntk` or else NNGP) in block-cyclic layout; each rank computes only
// its own blocks, from the inputs of its rows and columns. same = the same inputs on both
// sides: the lower triangle is computed and mirrored (distributed_matrix.hpp). Errors (on every
// rank): fewer than 2 ranks, a grid that is not the ranks or does not fit the matrix, inputs
// that differ between ranks, a non-finite entry (its global position).
DistributedMatrix distributed_kernel(const sdk::Architecture& arch, const sdk::Inputs& a,
                                     const sdk::Inputs& b, bool same, bool ntk,
                                     const DistributeOptions& options);

// The whole matrix on rank 0 (an empty matrix on the others), checked against rank 0's memory
// limit: for tests and small matrices.
arma::mat gather(const DistributedMatrix& m);

// The fingerprint of inputs (for the mismatch check and for distributed_kernel's record).
std::uint64_t inputs_fingerprint(const sdk::Inputs& in);

struct DistributedRidgeOptions {
  // float32 kernels: iterative refinement as in ridge_float32.hpp.
  double tolerance = 1e-10;
  int max_steps = 20;
  double max_residual = 1e-6;
  bool estimate_condition = true;  // float64: pdpocon's 1-norm estimate
  // false: leave the factor in K's lower triangle and mark K consumed (K.factorised), saving
  // the restore (a second exchange of half the matrix); later uses of K are errors.
  bool keep_kernel = true;
};

struct DistributedRidgeSolution {
  arma::mat alpha;  // n × k, on every rank
  std::string method;  // "scalapack_cholesky" | "scalapack_cholesky_float32_refined"
  double condition_number = std::numeric_limits<double>::quiet_NaN();
  double residual = std::numeric_limits<double>::quiet_NaN();  // ‖Yᵀ − (K + λI)α‖_F / ‖Y‖_F
  int refinement_steps = 0;
  std::vector<double> residual_history;
  struct {  // wall seconds of the phases
    double factorisation = 0, solve = 0, residual = 0, condition = 0, restore = 0, total = 0;
  } seconds;
};

// α = (K + λI)⁻¹Yᵀ by p?potrf / p?potrs on K's lower triangle, in K's own memory; K is restored
// (its lower triangle from the upper one, the diagonal from a saved copy) before returning, also
// when it throws. Y: k × n, the same on every rank (checked). A failed factorisation names the
// column and the ridge that would help.
DistributedRidgeSolution distributed_ridge(DistributedMatrix& K, const arma::mat& Y, double ridge,
                                           const DistributedRidgeOptions& options = {});

// (K_test · α)ᵀ: k × m, on every rank, from an m × n distributed test kernel and α (n × k).
arma::mat distributed_predict(const DistributedMatrix& K_test, const arma::mat& alpha);

// The spectral solver (spectral.hpp) on a distributed kernel: one p?syevd, K = V diag(λ) Vᵀ with
// V distributed like K; every query is two products with V (Vᵀy and V·c), summed over the ranks.
class DistributedSpectral {
 public:
  // K (n × n, symmetric) is used as pdsyevd's workspace and restored. Y: k × n targets; u0:
  // k × n outputs at t = 0 (empty: zeros).
  DistributedSpectral(DistributedMatrix& K, const arma::mat& Y, const arma::mat& u0 = {});
  ~DistributedSpectral();
  DistributedSpectral(const DistributedSpectral&) = delete;
  DistributedSpectral& operator=(const DistributedSpectral&) = delete;

  const arma::vec& eigenvalues() const;  // ascending, on every rank
  double tolerance() const;
  arma::mat ridge_alpha(double ridge) const;          // n × k
  arma::mat ridge_train_predictions(double ridge) const;  // k × n, K·α
  arma::mat train_predictions(double t) const;        // k × n, u(t)
  arma::mat flow_alpha(double t) const;               // n × k: f_t(x) = f_0(x) + K(x, X)·flow_alpha
  double residual_norm2(double t) const;
  double loss(double t) const;                        // residual_norm2 / (2n)
  arma::uword num_train() const;
  arma::uword num_outputs() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace ntk::core::distributed
