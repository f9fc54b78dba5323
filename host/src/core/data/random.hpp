// Seeded random numbers for the data engine, identical on every platform and thread count.
//
// The standard distributions (std::uniform_int_distribution, std::normal_distribution,
// std::shuffle) are implementation-defined, so the same seed could give different data sets
// with another standard library. These helpers fix the algorithms on top of std::mt19937_64,
// whose output sequence the C++ standard does specify.
#pragma once

#include <armadillo>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

namespace ntk::core::data {

class Random {
 public:
  explicit Random(std::uint64_t seed) : engine_(seed) {}

  // Uniform on [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

  // Uniform on [lo, hi).
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }

  // Uniform integer in {0, ..., n-1} (n ≥ 1), without modulo bias (rejection sampling).
  std::uint64_t index(std::uint64_t n) {
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    std::uint64_t r;
    do r = engine_();
    while (r >= limit);
    return r % n;
  }

  // Standard normal by the Box–Muller transform (one value per call, the sine half cached).
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = 1.0 - uniform();  // (0, 1]: log(u1) is finite
    const double u2 = uniform();
    const double radius = std::sqrt(-2.0 * std::log(u1));
    spare_ = radius * std::sin(2.0 * M_PI * u2);
    has_spare_ = true;
    return radius * std::cos(2.0 * M_PI * u2);
  }

  // A uniformly random permutation of 0..n-1 (Fisher–Yates).
  std::vector<arma::uword> permutation(arma::uword n) {
    std::vector<arma::uword> p(n);
    std::iota(p.begin(), p.end(), arma::uword{0});
    for (arma::uword i = n; i > 1; --i) std::swap(p[i - 1], p[index(i)]);
    return p;
  }

 private:
  std::mt19937_64 engine_;
  double spare_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace ntk::core::data
