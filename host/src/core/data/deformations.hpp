// Image deformations for stability experiments (Bietti & Mairal 2019, Figure 1 and 2):
// seeded smooth random displacement fields and translations, applied to images stored as
// columns flattened channel-major (C, H, W).
//
// A displacement field τ moves the content of an image: the result is
//   x'(c, u) = x(c, u − τ(u)),
// read with bilinear interpolation between the four nearest pixels, pixels outside the image
// being 0 (the MNIST background). u = (row, column) in pixel units.
//
// Random fields follow the elastic distortions of Simard et al. 2003 (which the Infinite
// MNIST deformations of Loosli et al. 2007 build on): each component is i.i.d. uniform on
// [−1, 1] per pixel, smoothed by a Gaussian of standard deviation `smoothness` pixels
// (normalised convolution, truncated at 3σ), then scaled so that the largest displacement
// length over the image is exactly `alpha` pixels. α is the deformation amplitude.
#pragma once

#include <armadillo>
#include <cstdint>

#include "ntk/sdk/inputs.hpp"

namespace ntk::core::data {

// x'(c, u) = x(c, u − τ(u)) for every column; rows and cols are H × W displacement
// components (down, right) in pixels. Refuses a row count other than C·H·W, fields of the
// wrong size, non-finite values.
arma::mat warp(const arma::mat& x, const sdk::ImageShape& shape, const arma::mat& rows,
               const arma::mat& cols);

// Shifts every column by `down` rows and `right` columns (sub-pixel shifts interpolate).
arma::mat translate(const arma::mat& x, const sdk::ImageShape& shape, double down, double right);

struct DisplacementField {
  arma::mat rows, cols;  // H × W
};

// The random field of one image: alpha ≥ 0 (0 gives the zero field), smoothness > 0.
DisplacementField random_field(arma::uword height, arma::uword width, double alpha,
                               double smoothness, std::uint64_t seed);

// Each column j deformed by its own field random_field(H, W, alpha, smoothness, seed_j), with
// seed_j = SplitMix64 of (seed, j): the same seed gives the same deformations on any run.
arma::mat deform(const arma::mat& x, const sdk::ImageShape& shape, double alpha,
                 double smoothness, std::uint64_t seed);

}  // namespace ntk::core::data
