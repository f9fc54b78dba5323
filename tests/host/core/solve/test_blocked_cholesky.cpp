// The blocked Cholesky driver with progress (blocked_cholesky.hpp) against LAPACK's ?potrf and
// against A = L Lᵀ; its failures at a known column of a later panel; the progress it reports
// (fractions, the lines of FactorisationProgress, the off switch); and the float32 ridge solver
// that uses it (the pivot error names the global column, progress reaches the caller's sink).
#include <catch2/catch.hpp>

#include <algorithm>
#include <armadillo>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "core/progress/switch.hpp"
#include "core/solve/blocked_cholesky.hpp"
#include "core/solve/factorisation_progress.hpp"
#include "core/solve/lapack.hpp"
#include "core/solve/lapack_float32.hpp"
#include "core/solve/ridge_float32.hpp"
#include "ntk/sdk/error.hpp"

using namespace ntk::core::solve;
using Catch::Matchers::Contains;

namespace {

// B Bᵀ / m + I with B n × m Gaussian: eigenvalues in about [1, (1 + √(n/m))²], so the factor
// is well conditioned and two correct factorisations agree to a few ε.
template <typename T>
arma::Mat<T> spd_matrix(arma::uword n, unsigned seed) {
  arma::arma_rng::set_seed(seed);
  const arma::uword m = n + 10;
  const arma::mat B = arma::randn(n, m);
  arma::mat A = B * B.t() / double(m);
  A.diag() += 1.0;
  return arma::conv_to<arma::Mat<T>>::from(arma::symmatl(A));
}

int lapack_potrf(arma::fmat& A) {
  const int n = static_cast<int>(A.n_rows);
  int info = 0;
  spotrf_("L", &n, A.memptr(), &n, &info, 1);
  return info;
}
int lapack_potrf(arma::mat& A) {
  const int n = static_cast<int>(A.n_rows);
  int info = 0;
  dpotrf_("L", &n, A.memptr(), &n, &info, 1);
  return info;
}

template <typename T>
int blocked(arma::Mat<T>& A, CholeskyBlocking blocking, ntk::sdk::ProgressSink* sink = nullptr) {
  const int n = static_cast<int>(A.n_rows);
  return cholesky_lower_blocked(A.memptr(), n, n, sink, blocking);
}

// Relative Frobenius difference of the lower triangles, in double.
template <typename T>
double lower_difference(const arma::Mat<T>& A, const arma::Mat<T>& B) {
  const arma::mat a = arma::trimatl(arma::conv_to<arma::mat>::from(A));
  const arma::mat b = arma::trimatl(arma::conv_to<arma::mat>::from(B));
  return arma::norm(a - b, "fro") / arma::norm(b, "fro");
}

// The strict upper triangles hold the same bits.
template <typename T>
bool same_upper(const arma::Mat<T>& A, const arma::Mat<T>& B) {
  for (arma::uword j = 1; j < A.n_cols; ++j)
    if (std::memcmp(A.colptr(j), B.colptr(j), j * sizeof(T)) != 0) return false;
  return true;
}

// Records every fraction it is given.
struct RecordingSink : ntk::sdk::ProgressSink {
  std::vector<double> fractions;
  void progress(double fraction) override { fractions.push_back(fraction); }
};

// A clock the test moves by hand.
struct FakeClock {
  double now = 0;
  ntk::core::progress::Clock clock() {
    return [this] { return now; };
  }
};

// Sets the process-wide progress switch for a scope and puts it back.
struct ProgressSwitch {
  bool was = ntk::core::progress::enabled();
  explicit ProgressSwitch(bool on) { ntk::core::progress::set_enabled(on); }
  ~ProgressSwitch() { ntk::core::progress::set_enabled(was); }
};

}  // namespace

TEMPLATE_TEST_CASE("the blocked Cholesky factor equals ?potrf's", "[solve][cholesky]", float,
                   double) {
  const double tolerance = sizeof(TestType) == 4 ? 1e-5 : 1e-13;
  // Sizes not multiples of the panel, a matrix narrower than one panel, and slabs that do not
  // divide the trailing matrix.
  struct Case {
    arma::uword n;
    CholeskyBlocking blocking;
  };
  for (const Case& c : {Case{1, {32, 0}}, Case{31, {32, 0}}, Case{100, {32, 0}},
                        Case{257, {64, 0}}, Case{257, {64, 50}}, Case{300, {37, 7}},
                        Case{500, {}}}) {
    CAPTURE(c.n, c.blocking.panel, c.blocking.update_columns);
    const arma::Mat<TestType> A = spd_matrix<TestType>(c.n, 7 + unsigned(c.n));
    arma::Mat<TestType> lapack = A, ours = A;
    REQUIRE(lapack_potrf(lapack) == 0);
    REQUIRE(blocked(ours, c.blocking) == 0);
    CHECK(lower_difference(ours, lapack) < tolerance);
    CHECK(same_upper(ours, A));  // the strict upper triangle is not touched, as with ?potrf
    // The independent check: L Lᵀ reproduces A (backward error of a few ε).
    const arma::mat L = arma::trimatl(arma::conv_to<arma::mat>::from(ours));
    const arma::mat original = arma::conv_to<arma::mat>::from(A);
    CHECK(arma::norm(L * L.t() - original, "fro") / arma::norm(original, "fro") < tolerance);
  }
}

TEMPLATE_TEST_CASE("a failed pivot in a later panel is reported at its global column",
                   "[solve][cholesky]", float, double) {
  const arma::uword n = 300;
  for (arma::uword column : {1u, 64u, 65u, 150u, 300u}) {  // 1-based; panels of 64
    CAPTURE(column);
    arma::Mat<TestType> A = spd_matrix<TestType>(n, 11);
    // Leading minors below `column` stay positive definite; the one of order `column` has the
    // Schur complement −1 − aᵀA₁₁⁻¹a < 0 (in double, the truth for the pivot left behind).
    const arma::uword c = column - 1;
    A(c, c) = -1;
    double schur = -1;
    if (c > 0) {
      const arma::mat A64 = arma::conv_to<arma::mat>::from(A);
      const arma::vec a = A64.submat(c, 0, c, c - 1).t();
      schur -= arma::dot(a, arma::solve(A64.submat(0, 0, c - 1, c - 1), a));
    }
    arma::Mat<TestType> lapack = A, ours = A;
    const int lapack_info = lapack_potrf(lapack);
    const int info = blocked(ours, {64, 40});
    CHECK(info == int(column));
    CHECK(lapack_info == int(column));
    CHECK(double(ours(c, c)) == Approx(schur).epsilon(1e-4));
    CHECK(double(ours(c, c)) == Approx(double(lapack(c, c))).epsilon(1e-4));
  }
}

TEST_CASE("the blocked Cholesky reports flop-weighted fractions ending at 1",
          "[solve][cholesky][progress]") {
  const arma::uword n = 300;
  arma::mat A = spd_matrix<double>(n, 3);
  RecordingSink sink;
  REQUIRE(blocked(A, {100, 0}, &sink) == 0);
  // One report per panel: 1 − ((n − e)/n)³ after the panel ending at column e.
  REQUIRE(sink.fractions.size() == 3);
  CHECK(sink.fractions[0] == Approx(1 - 8.0 / 27));
  CHECK(sink.fractions[1] == Approx(1 - 1.0 / 27));
  CHECK(sink.fractions[2] == 1.0);

  // With slabs: more reports, non-decreasing, the panel boundaries among them, and 1 at the end.
  arma::mat B = spd_matrix<double>(n, 3);
  RecordingSink slabs;
  REQUIRE(blocked(B, {100, 60}, &slabs) == 0);
  CHECK(slabs.fractions.size() > 3);
  for (std::size_t i = 1; i < slabs.fractions.size(); ++i)
    CHECK(slabs.fractions[i] >= slabs.fractions[i - 1]);
  CHECK(std::count(slabs.fractions.begin(), slabs.fractions.end(), sink.fractions[0]) == 1);
  CHECK(slabs.fractions.back() == 1.0);
  CHECK(cholesky_fraction_done(0, 10) == 0);
  CHECK(cholesky_fraction_done(5, 10) == Approx(0.875));
}

TEST_CASE("factorisation progress: lines with ETA, a summary with GFLOP/s, the off switch",
          "[solve][cholesky][progress]") {
  FakeClock t;
  std::ostringstream out;
  ntk::core::progress::Style style;  // plain lines, 2 s delay
  FactorisationProgress p("kernel_ridge_float32()", 60000, "float32", &out, style, t.clock());
  t.now = 1;
  p.progress(0.05);
  CHECK(out.str().empty());  // within the delay
  t.now = 30;
  p.progress(0.2);  // 30 s for 20 %: ETA 2:00
  CHECK(out.str() ==
        "kernel_ridge_float32(): Cholesky of 60000 x 60000 float32: 20%, 0:30 elapsed, ETA 2:00\n");
  out.str("");
  t.now = 144;
  p.progress(1);
  p.finish();  // 60000³/3 = 7.2e13 flops in 144 s: 500 GFLOP/s
  CHECK_THAT(out.str(), Contains("100%") &&
                            Contains("kernel_ridge_float32(): Cholesky of 60000 x 60000 float32: "
                                     "done in 2:24; 500 GFLOP/s\n"));

  // On stderr: silent when progress is switched off (the test suite's NTKLAB_PROGRESS=0).
  {
    const ProgressSwitch off(false);
    CHECK(FactorisationProgress("f()", 10, "float32").silent());
  }
  {
    const ProgressSwitch on(true);
    CHECK_FALSE(FactorisationProgress("f()", 10, "float32").silent());
  }
}

TEST_CASE("the float32 ridge: progress reaches the caller's sink, and a pivot failure past "
          "the first panel names its column", "[solve][cholesky][float32]") {
  // n larger than one default panel (kCholeskyPanel), so the failure lies in a later panel.
  const arma::uword n = kCholeskyPanel + 200, column = kCholeskyPanel + 123;
  arma::arma_rng::set_seed(5);
  arma::mat Y = arma::randn(2, n);
  arma::fmat K = spd_matrix<float>(n, 13);
  const arma::fmat original = K;

  RecordingSink sink;
  Float32RidgeOptions options;
  options.progress = &sink;
  const Float32RidgeSolution s = kernel_ridge_float32(K, Y, 1e-3, options);
  CHECK(s.residual < 1e-10);
  REQUIRE(sink.fractions.size() >= 2);
  CHECK(sink.fractions.back() == 1.0);
  CHECK(std::memcmp(K.memptr(), original.memptr(), K.n_elem * sizeof(float)) == 0);

  K(column - 1, column - 1) = -1;
  const arma::fmat indefinite = K;
  std::string message = "(no error)";
  try {
    kernel_ridge_float32(K, Y, 0.0);
  } catch (const ntk::Error& e) {
    message = e.what();
  }
  CHECK_THAT(message, Contains("failed at column " + std::to_string(column) + " of " +
                               std::to_string(n)) &&
                          Contains("the pivot is -") && Contains("The kernel is restored"));
  CHECK(std::memcmp(K.memptr(), indefinite.memptr(), K.n_elem * sizeof(float)) == 0);
}
