// ntk.solve.ridge / interpolate / predict on an ntk.fmatrix (float32 kernel, issue 14): the
// results equal the engine's kernel_ridge_float32 / predict_float32, the fmatrix is given back
// unchanged, and refusals reach Lua as errors at the caller's line.
#include "../../lua/lua_fixture.hpp"

#include <memory>

#include "core/solve/ridge_float32.hpp"
#include "lua/fmatrix.hpp"

using ntk::lua::test::LuaFixture;
using ntk::lua::test::relative_error;
namespace solve = ntk::core::solve;

namespace {

struct Float32Fixture : LuaFixture {
  Float32Fixture() {
    arma::arma_rng::set_seed(23);
    const arma::mat x = arma::randn(10, n + m);
    const arma::rowvec norms = arma::sum(arma::square(x), 0);
    arma::mat distances = -2.0 * x.t() * x;
    distances.each_col() += norms.t();
    distances.each_row() += norms;
    // Values exactly representable in float32, so ntk.fmatrix(K) holds the same numbers.
    const arma::mat full = arma::conv_to<arma::mat>::from(arma::conv_to<arma::fmat>::from(
        arma::symmatu(arma::mat(arma::exp(-distances / 20.0)))));
    K = full.submat(0, 0, n - 1, n - 1);
    K_test = full.submat(n, 0, n + m - 1, n - 1);
    Y = arma::randn(3, n);
    set_matrix("K", K);
    set_matrix("KT", K_test);
    set_matrix("Y", Y);
  }
  const arma::uword n = 300, m = 40;
  arma::mat K, K_test, Y;
};

}  // namespace

TEST_CASE("ntk.solve.ridge on an fmatrix equals the float32 engine", "[lua][solve][float32]") {
  Float32Fixture lua;
  lua.ok(R"(
    F = ntk.fmatrix(K)
    r = ntk.solve.ridge(F, Y, 0.01)
    A, method, residual, steps = r.alpha, r.method, r.residual, r.refinement_steps
    restored, history, discarded = r.kernel_restored, #r.residual_history, r.discarded
    cond, nwarn = r.condition_number, #r.warnings
    seconds = r.seconds.check + r.seconds.factorisation + r.seconds.condition +
              r.seconds.refinement + r.seconds.restore
    Fafter = F:to_matrix()
    P = ntk.solve.predict(ntk.fmatrix(KT), r)
    P64 = ntk.solve.predict(KT, r.alpha)
    I = ntk.solve.interpolate(F, Y, {tolerance = 1e-9}).alpha
  )");
  arma::fmat K32 = arma::conv_to<arma::fmat>::from(lua.K);
  const solve::Float32RidgeSolution direct = solve::kernel_ridge_float32(K32, lua.Y, 0.01);
  CHECK(relative_error(lua.matrix("A"), direct.alpha) < 1e-14);
  CHECK(lua.string("method") == "cholesky_float32_refined");
  CHECK(lua.number("residual") <= 1e-10);
  CHECK(lua.number("residual") == Approx(direct.residual).epsilon(1e-6));
  CHECK(lua.number("steps") == direct.refinement_steps);
  CHECK(lua.number("history") == direct.refinement_steps + 1);
  CHECK(lua.boolean("restored"));
  CHECK(lua.number("discarded") == 0);
  CHECK(lua.number("cond") == Approx(direct.condition_number));
  CHECK(lua.number("nwarn") == 0);
  CHECK(lua.number("seconds") >= 0);
  CHECK(arma::approx_equal(lua.matrix("Fafter"), lua.K, "absdiff", 0));  // bit for bit
  const arma::fmat K_test32 = arma::conv_to<arma::fmat>::from(lua.K_test);
  CHECK(relative_error(lua.matrix("P"), solve::predict_float32(K_test32, direct.alpha)) < 1e-14);
  CHECK(relative_error(lua.matrix("P"), lua.matrix("P64")) < 1e-13);
  arma::fmat K32b = arma::conv_to<arma::fmat>::from(lua.K);
  solve::Float32RidgeOptions loose;
  loose.tolerance = 1e-9;
  CHECK(relative_error(lua.matrix("I"), solve::interpolate_float32(K32b, lua.Y, loose).alpha) <
        1e-14);
}

TEST_CASE("ntk.solve.ridge on an fmatrix: options and refusals", "[lua][solve][float32]") {
  Float32Fixture lua;
  lua.ok(R"(
    F = ntk.fmatrix(K)
    kept = ntk.solve.ridge(F, Y, 0.01, {keep_kernel = false}).kernel_restored
    G = ntk.fmatrix(K)
    G:set(2, 3, 0 / 0)
  )");
  CHECK_FALSE(lua.boolean("kept"));
  CHECK_THAT(lua.error("ntk.solve.ridge(G, Y, 0.1)"),
             Catch::Contains("snippet:1:") && Catch::Contains("non-finite entry K(2, 3)"));
  CHECK_THAT(lua.error("ntk.solve.ridge(ntk.fmatrix(K), Y, 0.1, {warn_condition = 1})"),
             Catch::Contains("warn_condition") && Catch::Contains("max_condition"));
  // An indefinite kernel with λ = 0: the pivot error, and the fmatrix unchanged.
  lua.ok(R"(
    H = ntk.fmatrix(K)
    for i = 1, H:rows() do H:set(i, i, H:get(i, i) - 0.5) end
    before = H:to_matrix()
    ok, message = pcall(ntk.solve.interpolate, H, Y)
    after = H:to_matrix()
  )");
  CHECK_FALSE(lua.boolean("ok"));
  CHECK_THAT(lua.string("message"), Catch::Contains("failed at column") &&
                                        Catch::Contains("pivot") && Catch::Contains("lambda of about"));
  CHECK(arma::approx_equal(lua.matrix("after"), lua.matrix("before"), "absdiff", 0));
  CHECK_THAT(lua.error("ntk.solve.predict(ntk.fmatrix(KT):cols_range(1, 10), ntk.matrix(300, 3))"),
             Catch::Contains("predict_float32()"));
}

TEST_CASE("ntk.solve.ridge on an fmatrix view works on a copy", "[lua][solve][float32]") {
  // A view (e.g. a mapped kernel file) may be read-only: its memory is never written.
  Float32Fixture lua;
  auto buffer = std::make_shared<arma::fmat>(arma::conv_to<arma::fmat>::from(lua.K));
  const arma::fmat original = *buffer;
  ntk::lua::push_fmatrix_view(lua.L, arma::fmat(buffer->memptr(), lua.n, lua.n, false, true),
                              buffer);
  lua_setglobal(lua.L, "V");
  lua.ok("A = ntk.solve.ridge(V, Y, 0.01).alpha");
  arma::fmat K32 = original;
  CHECK(relative_error(lua.matrix("A"), solve::kernel_ridge_float32(K32, lua.Y, 0.01).alpha) <
        1e-14);
  CHECK(arma::approx_equal(*buffer, original, "absdiff", 0));
}
