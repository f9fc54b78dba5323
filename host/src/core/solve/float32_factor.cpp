#include "core/solve/float32_factor.hpp"

#include <algorithm>

#include "core/solve/lapack_float32.hpp"

namespace ntk::core::solve::float32_factor {
namespace {

// Panel width of the blocked solves: the sgemm updates read a (n − j) × 256 panel of the factor.
constexpr int kPanel = 256;

}  // namespace

void solve_with_factor(const arma::fmat& factor, arma::fmat& B) {
  const int n = static_cast<int>(factor.n_rows), k = static_cast<int>(B.n_cols);
  if (n == 0 || k == 0) return;
  const float one = 1.0f, minus_one = -1.0f;
  const float* L = factor.memptr();
  float* X = B.memptr();
  const auto at = [n](int i, int j) { return static_cast<std::size_t>(i) + static_cast<std::size_t>(j) * n; };
  // L y = b, panel by panel: the diagonal block by strsm, then the rows below it.
  for (int jb = 0; jb < n; jb += kPanel) {
    const int w = std::min(kPanel, n - jb), below = n - jb - w;
    strsm_("L", "L", "N", "N", &w, &k, &one, L + at(jb, jb), &n, X + jb, &n, 1, 1, 1, 1);
    if (below > 0)
      sgemm_("N", "N", &below, &k, &w, &minus_one, L + at(jb + w, jb), &n, X + jb, &n, &one,
             X + jb + w, &n, 1, 1);
  }
  // Lᵀ x = y from the last panel up: a panel's rows take the solved rows below it first.
  for (int ib = ((n - 1) / kPanel) * kPanel; ib >= 0; ib -= kPanel) {
    const int w = std::min(kPanel, n - ib), below = n - ib - w;
    if (below > 0)
      sgemm_("T", "N", &w, &k, &below, &minus_one, L + at(ib + w, ib), &n, X + ib + w, &n, &one,
             X + ib, &n, 1, 1);
    strsm_("L", "L", "T", "N", &w, &k, &one, L + at(ib, ib), &n, X + ib, &n, 1, 1, 1, 1);
  }
}

InverseNormEstimator::InverseNormEstimator(arma::uword n)
    : n_(static_cast<int>(n)), v_(n), x_(n), sign_(n) {
  slacn2_(&n_, v_.data(), x_.data(), sign_.data(), &estimate_, &kase_, isave_);  // kase_ = 1
}

void InverseNormEstimator::solved() {
  // A is symmetric: A⁻ᵀ x (kase 2) is A⁻¹ x (kase 1), so both requests took the same solve.
  ++solves_;
  slacn2_(&n_, v_.data(), x_.data(), sign_.data(), &estimate_, &kase_, isave_);
}

}  // namespace ntk::core::solve::float32_factor
