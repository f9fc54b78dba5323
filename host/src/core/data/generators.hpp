// Synthetic data sets, seeded and deterministic (data/random.hpp).
#pragma once

#include <cstdint>

#include "core/data/dataset.hpp"

namespace ntk::core::data {

// The 2-D Gaussian bump, the toy regression set of the σ-sweep experiments: x uniform in
// [-1, 1]² (x is 2 × n), y = exp(-‖x‖²) (1 × n); no labels.
Dataset bump(arma::uword n, std::uint64_t seed);

// n points uniform on the unit sphere S^{d-1} ⊂ R^d (x is d × n): normalised standard Gaussian
// vectors, whose direction is uniform by rotation invariance. No targets.
Dataset sphere(arma::uword n, arma::uword d, std::uint64_t seed);

}  // namespace ntk::core::data
