// The synthetic data sets against their definitions (closed form, Monte-Carlo moments).
#include <catch2/catch.hpp>

#include <cmath>

#include "core/data/generators.hpp"
#include "core/data/random.hpp"
#include "ntk/sdk/error.hpp"

using namespace ntk::core;
using namespace ntk::core::data;

TEST_CASE("bump: y = exp(-|x|^2), x uniform in [-1,1]^2", "[data][generators]") {
  const arma::uword n = 20000;
  const Dataset d = bump(n, 11);
  REQUIRE(d.x.n_rows == 2);
  REQUIRE(d.x.n_cols == n);
  REQUIRE(d.y.n_rows == 1);
  CHECK(d.labels.is_empty());
  CHECK(d.x.min() >= -1.0);
  CHECK(d.x.max() < 1.0);
  const arma::rowvec expected = arma::exp(-arma::sum(arma::square(d.x), 0));
  CHECK(arma::abs(d.y - expected).max() < 1e-15);
  // Uniform on [-1,1]: mean 0 (sd 1/sqrt(3n)), variance 1/3 (sd of the estimate ≈ 0.3/sqrt(n)).
  const double tol_mean = 5.0 / std::sqrt(3.0 * n);
  CHECK(std::abs(arma::mean(d.x.row(0))) < tol_mean);
  CHECK(std::abs(arma::mean(d.x.row(1))) < tol_mean);
  CHECK(std::abs(arma::mean(arma::square(d.x.row(0))) - 1.0 / 3.0) < 5 * 0.3 / std::sqrt(n));
  // E[y] = (∫_{-1}^{1} e^{-t²} dt / 2)² = (√π erf(1) / 2)².
  const double mean_y = std::pow(std::sqrt(M_PI) * std::erf(1.0) / 2.0, 2);
  CHECK(std::abs(arma::mean(d.y.row(0)) - mean_y) < 5 * arma::stddev(d.y.row(0)) / std::sqrt(n));

  CHECK(arma::approx_equal(bump(n, 11).x, d.x, "absdiff", 0.0));
  CHECK_FALSE(arma::approx_equal(bump(n, 12).x, d.x, "absdiff", 0.0));
  CHECK_THROWS_WITH(bump(0, 1), Catch::Contains("bump()"));
}

TEST_CASE("sphere: unit norms, mean 0, second moment I/d", "[data][generators]") {
  for (arma::uword d : {1u, 3u, 10u}) {
    const arma::uword n = 20000;
    const Dataset s = sphere(n, d, 5);
    REQUIRE(s.x.n_rows == d);
    REQUIRE(s.x.n_cols == n);
    CHECK(arma::abs(arma::sqrt(arma::sum(arma::square(s.x), 0)) - 1.0).max() < 1e-12);
    // Each coordinate has mean 0 and variance 1/d: its sample mean has sd 1/sqrt(d n).
    CHECK(arma::abs(arma::mean(s.x, 1)).max() < 5.0 / std::sqrt(double(d) * n));
    // E[x xᵀ] = I/d by symmetry; entries of the estimate have sd at most 1/(d sqrt(n)) · O(1).
    const arma::mat second = s.x * s.x.t() / double(n);
    CHECK(arma::abs(second - arma::eye(d, d) / double(d)).max() < 5.0 / std::sqrt(double(n)));
    // E[x_1⁴] = 3/(d(d+2)) on the sphere; this separates it from other rotation-symmetric-looking
    // laws such as a normalised uniform cube, which share the first two moments.
    const arma::rowvec fourth = arma::pow(s.x.row(0), 4);
    CHECK(std::abs(arma::mean(fourth) - 3.0 / (d * (d + 2.0))) <
          5 * arma::stddev(fourth) / std::sqrt(double(n)) + 1e-15);
    CHECK(arma::approx_equal(sphere(n, d, 5).x, s.x, "absdiff", 0.0));
  }
  CHECK_THROWS_WITH(sphere(10, 0, 1), Catch::Contains("dimension d"));
}

TEST_CASE("Random: permutations and unbiased indices", "[data][generators]") {
  Random r(1);
  std::vector<arma::uword> p = r.permutation(1000);
  std::vector<arma::uword> sorted = p;
  std::sort(sorted.begin(), sorted.end());
  for (arma::uword i = 0; i < 1000; ++i) REQUIRE(sorted[i] == i);
  CHECK(p != sorted);
  // Chi-square test of index(7) over 70,000 draws (6 degrees of freedom; 30 is p ≈ 4e-5).
  std::vector<double> count(7, 0);
  for (int i = 0; i < 70000; ++i) ++count[r.index(7)];
  double chi2 = 0;
  for (double c : count) chi2 += (c - 10000) * (c - 10000) / 10000;
  CHECK(chi2 < 30);
  // Box–Muller normals: mean 0, variance 1.
  arma::vec z(100000);
  for (auto& v : z) v = r.normal();
  CHECK(std::abs(arma::mean(z)) < 5.0 / std::sqrt(1e5));
  CHECK(std::abs(arma::var(z) - 1.0) < 5.0 * std::sqrt(2.0 / 1e5));
}
