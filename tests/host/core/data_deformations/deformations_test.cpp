// Image deformations (core/data/deformations.hpp): translations against hand-shifted images,
// bilinear interpolation, the amplitude and smoothness of random fields, seeding, refusals.
#include <catch2/catch.hpp>

#include "core/data/deformations.hpp"
#include "ntk/sdk/error.hpp"

namespace data = ntk::core::data;

TEST_CASE("integer translations move pixels and fill with zeros", "[data_deformations]") {
  const ntk::sdk::ImageShape shape{2, 4, 5};
  arma::arma_rng::set_seed(41);
  const arma::mat x = arma::randu(40, 3);
  const arma::mat t = data::translate(x, shape, 1.0, -2.0);  // down 1, left 2
  for (arma::uword j = 0; j < 3; ++j)
    for (arma::uword c = 0; c < 2; ++c)
      for (arma::uword h = 0; h < 4; ++h)
        for (arma::uword w = 0; w < 5; ++w) {
          const long long sh = static_cast<long long>(h) - 1, sw = static_cast<long long>(w) + 2;
          const bool inside = sh >= 0 && sw < 5;
          const double want = inside ? x(c * 20 + arma::uword(sh) * 5 + arma::uword(sw), j) : 0.0;
          CHECK(t(c * 20 + h * 5 + w, j) == Approx(want).margin(1e-15));
        }
  CHECK(arma::approx_equal(data::translate(x, shape, 0, 0), x, "absdiff", 0));
  // Half a pixel to the right averages each pixel with its left neighbour.
  const arma::mat half = data::translate(x, shape, 0, 0.5);
  CHECK(half(7, 0) == Approx(0.5 * (x(6, 0) + x(7, 0))));
}

TEST_CASE("random fields have amplitude alpha, are smooth and seeded", "[data_deformations]") {
  const data::DisplacementField f = data::random_field(28, 28, 3.0, 4.0, 7);
  const arma::mat length = arma::sqrt(arma::square(f.rows) + arma::square(f.cols));
  CHECK(length.max() == Approx(3.0).epsilon(1e-12));
  // Smoothed with σ = 4 pixels: neighbours move nearly together.
  const double step = std::max(arma::abs(arma::diff(f.rows, 1, 0)).max(),
                               arma::abs(arma::diff(f.cols, 1, 1)).max());
  CHECK(step < 0.5 * 3.0);
  const data::DisplacementField again = data::random_field(28, 28, 3.0, 4.0, 7);
  CHECK(arma::approx_equal(f.rows, again.rows, "absdiff", 0));
  const data::DisplacementField other = data::random_field(28, 28, 3.0, 4.0, 8);
  CHECK(arma::abs(other.rows - f.rows).max() > 0.1);
  const data::DisplacementField zero = data::random_field(5, 6, 0.0, 2.0, 1);
  CHECK(arma::abs(zero.rows).max() == 0.0);
}

TEST_CASE("deform: alpha 0 is the identity, columns get their own fields", "[data_deformations]") {
  const ntk::sdk::ImageShape shape{1, 12, 12};
  arma::mat x(144, 2, arma::fill::zeros);
  x.submat(40, 0, 100, 1).fill(1.0);
  CHECK(arma::approx_equal(data::deform(x, shape, 0.0, 3.0, 1), x, "absdiff", 1e-15));
  const arma::mat d = data::deform(x, shape, 2.0, 3.0, 1);
  CHECK(arma::abs(d.col(0) - d.col(1)).max() > 1e-3);
  CHECK(arma::approx_equal(data::deform(x, shape, 2.0, 3.0, 1), d, "absdiff", 0));
  CHECK(arma::norm(d - x, "fro") > 0.1);
}

TEST_CASE("deformations refuse bad input", "[data_deformations]") {
  const arma::mat x(10, 1, arma::fill::ones);
  CHECK_THROWS_WITH(data::translate(x, {1, 3, 3}, 1, 1), Catch::Contains("C*H*W = 9"));
  CHECK_THROWS_WITH(data::deform(arma::mat(9, 1, arma::fill::ones), {1, 3, 3}, -1, 2, 0),
                    Catch::Contains("alpha = -1"));
  CHECK_THROWS_WITH(data::random_field(3, 3, 1, 0, 0), Catch::Contains("smoothness = 0"));
  CHECK_THROWS_WITH(data::warp(arma::mat(9, 1, arma::fill::ones), {1, 3, 3}, arma::mat(2, 3),
                               arma::mat(3, 3)),
                    Catch::Contains("2 x 3"));
}
