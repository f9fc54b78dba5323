// ntk.fmatrix: float32 matrices. Entries are the float32 roundings of what was stored; products
// with float64 matrices and reductions accumulate in float64 (checked against Armadillo on the
// converted matrix); kernels asked for with precision = "float32" come back as fmatrix values
// equal to the float64 kernel rounded to float32.
#include <cmath>

#include "../lua_fixture.hpp"

using ntk::lua::test::LuaFixture;

TEST_CASE("ntk.fmatrix stores float32 roundings and converts explicitly", "[lua][fmatrix]") {
  LuaFixture lua;
  lua.ok(R"(
    A = ntk.matrix{{1, 2, 3}, {4, 5, 1/3}}
    F = ntk.fmatrix(A)
    Z = ntk.fmatrix(2, 3, 0.1)
    r, c = F:size()
    n = #F
    x = F:get(2, 3)
    F2 = F:copy():set(1, 1, 10)
    back = F:to_matrix()
    d = ntk.fmatrix(ntk.matrix{{1, 2}, {3, 4}}):diag()
    s, mean, lo, hi = F:sum(), F:mean(), F:min(), F:max()
    tr = ntk.fmatrix(ntk.matrix{{1, 2}, {3, 4}}):trace()
    is_f, is_m = ntk.fmatrix.is(F), ntk.fmatrix.is(A)
    kind = F:element_type()
    T = F:t():to_matrix()
    R = F:rows_range(2, 2):to_matrix()
    text = tostring(F)
  )");
  CHECK(lua.number("r") == 2);
  CHECK(lua.number("c") == 3);
  CHECK(lua.number("n") == 6);
  CHECK(lua.number("x") == double(float(1.0 / 3)));
  CHECK(lua.number("x") != 1.0 / 3);  // the float32 rounding, not the double
  CHECK(lua.matrix("back")(1, 2) == double(float(1.0 / 3)));
  CHECK(lua.matrix("back")(0, 0) == 1);
  CHECK(lua.matrix("d")(1, 0) == 4);
  CHECK(lua.number("s") == Approx(15 + double(float(1.0 / 3))).epsilon(1e-15));
  CHECK(lua.number("lo") == double(float(1.0 / 3)));
  CHECK(lua.number("hi") == 5);
  CHECK(lua.number("tr") == 5);
  CHECK(lua.boolean("is_f"));
  CHECK_FALSE(lua.boolean("is_m"));
  CHECK(lua.string("kind") == "float32");
  CHECK(lua.matrix("T").n_rows == 3);
  CHECK(lua.matrix("R").n_rows == 1);
  CHECK_THAT(lua.string("text"), Catch::Contains("ntk.fmatrix 2 x 3 (float32)"));
}

TEST_CASE("fmatrix products accumulate in float64", "[lua][fmatrix]") {
  LuaFixture lua;
  arma::arma_rng::set_seed(3);
  // 700 columns: three blocks of the blocked product.
  const arma::mat k = arma::randn(40, 700), m = arma::randn(700, 3), l = arma::randn(2, 40);
  lua.set_matrix("K", k);
  lua.set_matrix("M", m);
  lua.set_matrix("L", l);
  lua.ok(R"(
    F = ntk.fmatrix(K)
    P = F * M
    Q = L * F
    S = (F * 2):to_matrix()
    D = (F - F):to_matrix()
  )");
  const arma::mat k32 = arma::conv_to<arma::mat>::from(arma::conv_to<arma::fmat>::from(k));
  CHECK(arma::abs(lua.matrix("P") - k32 * m).max() < 1e-12);
  CHECK(arma::abs(lua.matrix("Q") - l * k32).max() < 1e-12);
  CHECK(arma::abs(lua.matrix("S") - 2 * k32).max() == 0);
  CHECK(arma::abs(lua.matrix("D")).max() == 0);
  CHECK_THAT(lua.error("X = F * F"), Catch::Contains("fmatrix * fmatrix is not supported"));
  CHECK_THAT(lua.error("X = F + 1"), Catch::Contains("unsupported operands ntk.fmatrix and number"));
  CHECK_THAT(lua.error("X = F * ntk.matrix(3, 3)"), Catch::Contains("inner sizes differ"));
  CHECK_THAT(lua.error("x = F:get(41, 1)"), Catch::Contains("row index 41 is out of range"));
  CHECK_THAT(lua.error("F:set(1, 1, 1e39)"), Catch::Contains("beyond the float32 range"));
  CHECK_THAT(lua.error("x = F:norm(2)"), Catch::Contains("Frobenius norm only"));
}

TEST_CASE("kernels with precision = \"float32\" are fmatrix values of the float64 kernel",
          "[lua][fmatrix]") {
  LuaFixture lua;
  lua.registry.discover({ntk::lua::test::build_dir() + "/plugins"});
  arma::arma_rng::set_seed(5);
  lua.set_matrix("X", arma::randn(6, 30));
  lua.set_matrix("Y", arma::randn(6, 20));
  lua.ok(R"(
    a = ntk.arch("fc", {depth = 3, activation = "relu", w_std = 1.5, b_std = 0.1})
    K64 = a:kernel(X, Y, "ntk")
    K32 = a:kernel(X, Y, "ntk", {precision = "float32"})
    S32 = a:kernel(X, X, "nngp", {precision = "float32"})
    S64 = a:kernel(X, X, "nngp")
    both = a:kernels(X, Y, {precision = "float32"})
    is32 = ntk.fmatrix.is(K32) and ntk.fmatrix.is(both.ntk) and ntk.fmatrix.is(both.nngp)
    D = K32:to_matrix()
    DS = S32:to_matrix()
  )");
  CHECK(lua.boolean("is32"));
  const arma::mat k64 = lua.matrix("K64"), s64 = lua.matrix("S64");
  // Each entry is the float64 kernel's to float32 accuracy (engines may compute in float32
  // tiles; relative to the diagonal scale).
  CHECK(arma::abs(lua.matrix("D") - k64).max() < 2e-6 * arma::abs(k64).max());
  CHECK(arma::abs(lua.matrix("DS") - s64).max() < 2e-6 * arma::abs(s64).max());
  CHECK_THAT(lua.error("K = a:kernel(X, X, 'ntk', {precision = 'float16'})"),
             Catch::Contains("precision"));
}
