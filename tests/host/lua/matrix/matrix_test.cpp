// ntk.matrix: construction, access, slicing and arithmetic checked against Armadillo;
// error messages name the index/shape and the caller's line.
#include "../lua_fixture.hpp"

using ntk::lua::test::LuaFixture;
using ntk::lua::test::relative_error;

TEST_CASE("ntk.matrix builds from rows, sizes, lists and copies", "[lua][matrix]") {
  LuaFixture lua;
  lua.ok(R"(
    A = ntk.matrix{{1, 2, 3}, {4, 5, 6}}
    Z = ntk.matrix(2, 3)
    F = ntk.matrix(2, 2, 7.5)
    v = ntk.matrix{1, 2, 3}
    C = ntk.matrix(A)
    E = ntk.matrix.eye(3)
    r, c = A:size()
    is_m, is_t = ntk.matrix.is(A), ntk.matrix.is({})
  )");
  const arma::mat a = {{1, 2, 3}, {4, 5, 6}};
  CHECK(arma::approx_equal(lua.matrix("A"), a, "absdiff", 0.0));
  CHECK(arma::approx_equal(lua.matrix("Z"), arma::mat(2, 3, arma::fill::zeros), "absdiff", 0.0));
  CHECK(arma::approx_equal(lua.matrix("F"), arma::mat(2, 2, arma::fill::value(7.5)), "absdiff", 0.0));
  CHECK(arma::approx_equal(lua.matrix("v"), arma::mat(arma::vec{1, 2, 3}), "absdiff", 0.0));
  CHECK(arma::approx_equal(lua.matrix("C"), a, "absdiff", 0.0));
  CHECK(arma::approx_equal(lua.matrix("E"), arma::mat(3, 3, arma::fill::eye), "absdiff", 0.0));
  CHECK(lua.number("r") == 2);
  CHECK(lua.number("c") == 3);
  CHECK(lua.boolean("is_m"));
  CHECK_FALSE(lua.boolean("is_t"));

  // A copy is independent of its source.
  lua.ok("C:set(1, 1, 100)");
  CHECK(lua.matrix("A")(0, 0) == 1);
}

TEST_CASE("get, set, to_table, to_list and sizes are 1-based and row-major in tables",
          "[lua][matrix]") {
  LuaFixture lua;
  lua.ok(R"(
    A = ntk.matrix{{1, 2, 3}, {4, 5, 6}}
    rows, cols, a23, a12 = A:rows(), A:cols(), A:get(2, 3), A:get(1, 2)
    same = A:set(2, 1, -8)
    assert(same == A, "set returns the matrix")
    t = A:to_table()
    assert(#t == 2 and #t[1] == 3, "to_table is a list of rows")
    t21, t13 = t[2][1], t[1][3]
    l = A:to_list()
    l2, l3 = l[2], l[3]   -- column-major: A(2,1), A(1,2)
    integer_index = A:get(2.0, 1)
  )");
  CHECK(lua.number("rows") == 2);
  CHECK(lua.number("cols") == 3);
  CHECK(lua.number("a23") == 6);
  CHECK(lua.number("a12") == 2);
  CHECK(lua.number("t21") == -8);
  CHECK(lua.number("t13") == 3);
  CHECK(lua.number("l2") == -8);
  CHECK(lua.number("l3") == 2);
  CHECK(lua.number("integer_index") == -8);
  CHECK(lua.matrix("A")(1, 0) == -8);
}

TEST_CASE("t, col, row, cols_range, rows_range and reductions match Armadillo", "[lua][matrix]") {
  LuaFixture lua;
  arma::arma_rng::set_seed(11);
  const arma::mat a = arma::randn(4, 6);
  lua.set_matrix("A", a);
  lua.ok(R"(
    T = A:t(); C = A:col(2); R = A:row(3)
    S = A:cols_range(2, 4); S1 = A:cols_range(6, 6); S0 = A:cols_range(3, 2)
    Q = A:rows_range(2, 3)
    total, fro, hi, lo = A:sum(), A:norm(), A:max(), A:min()
  )");
  CHECK(arma::approx_equal(lua.matrix("T"), arma::mat(a.t()), "absdiff", 0.0));
  CHECK(arma::approx_equal(lua.matrix("C"), arma::mat(a.col(1)), "absdiff", 0.0));
  CHECK(arma::approx_equal(lua.matrix("R"), arma::mat(a.row(2)), "absdiff", 0.0));
  CHECK(arma::approx_equal(lua.matrix("S"), arma::mat(a.cols(1, 3)), "absdiff", 0.0));
  CHECK(arma::approx_equal(lua.matrix("S1"), arma::mat(a.col(5)), "absdiff", 0.0));
  CHECK(lua.matrix("S0").n_rows == 4);
  CHECK(lua.matrix("S0").n_cols == 0);
  CHECK(arma::approx_equal(lua.matrix("Q"), arma::mat(a.rows(1, 2)), "absdiff", 0.0));
  CHECK(lua.number("total") == Approx(arma::accu(a)).epsilon(1e-14));
  CHECK(lua.number("fro") == Approx(arma::norm(a, "fro")).epsilon(1e-14));
  CHECK(lua.number("hi") == a.max());
  CHECK(lua.number("lo") == a.min());
}

TEST_CASE("operators + - * / and unary minus match Armadillo", "[lua][matrix]") {
  LuaFixture lua;
  arma::arma_rng::set_seed(5);
  const arma::mat a = arma::randn(3, 4), b = arma::randn(3, 4), c = arma::randn(4, 2);
  lua.set_matrix("A", a);
  lua.set_matrix("B", b);
  lua.set_matrix("C", c);
  lua.ok(R"(
    sum, diff, prod = A + B, A - B, A * C
    left, right = 2.5 * A, A * 2.5
    plus, rminus, minus = A + 1, 1 - A, A - 1
    neg, quot = -A, A / 4
    chain = (A + B) * C - A * C
  )");
  const double tol = 1e-14;
  CHECK(relative_error(lua.matrix("sum"), a + b) < tol);
  CHECK(relative_error(lua.matrix("diff"), a - b) < tol);
  CHECK(relative_error(lua.matrix("prod"), a * c) < tol);
  CHECK(relative_error(lua.matrix("left"), 2.5 * a) < tol);
  CHECK(relative_error(lua.matrix("right"), 2.5 * a) < tol);
  CHECK(relative_error(lua.matrix("plus"), a + 1.0) < tol);
  CHECK(relative_error(lua.matrix("rminus"), 1.0 - a) < tol);
  CHECK(relative_error(lua.matrix("minus"), a - 1.0) < tol);
  CHECK(relative_error(lua.matrix("neg"), -a) < tol);
  CHECK(relative_error(lua.matrix("quot"), a / 4.0) < tol);
  CHECK(relative_error(lua.matrix("chain"), b * c) < 1e-12);
}

TEST_CASE("matrix errors name the index, the shapes and the caller's line", "[lua][matrix]") {
  LuaFixture lua;
  lua.ok("A = ntk.matrix{{1, 2, 3}, {4, 5, 6}}; B = ntk.matrix(2, 3)");

  std::string e = lua.error("\n\nlocal x = A:get(3, 1)");
  CHECK_THAT(e, Catch::Contains("snippet:3:"));
  CHECK_THAT(e, Catch::Contains("row index 3 is out of range for a 2 x 3 matrix"));

  e = lua.error("A:set(1, 4, 0)");
  CHECK_THAT(e, Catch::Contains("column index 4 is out of range for a 2 x 3 matrix"));

  e = lua.error("\nlocal C = A * B");
  CHECK_THAT(e, Catch::Contains("snippet:2:"));
  CHECK_THAT(e, Catch::Contains("cannot multiply 2 x 3 by 2 x 3"));

  e = lua.error("local C = A + A:t()");
  CHECK_THAT(e, Catch::Contains("shapes 2 x 3 and 3 x 2 differ"));

  e = lua.error("local M = ntk.matrix{{1, 2}, {3}}");
  CHECK_THAT(e, Catch::Contains("row 2 has 1 entries but row 1 has 2"));

  e = lua.error("local M = ntk.matrix{{1, 2}, {3, 'x'}}");
  CHECK_THAT(e, Catch::Contains("row 2, column 2 is a string"));

  e = lua.error("A:get(1.5, 1)");
  CHECK_THAT(e, Catch::Contains("bad argument #1 to 'get'"));
  CHECK_THAT(e, Catch::Contains("no integer representation"));

  e = lua.error("A:get('x', 1)");
  CHECK_THAT(e, Catch::Contains("bad argument #1 to 'get' (integer expected, got string)"));

  e = lua.error("A.get(nil, 1, 1)");
  CHECK_THAT(e, Catch::Contains("bad argument #1 to 'get' (ntk.matrix expected, got nil)"));

  e = lua.error("local x = A + 'text'");
  CHECK_THAT(e, Catch::Contains("cannot combine ntk.matrix and string"));

  e = lua.error("A:cols_range(2, 5)");
  CHECK_THAT(e, Catch::Contains("cols_range(2, 5)"));
  CHECK_THAT(e, Catch::Contains("2 x 3"));

  e = lua.error("local M = ntk.matrix(-1, 2)");
  CHECK_THAT(e, Catch::Contains("sizes must be >= 0"));

  e = lua.error("ntk.matrix(0, 0):max()");
  CHECK_THAT(e, Catch::Contains("empty"));
}

TEST_CASE("tostring shows small matrices and truncates big ones", "[lua][matrix]") {
  LuaFixture lua;
  lua.ok(R"(
    small = tostring(ntk.matrix{{1, 2}, {3, 4.5}})
    big = tostring(ntk.matrix(100, 50, 1))
  )");
  const std::string small = lua.string("small");
  CHECK_THAT(small, Catch::StartsWith("ntk.matrix 2 x 2"));
  CHECK_THAT(small, Catch::Contains("4.5"));
  const std::string big = lua.string("big");
  CHECK_THAT(big, Catch::StartsWith("ntk.matrix 100 x 50"));
  CHECK_THAT(big, Catch::Contains("90 more rows"));
  CHECK_THAT(big, Catch::Contains("42 more columns"));
  CHECK(std::count(big.begin(), big.end(), '\n') == 11);
}

TEST_CASE("matrix operations that would not fit are refused before allocating", "[lua][matrix]") {
  LuaFixture lua;
  // x:t() * x of a 1 x 200000 row asks for 200000² doubles = 320 GB: refused at once, by name.
  lua.ok("x = ntk.matrix(1, 200000, 1)");
  CHECK_THAT(lua.error("y = x:t() * x"),
             Catch::Contains("ntk.matrix *: the 200000 x 200000 result") &&
                 Catch::Contains("320 GB") && Catch::Contains("available"));
  CHECK_THAT(lua.error("d = ntk.matrix.diag(x)"),
             Catch::Contains("200000 x 200000 diagonal matrix"));
  // Products that fit still work.
  lua.ok("s = (x * x:t()):get(1, 1)");
  CHECK(lua.number("s") == 200000.0);
}
