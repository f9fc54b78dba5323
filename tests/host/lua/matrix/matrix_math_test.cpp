// ntk.matrix element-wise arithmetic and reductions against values computed by hand; indices
// come back as Lua integers; bad shapes and domains are errors naming the method and entry.
#include "../lua_fixture.hpp"

using ntk::lua::test::LuaFixture;

namespace {
bool same(const arma::mat& a, const arma::mat& b, double tol = 1e-14) {
  return a.n_rows == b.n_rows && a.n_cols == b.n_cols && arma::approx_equal(a, b, "absdiff", tol);
}
}  // namespace

TEST_CASE("emul and ediv work entry by entry, with a matrix or a number", "[lua][matrix]") {
  LuaFixture lua;
  lua.ok(R"(
    A = ntk.matrix{{1, 2, 3}, {4, 5, 6}}
    B = ntk.matrix{{2, 2, 2}, {1, -1, 0.5}}
    P, Q = A:emul(B), A:ediv(B)
    P3, Q2 = A:emul(3), A:ediv(2)
  )");
  CHECK(same(lua.matrix("P"), arma::mat{{2, 4, 6}, {4, -5, 3}}));
  CHECK(same(lua.matrix("Q"), arma::mat{{0.5, 1, 1.5}, {4, -5, 12}}));
  CHECK(same(lua.matrix("P3"), arma::mat{{3, 6, 9}, {12, 15, 18}}));
  CHECK(same(lua.matrix("Q2"), arma::mat{{0.5, 1, 1.5}, {2, 2.5, 3}}));
  CHECK(same(lua.matrix("A"), arma::mat{{1, 2, 3}, {4, 5, 6}}));  // unchanged

  std::string e = lua.error("A:emul(A:t())");
  CHECK_THAT(e, Catch::Contains("emul(): shapes 2 x 3 and 3 x 2 differ"));
  e = lua.error("A:ediv(ntk.matrix{{1, 1, 1}, {1, 0, 1}})");
  CHECK_THAT(e, Catch::Contains("ediv(): divisor entry (2, 2) is 0"));
  e = lua.error("A:ediv(0)");
  CHECK_THAT(e, Catch::Contains("ediv(): division by the number 0"));
  e = lua.error("A:emul('x')");
  CHECK_THAT(e, Catch::Contains("bad argument #1 to 'emul' (ntk.matrix expected, got string)"));
  e = lua.error("local C = A / 0");
  CHECK_THAT(e, Catch::Contains("division by 0"));
  e = lua.error("local C = A / B");
  CHECK_THAT(e, Catch::Contains("ediv"));
}

TEST_CASE("abs, sqrt, exp and log; sqrt and log refuse entries outside their domain",
          "[lua][matrix]") {
  LuaFixture lua;
  lua.ok(R"(
    Ab = ntk.matrix{{-1, 2}, {-3.5, 0}}:abs()
    Sq = ntk.matrix{{4, 9}, {0, 2.25}}:sqrt()
    Ex = ntk.matrix{{0, 1}}:exp()
    Lg = ntk.matrix{{1, math.exp(2)}, {0.5, 1}}:log()
  )");
  CHECK(same(lua.matrix("Ab"), arma::mat{{1, 2}, {3.5, 0}}));
  CHECK(same(lua.matrix("Sq"), arma::mat{{2, 3}, {0, 1.5}}));
  CHECK(same(lua.matrix("Ex"), arma::mat{{1, std::exp(1.0)}}));
  CHECK(same(lua.matrix("Lg"), arma::mat{{0, 2}, {-std::log(2.0), 0}}));

  std::string e = lua.error("\nntk.matrix{{1, -4}, {1, 1}}:sqrt()");
  CHECK_THAT(e, Catch::Contains("snippet:2:"));
  CHECK_THAT(e, Catch::Contains("sqrt(): entry (1, 2) is -4 (sqrt needs entries >= 0)"));
  e = lua.error("ntk.matrix{{1, 2}, {0, 3}}:log()");
  CHECK_THAT(e, Catch::Contains("log(): entry (2, 1) is 0 (log needs entries > 0)"));
  e = lua.error("ntk.matrix{{1, 0/0}}:log()");
  CHECK_THAT(e, Catch::Contains("log(): entry (1, 2) is"));
}

TEST_CASE("sum, mean, min and max of all entries and by dimension", "[lua][matrix]") {
  LuaFixture lua;
  lua.ok(R"(
    A = ntk.matrix{{1, 2, 3}, {4, 5, 6}}
    total, average = A:sum(), A:mean()
    S1, S2, M1, M2 = A:sum(1), A:sum(2), A:mean(1), A:mean(2)
    C = ntk.matrix{{3, -1, 7}, {8, 2, 7}, {-4, 9, 0}}
    hi, lo = C:max(), C:min()
    X1, X2, N1, N2 = C:max(1), C:max(2), C:min(1), C:min(2)
    empty_sum = ntk.matrix(0, 0):sum()
    E1 = ntk.matrix(0, 3):sum(1)
  )");
  CHECK(lua.number("total") == 21);
  CHECK(lua.number("average") == 3.5);
  CHECK(same(lua.matrix("S1"), arma::mat{{5, 7, 9}}));
  CHECK(same(lua.matrix("S2"), arma::mat(arma::vec{6, 15})));
  CHECK(same(lua.matrix("M1"), arma::mat{{2.5, 3.5, 4.5}}));
  CHECK(same(lua.matrix("M2"), arma::mat(arma::vec{2, 5})));
  CHECK(lua.number("hi") == 9);
  CHECK(lua.number("lo") == -4);
  CHECK(same(lua.matrix("X1"), arma::mat{{8, 9, 7}}));
  CHECK(same(lua.matrix("X2"), arma::mat(arma::vec{7, 8, 9})));
  CHECK(same(lua.matrix("N1"), arma::mat{{-4, -1, 0}}));
  CHECK(same(lua.matrix("N2"), arma::mat(arma::vec{-1, 2, -4})));
  CHECK(lua.number("empty_sum") == 0);
  CHECK(same(lua.matrix("E1"), arma::mat(1, 3, arma::fill::zeros)));

  std::string e = lua.error("A:sum(3)");
  CHECK_THAT(e, Catch::Contains("sum(3): the dimension must be 1"));
  e = lua.error("ntk.matrix(0, 0):mean()");
  CHECK_THAT(e, Catch::Contains("mean(): the matrix is empty (0 x 0)"));
  e = lua.error("ntk.matrix(0, 2):max(1)");
  CHECK_THAT(e, Catch::Contains("max(1): the 0 x 2 matrix has no rows"));
  e = lua.error("ntk.matrix{{1, 0/0}}:min()");
  CHECK_THAT(e, Catch::Contains("min(): entry (1, 2) of the 1 x 2 matrix is NaN"));
}

TEST_CASE("argmax and argmin give 1-based integer indices by column (or by row)",
          "[lua][matrix]") {
  LuaFixture lua;
  lua.ok(R"lua(
    C = ntk.matrix{{3, -1, 7}, {8, 2, 7}, {-4, 9, 0}}
    local function check(list, expected, what)
      assert(#list == #expected, what .. ": " .. #list .. " indices")
      for i, v in ipairs(expected) do
        assert(math.type(list[i]) == "integer", what .. "[" .. i .. "] is not an integer")
        assert(list[i] == v, what .. "[" .. i .. "] = " .. list[i] .. ", expected " .. v)
      end
    end
    check(C:argmax(), {2, 3, 1}, "argmax")      -- column 3 ties 7 = 7: the first row
    check(C:argmax(1), {2, 3, 1}, "argmax(1)")
    check(C:argmin(), {3, 1, 3}, "argmin")
    check(C:argmax(2), {3, 1, 2}, "argmax(2)")
    check(C:argmin(2), {2, 2, 1}, "argmin(2)")
    check(ntk.matrix(2, 0):argmax(), {}, "argmax of no columns")
  )lua");
  std::string e = lua.error("ntk.matrix(0, 2):argmax()");
  CHECK_THAT(e, Catch::Contains("argmax(1): the 0 x 2 matrix has no rows"));
  e = lua.error("ntk.matrix{{1}, {0/0}}:argmin()");
  CHECK_THAT(e, Catch::Contains("argmin(): entry (2, 1)"));
}

TEST_CASE("norm: Frobenius by default, 1, 2 (spectral), inf; trace of square matrices",
          "[lua][matrix]") {
  LuaFixture lua;
  lua.ok(R"(
    N = ntk.matrix{{1, 2}, {3, 4}}
    fro, fro2, one, two, inf = N:norm(), N:norm("fro"), N:norm(1), N:norm(2), N:norm("inf")
    zero = ntk.matrix(0, 3):norm(2)
    tr = ntk.matrix{{3, -1, 7}, {8, 2, 7}, {-4, 9, 0}}:trace()
  )");
  CHECK(lua.number("fro") == Approx(std::sqrt(30.0)).epsilon(1e-14));
  CHECK(lua.number("fro2") == Approx(std::sqrt(30.0)).epsilon(1e-14));
  CHECK(lua.number("one") == 6);  // columns: |1| + |3| = 4, |2| + |4| = 6
  CHECK(lua.number("inf") == 7);  // rows: 3 and 7
  // Largest singular value: √(largest eigenvalue of NᵀN = [[10, 14], [14, 20]]).
  CHECK(lua.number("two") == Approx(std::sqrt((30.0 + std::sqrt(884.0)) / 2.0)).epsilon(1e-13));
  CHECK(lua.number("zero") == 0);
  CHECK(lua.number("tr") == 5);

  std::string e = lua.error("N:norm(3)");
  CHECK_THAT(e, Catch::Contains("norm(3): the order must be 1, 2, \"inf\" or \"fro\""));
  e = lua.error("N:norm('nuc')");
  CHECK_THAT(e, Catch::Contains("norm(\"nuc\")"));
  e = lua.error("ntk.matrix(2, 3):trace()");
  CHECK_THAT(e, Catch::Contains("trace(): needs a square matrix, got 2 x 3"));
}
