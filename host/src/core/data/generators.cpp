#include "core/data/generators.hpp"

#include <cmath>

#include "core/data/random.hpp"
#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::data {

Dataset bump(arma::uword n, std::uint64_t seed) {
  if (n == 0) throw_error("bump(): n must be at least 1");
  sdk::check_allocation("bump(): the 2 x n inputs", 3, static_cast<double>(n));
  Random random(seed);
  Dataset out;
  out.x.set_size(2, n);
  out.y.set_size(1, n);
  for (arma::uword j = 0; j < n; ++j) {
    out.x(0, j) = random.uniform(-1.0, 1.0);
    out.x(1, j) = random.uniform(-1.0, 1.0);
    out.y(0, j) = std::exp(-(out.x(0, j) * out.x(0, j) + out.x(1, j) * out.x(1, j)));
  }
  return out;
}

Dataset sphere(arma::uword n, arma::uword d, std::uint64_t seed) {
  if (n == 0) throw_error("sphere(): n must be at least 1");
  if (d < 1) throw_error("sphere(): dimension d must be at least 1 (points on S^{d-1} in R^d)");
  sdk::check_allocation("sphere(): the d x n inputs", static_cast<double>(d),
                        static_cast<double>(n));
  Random random(seed);
  Dataset out;
  out.x.set_size(d, n);
  for (arma::uword j = 0; j < n; ++j) {
    double norm2;
    do {  // a zero vector has probability 0, but a draw must never divide by it
      norm2 = 0;
      for (arma::uword i = 0; i < d; ++i) {
        out.x(i, j) = random.normal();
        norm2 += out.x(i, j) * out.x(i, j);
      }
    } while (norm2 == 0.0);
    out.x.col(j) /= std::sqrt(norm2);
  }
  return out;
}

}  // namespace ntk::core::data
