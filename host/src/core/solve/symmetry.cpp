#include "core/solve/symmetry.hpp"

#include <algorithm>
#include <cmath>

#include "ntk/sdk/error.hpp"

namespace ntk::core::solve {

void check_symmetric(const char* fn, const arma::mat& K, double tolerance) {
  const arma::uword n = K.n_rows;
  if (K.n_cols != n)
    throw_error(fn, ": the kernel must be square, got ", K.n_rows, " x ", K.n_cols);
  constexpr arma::uword block = 64;
  for (arma::uword jb = 0; jb < n; jb += block) {
    const arma::uword je = std::min(n, jb + block);
    for (arma::uword ib = jb; ib < n; ib += block) {
      const arma::uword ie = std::min(n, ib + block);
      for (arma::uword j = jb; j < je; ++j)
        for (arma::uword i = std::max(ib, j); i < ie; ++i) {
          const double lower = K(i, j), upper = K(j, i);
          if (!std::isfinite(lower) || !std::isfinite(upper))
            throw_error(fn, ": the kernel has a non-finite entry at (", i + 1, ", ", j + 1, ")");
          if (std::abs(lower - upper) > tolerance * (std::abs(lower) + std::abs(upper)) + 1e-300)
            throw_error(fn, ": the kernel is not symmetric: K(", i + 1, ", ", j + 1, ") = ", lower,
                        " but K(", j + 1, ", ", i + 1, ") = ", upper);
        }
    }
  }
}

}  // namespace ntk::core::solve
