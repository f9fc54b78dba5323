// ntk.solve.svm_grid through Lua: the grid equals one ntk.solve.svm fit per (kernel, split, C),
// a single kernel gives a matrix and a list a list, and misuse is an error naming the field.
#include "../../lua/lua_fixture.hpp"

using ntk::lua::test::LuaFixture;

namespace {

const char* kSetup = R"(
  local n = 40
  X = ntk.matrix(2, n)
  labels = {}
  local seed = 12345
  local function rand()
    seed = (1103515245 * seed + 12345) % 2147483648
    return seed / 2147483648
  end
  for j = 1, n do
    local c = (j % 3)
    labels[j] = c
    X:set(1, j, math.cos(2.1 * c) * 2 + 1.5 * (rand() - 0.5))
    X:set(2, j, math.sin(2.1 * c) * 2 + 1.5 * (rand() - 0.5))
  end
  K1 = X:t() * X
  K2 = ntk.kernels.gaussian(ntk.kernels.squared_distances(X), 0.5)
  splits = ntk.solve.kfold(n, 4, 3)
  C = {0.01, 1, 100}
)";

}  // namespace

TEST_CASE("ntk.solve.svm_grid equals ntk.solve.svm fit by fit", "[lua][svm_grid]") {
  LuaFixture lua;
  lua.ok(kSetup);
  lua.ok(R"(
    r = ntk.solve.svm_grid{K = {K1, K2}, labels = labels, splits = splits, C = C, threads = 2}
    single = ntk.solve.svm_grid{K = K2, labels = labels, splits = splits, C = C}
    mismatches, cells = 0, 0
    for k, K in ipairs({K1, K2}) do
      for s, split in ipairs(splits) do
        local y_train = ntk.solve.select(ntk.matrix(labels):t(), nil, split.train)
        local y_test = ntk.solve.select(ntk.matrix(labels):t(), nil, split.test)
        for c, value in ipairs(C) do
          local model = ntk.solve.svm{K = ntk.solve.select(K, split.train, split.train),
                                      labels = y_train, C = value}
          local a = model:accuracy(ntk.solve.select(K, split.test, split.train), y_test)
          cells = cells + 1
          if a ~= r.accuracy[k]:get(s, c) then mismatches = mismatches + 1 end
        end
      end
    end
    rows, cols = r.accuracy[1]:size()
    same_single = (single.accuracy - r.accuracy[2]):abs():max()
    total = r.fits + r.fits_saved
  )");
  CHECK(lua.number("cells") == 24);
  CHECK(lua.number("mismatches") == 0);
  CHECK(lua.number("rows") == 4);
  CHECK(lua.number("cols") == 3);
  CHECK(lua.number("same_single") == 0.0);
  CHECK(lua.number("total") == 24);
}

TEST_CASE("ntk.solve.svm_grid refuses misuse naming the field", "[lua][svm_grid]") {
  LuaFixture lua;
  lua.ok(kSetup);
  using Catch::Contains;
  CHECK_THAT(lua.error("ntk.solve.svm_grid{labels = labels, splits = splits, C = C}"),
             Contains("svm_grid") && Contains("'K'"));
  CHECK_THAT(lua.error("ntk.solve.svm_grid{K = K1, labels = labels, splits = splits}"),
             Contains("'C'"));
  CHECK_THAT(lua.error("ntk.solve.svm_grid{K = K1, labels = labels, splits = splits, C = {-1}}"),
             Contains("'C'"));
  CHECK_THAT(lua.error("ntk.solve.svm_grid{K = {K1, 3}, labels = labels, splits = splits, C = C}"),
             Contains("item 2 is not an ntk.matrix"));
  CHECK_THAT(lua.error("ntk.solve.svm_grid{K = K1, labels = labels, splits = {{train = {1, 2}}}, C = C}"),
             Contains("'test'"));
  CHECK_THAT(lua.error("ntk.solve.svm_grid{K = K1, labels = labels, splits = splits, C = C, colour = 1}"),
             Contains("unknown field 'colour'"));
}
