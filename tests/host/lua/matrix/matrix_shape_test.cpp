// ntk.matrix reshape, ranges, diagonals, joins and counts against values written out by hand.
#include "../lua_fixture.hpp"

using ntk::lua::test::LuaFixture;

namespace {
bool same(const arma::mat& a, const arma::mat& b) {
  return a.n_rows == b.n_rows && a.n_cols == b.n_cols && arma::approx_equal(a, b, "absdiff", 0.0);
}
}  // namespace

TEST_CASE("reshape keeps column-major order; #M and sizes are integers", "[lua][matrix]") {
  LuaFixture lua;
  lua.ok(R"(
    A = ntk.matrix{{1, 2, 3}, {4, 5, 6}}   -- column-major entries 1, 4, 2, 5, 3, 6
    R32, R16 = A:reshape(3, 2), A:reshape(1, 6)
    n, r, c = #A, A:rows(), A:cols()
    r2, c2 = A:size()
    for _, v in ipairs({n, r, c, r2, c2}) do
      assert(math.type(v) == "integer", "a count came back as a " .. math.type(v))
    end
  )");
  CHECK(same(lua.matrix("R32"), arma::mat{{1, 5}, {4, 3}, {2, 6}}));
  CHECK(same(lua.matrix("R16"), arma::mat{{1, 4, 2, 5, 3, 6}}));
  CHECK(lua.number("n") == 6);
  std::string e = lua.error("A:reshape(4, 2)");
  CHECK_THAT(e, Catch::Contains("reshape(4, 2): a 2 x 3 matrix has 6 entries, not 8"));
  e = lua.error("A:reshape(-1, -6)");
  CHECK_THAT(e, Catch::Contains("sizes must be >= 0"));
}

TEST_CASE("rows_range and cols_range are 1-based and inclusive", "[lua][matrix]") {
  LuaFixture lua;
  lua.ok(R"(
    C = ntk.matrix{{3, -1, 7}, {8, 2, 7}, {-4, 9, 0}}
    R, K = C:rows_range(2, 3), C:cols_range(1, 2)
    R0, K0 = C:rows_range(4, 3), C:cols_range(1, 0)
  )");
  CHECK(same(lua.matrix("R"), arma::mat{{8, 2, 7}, {-4, 9, 0}}));
  CHECK(same(lua.matrix("K"), arma::mat{{3, -1}, {8, 2}, {-4, 9}}));
  CHECK(lua.matrix("R0").n_rows == 0);
  CHECK(lua.matrix("R0").n_cols == 3);
  CHECK(lua.matrix("K0").n_cols == 0);
  std::string e = lua.error("C:rows_range(2, 4)");
  CHECK_THAT(e, Catch::Contains("rows_range(2, 4): row range out of bounds for a 3 x 3 matrix"));
  e = lua.error("C:rows_range(0, 1)");
  CHECK_THAT(e, Catch::Contains("rows_range(0, 1)"));
}

TEST_CASE("diag reads a diagonal, ntk.matrix.diag builds one", "[lua][matrix]") {
  LuaFixture lua;
  lua.ok(R"(
    d = ntk.matrix{{3, -1, 7}, {8, 2, 7}, {-4, 9, 0}}:diag()
    w = ntk.matrix{{1, 2, 3}, {4, 5, 6}}:diag()
    D = ntk.matrix.diag({1, 2, 3})
    Drow = ntk.matrix.diag(ntk.matrix{{4, 5}})
  )");
  CHECK(same(lua.matrix("d"), arma::mat(arma::vec{3, 2, 0})));
  CHECK(same(lua.matrix("w"), arma::mat(arma::vec{1, 5})));
  CHECK(same(lua.matrix("D"), arma::mat{{1, 0, 0}, {0, 2, 0}, {0, 0, 3}}));
  CHECK(same(lua.matrix("Drow"), arma::mat{{4, 0}, {0, 5}}));
  std::string e = lua.error("ntk.matrix.diag(ntk.matrix(2, 3))");
  CHECK_THAT(e, Catch::Contains("ntk.matrix.diag(): needs a vector (n x 1 or 1 x n), got 2 x 3"));
}

TEST_CASE("join_cols stacks vertically, join_rows side by side; copy is independent",
          "[lua][matrix]") {
  LuaFixture lua;
  lua.ok(R"(
    A = ntk.matrix{{1, 2}, {3, 4}}
    B = ntk.matrix{{5, 6}}
    V = ntk.matrix.join_cols(A, B, {{7, 8}})
    H = ntk.matrix.join_rows(A, ntk.matrix{{9}, {10}}, A)
    M = A:join_cols(B)
    acc = ntk.matrix(0, 0)
    for i = 1, 3 do acc = acc:join_rows(ntk.matrix{{i}, {-i}}) end
    C = A:copy(); C:set(1, 1, 100)
  )");
  CHECK(same(lua.matrix("V"), arma::mat{{1, 2}, {3, 4}, {5, 6}, {7, 8}}));
  CHECK(same(lua.matrix("H"), arma::mat{{1, 2, 9, 1, 2}, {3, 4, 10, 3, 4}}));
  CHECK(same(lua.matrix("M"), arma::mat{{1, 2}, {3, 4}, {5, 6}}));
  CHECK(same(lua.matrix("acc"), arma::mat{{1, 2, 3}, {-1, -2, -3}}));
  CHECK(lua.matrix("A")(0, 0) == 1);
  CHECK(lua.matrix("C")(0, 0) == 100);
  std::string e = lua.error("ntk.matrix.join_rows(A, B)");
  CHECK_THAT(e, Catch::Contains("join_rows(): matrix 2 is 1 x 2 but matrix 1 has 2 rows"));
  e = lua.error("A:join_cols(ntk.matrix(1, 3))");
  CHECK_THAT(e, Catch::Contains("join_cols(): matrix 2 is 1 x 3 but matrix 1 has 2 columns"));
  e = lua.error("ntk.matrix.join_cols(A, 'x')");
  CHECK_THAT(e, Catch::Contains("bad argument #2 to 'join_cols'"));
}
