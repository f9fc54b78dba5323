// The in-place float32 ridge solver with iterative refinement (ridge_float32.hpp) against the
// float64 solver on the same (float32-valued) kernel, its refusals, and the restored kernel.
#include <catch2/catch.hpp>

#include <armadillo>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <omp.h>

#include "core/solve/float32_kernel.hpp"
#include "core/solve/kernel_ridge.hpp"
#include "core/solve/ridge_float32.hpp"
#include "ntk/sdk/error.hpp"

using namespace ntk::core::solve;
using Catch::Matchers::Contains;

namespace {

// Gaussian (RBF) kernel of random points (d = 10), exactly symmetric, in float32.
arma::fmat rbf_kernel(arma::uword n, unsigned seed) {
  arma::arma_rng::set_seed(seed);
  const arma::mat x = arma::randn(10, n);
  const arma::rowvec norms = arma::sum(arma::square(x), 0);
  arma::mat distances = -2.0 * x.t() * x;
  distances.each_col() += norms.t();
  distances.each_row() += norms;
  return arma::conv_to<arma::fmat>::from(arma::symmatu(arma::mat(arma::exp(-distances / 20.0))));
}

// Q diag(μ) Qᵀ with μ log-spaced from 1 to 1/condition (2-norm condition number `condition`).
arma::fmat conditioned_kernel(arma::uword n, double condition, unsigned seed) {
  arma::arma_rng::set_seed(seed);
  arma::mat Q, R;
  arma::qr_econ(Q, R, arma::randn(n, n));
  const arma::vec mu = arma::logspace(0, -std::log10(condition), n);
  return arma::conv_to<arma::fmat>::from(arma::symmatu(arma::mat(Q * arma::diagmat(mu) * Q.t())));
}

// The float64 truth on the same float32 values.
arma::mat float64_alpha(const arma::fmat& K, const arma::mat& Y, double ridge) {
  RidgeOptions options;
  options.on_warning = [](const std::string&) {};
  return kernel_ridge(arma::conv_to<arma::mat>::from(K), Y, ridge, options).alpha;
}

double relative_error(const arma::mat& a, const arma::mat& b) {
  return arma::norm(a - b, "fro") / arma::norm(b, "fro");
}

bool bit_identical(const arma::fmat& a, const arma::fmat& b) {
  return arma::size(a) == arma::size(b) &&
         std::memcmp(a.memptr(), b.memptr(), a.n_elem * sizeof(float)) == 0;
}

std::string error_of(arma::fmat& K, const arma::mat& Y, double ridge,
                     const Float32RidgeOptions& options = {}) {
  try {
    kernel_ridge_float32(K, Y, ridge, options);
  } catch (const ntk::Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("float32 ridge with refinement matches the float64 solve", "[solve][float32]") {
  const arma::uword n = 700;  // several 256-tiles and a partial one
  arma::fmat K = rbf_kernel(n, 1);
  const arma::fmat original = K;
  arma::arma_rng::set_seed(2);
  const arma::mat Y = arma::randn(10, n);  // k = 10, as one-hot MNIST targets
  for (double ridge : {1e-1, 1e-2, 1e-3}) {
    CAPTURE(ridge);
    const Float32RidgeSolution s = kernel_ridge_float32(K, Y, ridge);
    CHECK(bit_identical(K, original));
    CHECK(s.kernel_restored);
    CHECK(s.method == "cholesky_float32_refined");
    CHECK(s.alpha.n_rows == n);
    CHECK(s.alpha.n_cols == 10);
    CHECK(relative_error(s.alpha, float64_alpha(K, Y, ridge)) < 1e-9);
    CHECK(s.residual <= 1e-10);
    CHECK(s.refinement_steps >= 1);  // one float32 solve alone is about 1e-4 off
    CHECK(s.residual_history.size() == static_cast<std::size_t>(s.refinement_steps) + 1);
    CHECK(s.residual_history.front() > 1e-7);
    CHECK(s.warnings.empty());
    // The reported residual, recomputed with the full float64 matrix.
    arma::mat A = arma::conv_to<arma::mat>::from(K);
    A.diag() += ridge;
    const double recomputed = arma::norm(Y.t() - A * s.alpha, "fro") / arma::norm(Y, "fro");
    CHECK(std::abs(s.residual - recomputed) < 1e-12);
    // The condition estimate is within a factor n of the exact 2-norm condition number.
    const double exact = arma::cond(A);
    CHECK(s.condition_number > exact / n);
    CHECK(s.condition_number < exact * n);
  }
}

TEST_CASE("several ridges on one float32 kernel equal solves on fresh copies", "[solve][float32]") {
  const arma::uword n = 500;
  arma::fmat K = rbf_kernel(n, 3);
  arma::arma_rng::set_seed(4);
  const arma::mat Y = arma::randn(3, n);
  std::vector<arma::mat> reused;
  for (double ridge : {1e-3, 1e-1, 1.0}) reused.push_back(kernel_ridge_float32(K, Y, ridge).alpha);
  int j = 0;
  for (double ridge : {1e-3, 1e-1, 1.0}) {
    arma::fmat fresh = rbf_kernel(n, 3);
    const arma::mat alpha = kernel_ridge_float32(fresh, Y, ridge).alpha;
    // The same operations on the same bits, in the same order whatever the threads.
    CHECK(arma::approx_equal(reused[j++], alpha, "absdiff", 0));
  }
}

TEST_CASE("float32 interpolation and prediction", "[solve][float32]") {
  const arma::uword n = 400, m = 300;
  arma::fmat full = rbf_kernel(n + m, 5);
  arma::fmat K = full.submat(0, 0, n - 1, n - 1);
  const arma::fmat K_test = full.submat(n, 0, n + m - 1, n - 1);
  arma::arma_rng::set_seed(6);
  const arma::mat Y = arma::randn(2, n);
  // λ = 0 on an RBF kernel of 400 points in 10-d: condition about 1e5 in float32 terms.
  const Float32RidgeSolution s = interpolate_float32(K, Y);
  CHECK(relative_error(s.alpha, float64_alpha(K, Y, 0.0)) < 1e-9);
  const arma::mat predictions = predict_float32(K_test, s.alpha);
  CHECK(arma::size(predictions) == arma::size(2, m));
  const arma::mat direct = (arma::conv_to<arma::mat>::from(K_test) * s.alpha).t();
  // Interpolation coefficients are large and cancel (|K_test||alpha| is ~1e4 times the
  // predictions): the two float64 sums may differ by rounding of that size, not more.
  const double scale =
      arma::norm(arma::abs(arma::conv_to<arma::mat>::from(K_test)) * arma::abs(s.alpha), "fro");
  CHECK(arma::norm(predictions - direct, "fro") < 1e-14 * scale);
  // The training predictions reproduce Y to the residual.
  CHECK(relative_error(predict_float32(K, s.alpha), Y) < 1e-9);
  CHECK_THROWS_WITH(predict_float32(K_test.cols(0, n - 2), s.alpha),
                    Contains("predict_float32()") && Contains("300 x 399"));
}

TEST_CASE("an indefinite float32 kernel: the pivot error, K unchanged", "[solve][float32]") {
  const arma::uword n = 300;
  arma::fmat K = rbf_kernel(n, 7);
  K.diag() -= 0.5f;  // eigenvalues down to about -0.5: clearly indefinite
  const arma::fmat original = K;
  const arma::mat Y = arma::ones(1, n);
  const std::string message = error_of(K, Y, 0.0);
  CHECK_THAT(message, Contains("kernel_ridge_float32()") && Contains("not positive definite") &&
                          Contains("spotrf) failed at column") && Contains("the pivot is -") &&
                          Contains("lambda of about") && Contains("float64"));
  CHECK(bit_identical(K, original));
  // The suggested ridge is at least the pivot's size; a ridge above -λmin then solves it.
  const Float32RidgeSolution s = kernel_ridge_float32(K, Y, 1.0);
  CHECK(s.residual <= 1e-10);
  CHECK(bit_identical(K, original));
}

TEST_CASE("an ill-conditioned float32 kernel is refused with its condition estimate",
          "[solve][float32]") {
  // 2-norm condition 3e7: float32 refinement stalls (measured), spocon's estimate is ~8e8.
  arma::fmat K = conditioned_kernel(400, 3e7, 8);
  const arma::fmat original = K;
  arma::arma_rng::set_seed(9);
  const arma::mat Y = arma::randn(2, 400);
  const std::string message = error_of(K, Y, 0.0);
  CHECK_THAT(message, Contains("too ill-conditioned") && Contains("condition number about") &&
                          Contains("larger ridge") && Contains("float64"));
  CHECK(bit_identical(K, original));
  // The same kernel with a moderate condition number solves (and the suggestion holds: a ridge
  // of 2|K|_1/max_condition or more brings the estimate under the limit).
  Float32RidgeOptions strict;
  strict.max_condition = 1e3;
  arma::fmat moderate = conditioned_kernel(400, 1e2, 8);
  CHECK_THAT(error_of(moderate, Y, 0.0, strict), Contains("too ill-conditioned"));
  CHECK(kernel_ridge_float32(moderate, Y, 0.0).residual <= 1e-10);
}

TEST_CASE("a non-finite float32 kernel is refused naming the first entry", "[solve][float32]") {
  arma::fmat K = rbf_kernel(200, 10);
  K(4, 6) = arma::datum::nan;      // (5, 7) 1-based
  K(199, 2) = arma::datum::inf;    // (200, 3): earlier in column-major order
  const arma::fmat original = K;
  const std::string message = error_of(K, arma::ones(1, 200), 0.1);
  CHECK_THAT(message, Contains("non-finite entry K(200, 3) = inf"));
  CHECK(bit_identical(K, original));
  K(199, 2) = original(2, 199);
  CHECK_THAT(error_of(K, arma::ones(1, 200), 0.1), Contains("K(5, 7) = nan"));
}

TEST_CASE("float32 ridge: symmetry, keep_kernel, zero targets, arguments, memory plan",
          "[solve][float32]") {
  const arma::uword n = 300;
  const arma::fmat original = rbf_kernel(n, 11);
  const arma::mat Y = arma::randn(2, n);
  SECTION("a nearly symmetric kernel: warning, the lower triangle becomes the upper one") {
    arma::fmat K = original;
    K(20, 3) *= 1.000001f;
    std::vector<std::string> sink;
    Float32RidgeOptions options;
    options.on_warning = [&sink](const std::string& m) { sink.push_back(m); };
    const Float32RidgeSolution s = kernel_ridge_float32(K, Y, 0.01, options);
    REQUIRE(sink.size() == 1);
    CHECK_THAT(sink[0], Contains("not exactly symmetric") && Contains("(21, 4)"));
    CHECK(bit_identical(K, original));
    K(20, 3) *= 1.01f;
    CHECK_THAT(error_of(K, Y, 0.01), Contains("not symmetric: K(21, 4)"));
    // One bit in the far corner, and +0 against -0: found by the symmetry hashes.
    for (const bool zeros : {false, true}) {
      const arma::uword row = zeros ? 150 : 299;
      K = original;
      if (zeros) {
        K(row, 0) = -0.0f;
        K(0, row) = 0.0f;
      } else {
        K(row, 0) = std::nextafter(K(row, 0), 1.0f);
      }
      sink.clear();
      kernel_ridge_float32(K, Y, 1.0, options);  // λ = 1 keeps the zeroed pair positive definite
      REQUIRE(sink.size() == 1);
      CHECK_THAT(sink[0], Contains("(" + std::to_string(row + 1) + ", 1)"));
    }
  }
  SECTION("keep_kernel = false leaves the factor in the lower triangle") {
    arma::fmat K = original;
    Float32RidgeOptions options;
    options.keep_kernel = false;
    const Float32RidgeSolution s = kernel_ridge_float32(K, Y, 0.01, options);
    CHECK_FALSE(s.kernel_restored);
    CHECK(s.residual <= 1e-10);
    CHECK(arma::approx_equal(arma::trimatu(K, 1), arma::trimatu(original, 1), "absdiff", 0));
    CHECK_FALSE(bit_identical(K, original));
  }
  SECTION("zero targets give zero coefficients") {
    arma::fmat K = original;
    const Float32RidgeSolution s = kernel_ridge_float32(K, arma::zeros(3, n), 0.01);
    CHECK(s.residual == 0);
    CHECK(arma::all(arma::vectorise(s.alpha) == 0));
  }
  SECTION("bad arguments") {
    arma::fmat K = original;
    CHECK_THAT(error_of(K, arma::randn(2, n + 1), 0.1), Contains("targets Y are 2 x 301"));
    CHECK_THAT(error_of(K, Y, -1.0), Contains("ridge must be a finite number >= 0"));
    arma::fmat rectangular(3, 4, arma::fill::ones);
    CHECK_THAT(error_of(rectangular, arma::randn(1, 4), 0.1), Contains("square"));
  }
  SECTION("the memory plan refuses before allocating, with the numbers") {
    arma::fmat K = original;
    setenv("NTKLAB_MAX_BYTES", "1000", 1);
    const std::string message = error_of(K, Y, 0.1);
    unsetenv("NTKLAB_MAX_BYTES");
    CHECK_THAT(message, Contains("besides the 300 x 300 float32 kernel") && Contains("needs") &&
                            Contains("saved diagonal") && Contains("NTKLAB_MAX_BYTES = 1e-06 GB"));
    CHECK(bit_identical(K, original));
    const MemoryPlan plan = ridge_float32_memory_plan(60000, 10);
    CHECK(plan.total() > 7 * 8 * 60000.0 * 10);
    CHECK(plan.total() < 100e6);  // besides the 14.4 GB kernel, well under 1 %
  }
}

TEST_CASE("float32 kernel residual: float64 truth, the same bits for any thread count",
          "[solve][float32]") {
  // n = 600: two full 256-tiles and a partial one; k = 14: one block of 12 outputs and one of 2.
  const arma::uword n = 600, k = 14;
  arma::fmat K = rbf_kernel(n, 12);
  arma::arma_rng::set_seed(13);
  const arma::mat X = arma::randn(n, k), B = arma::randn(n, k);
  const arma::vec diagonal = arma::conv_to<arma::vec>::from(K.diag());
  // The lower triangle must not be read: fill it with what the factor would leave (garbage).
  arma::fmat stored = K;
  stored.diag().fill(-7.0f);
  for (arma::uword j = 0; j < n; ++j)
    for (arma::uword i = j + 1; i < n; ++i) stored(i, j) = 1e30f;
  const arma::mat truth = B - (arma::conv_to<arma::mat>::from(K) + 0.3 * arma::eye(n, n)) * X;
  const int threads = omp_get_max_threads();
  arma::mat R1, R3;
  omp_set_num_threads(1);
  float32_kernel::residual(stored, diagonal, 0.3, X, B, R1);
  omp_set_num_threads(3);
  float32_kernel::residual(stored, diagonal, 0.3, X, B, R3);
  omp_set_num_threads(threads);
  CHECK(relative_error(R1, truth) < 1e-14);
  CHECK(arma::approx_equal(R1, R3, "absdiff", 0));
  // A rectangular product (the predictions' kernel) likewise.
  const arma::fmat A = arma::conv_to<arma::fmat>::from(arma::randn(301, n));
  CHECK(relative_error(float32_kernel::times(A, X), arma::conv_to<arma::mat>::from(A) * X) < 1e-14);
}
