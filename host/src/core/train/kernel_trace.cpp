#include "core/train/kernel_trace.hpp"

#include <cmath>

#include "ntk/sdk/error.hpp"

namespace ntk::core::train {

double kernel_distance(const arma::mat& a, const arma::mat& b) {
  if (a.n_rows != b.n_rows || a.n_cols != b.n_cols)
    throw_error("kernel_distance(): kernels are ", a.n_rows, " x ", a.n_cols, " and ", b.n_rows,
                " x ", b.n_cols, "; they must have the same shape");
  const double na = arma::norm(a, "fro"), nb = arma::norm(b, "fro");
  if (!(na > 0) || !(nb > 0) || !std::isfinite(na) || !std::isfinite(nb))
    throw_error("kernel_distance(): Frobenius norms are ", na, " and ", nb,
                "; both kernels must be finite and non-zero");
  // Scale before the product so huge kernels do not overflow.
  const double cosine = arma::accu((a / na) % (b / nb));
  return 1.0 - cosine;
}

void KernelTrace::add(arma::uword step, arma::mat kernel) {
  if (!steps.empty() && step <= steps.back())
    throw_error("KernelTrace::add(): snapshot step ", step, " is not after the last one (",
                steps.back(), ")");
  if (steps.empty()) {
    distance_from_init.push_back(0.0);
    velocity.push_back(0.0);
  } else {
    distance_from_init.push_back(kernel_distance(snapshots.front(), kernel));
    velocity.push_back(kernel_distance(snapshots.back(), kernel) / double(step - steps.back()));
  }
  steps.push_back(step);
  snapshots.push_back(std::move(kernel));
}

}  // namespace ntk::core::train
