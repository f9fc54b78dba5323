// ntk.metrics: mse, squared_loss, accuracy and argmax_labels against values computed by hand,
// the vector and label forms, and errors naming shapes and entries.
#include "../lua_fixture.hpp"

using ntk::lua::test::LuaFixture;

TEST_CASE("ntk.metrics.mse is the mean over examples of the squared error", "[lua][metrics]") {
  LuaFixture lua;
  lua.ok(R"(
    F, Y = ntk.matrix{{1, 2, 3}}, ntk.matrix{{0, 2, 5}}
    m, half = ntk.metrics.mse(F, Y), ntk.metrics.squared_loss(F, Y)
    m_col = ntk.metrics.mse(F:t(), Y)            -- n x 1 against 1 x n: both n examples
    m_list = ntk.metrics.mse({1, 2, 3}, {0, 2, 5})
    m2 = ntk.metrics.mse({{1, 0}, {2, -3}}, ntk.matrix(2, 2))
  )");
  CHECK(lua.number("m") == Approx(5.0 / 3.0));  // errors 1, 0, -2 over 3 examples
  CHECK(lua.number("half") == Approx(5.0 / 6.0));
  CHECK(lua.number("m_col") == Approx(5.0 / 3.0));
  CHECK(lua.number("m_list") == Approx(5.0 / 3.0));
  CHECK(lua.number("m2") == Approx(7.0));  // (‖(1, 2)‖² + ‖(0, −3)‖²) / 2 examples

  std::string e = lua.error("\nntk.metrics.mse(ntk.matrix(2, 3), ntk.matrix(3, 2))");
  CHECK_THAT(e, Catch::Contains("snippet:2:"));
  CHECK_THAT(e, Catch::Contains("mse(): predictions F are 2 x 3 but targets Y are 3 x 2"));
  e = lua.error("ntk.metrics.mse({1, 0/0}, {1, 1})");
  CHECK_THAT(e, Catch::Contains("mse(): entry (1, 2) of the 1 x 2 matrix is NaN"));
  e = lua.error("ntk.metrics.mse(1, {1})");
  CHECK_THAT(e, Catch::Contains("bad argument #1 to 'mse'"));
}

TEST_CASE("ntk.metrics.accuracy: signs for one output, argmax or labels for several",
          "[lua][metrics]") {
  LuaFixture lua;
  lua.ok(R"(
    signs = ntk.metrics.accuracy(ntk.matrix{{0.3, -2, -0.1, 0.5}}, ntk.matrix{{1, -1, 1, -1}})
    signs_list = ntk.metrics.accuracy({0.3, -2, -0.1, 0.5}, {1, -1, 1, -1})
    undecided = ntk.metrics.accuracy({0, -2, 1, 1}, {1, -1, 1, -1})   -- f = 0 is wrong
    G = ntk.matrix{{0.9, 0.2, 0.5}, {0.1, 0.1, 0.1}, {0, 0, 0.7}}
    onehot = ntk.metrics.accuracy(G, ntk.matrix.eye(3))
    labels = ntk.metrics.accuracy(G, {1, 2, 3})
    labels_row = ntk.metrics.accuracy(G, ntk.matrix{{1, 1, 3}})
  )");
  CHECK(lua.number("signs") == Approx(0.5));
  CHECK(lua.number("signs_list") == Approx(0.5));
  CHECK(lua.number("undecided") == Approx(0.5));
  CHECK(lua.number("onehot") == Approx(2.0 / 3.0));  // column 2: argmax row 1, target row 2
  CHECK(lua.number("labels") == Approx(2.0 / 3.0));
  CHECK(lua.number("labels_row") == Approx(1.0));

  std::string e = lua.error("ntk.metrics.accuracy({0.1, 0.2}, {1, 0.2})");
  CHECK_THAT(e, Catch::Contains("accuracy(): with one output the targets must be +1 or -1, "
                                "but Y(1, 2) is 0.2"));
  e = lua.error("ntk.metrics.accuracy(G, {1, 4, 2})");
  CHECK_THAT(e, Catch::Contains("label 2 is 4 but the 3 x 3 predictions have classes 1..3"));
  e = lua.error("ntk.metrics.accuracy(G, {1, 1.5, 2})");
  CHECK_THAT(e, Catch::Contains("label 2 is 1.5"));
  e = lua.error("ntk.metrics.accuracy(G, ntk.matrix(2, 3))");
  CHECK_THAT(e, Catch::Contains("predictions F are 3 x 3 but targets Y are 2 x 3"));
  e = lua.error("ntk.metrics.accuracy({1, 0/0}, {1, 1})");
  CHECK_THAT(e, Catch::Contains("is NaN"));
}

TEST_CASE("ntk.metrics.argmax_labels: 1-based integer rows of each column's maximum",
          "[lua][metrics]") {
  LuaFixture lua;
  lua.ok(R"(
    local G = ntk.matrix{{0.9, 0.2, 0.5, 2}, {0.1, 0.1, 0.1, 2}, {0, 0, 0.7, 1}}
    local labels = ntk.metrics.argmax_labels(G)
    local expected = {1, 1, 3, 1}   -- the last column ties rows 1 and 2: the first
    assert(#labels == 4, "4 labels, got " .. #labels)
    for i, v in ipairs(expected) do
      assert(math.type(labels[i]) == "integer", "label " .. i .. " is not an integer")
      assert(labels[i] == v, "label " .. i .. " = " .. labels[i] .. ", expected " .. v)
    end
    -- the labels round-trip through accuracy
    assert(ntk.metrics.accuracy(G, labels) == 1)
  )");
  std::string e = lua.error("ntk.metrics.argmax_labels(ntk.matrix{{1, 2, 3}})");
  CHECK_THAT(e, Catch::Contains("argmax_labels(): F is 1 x 3; labels need k >= 2 outputs"));
  e = lua.error("ntk.metrics.argmax_labels(ntk.matrix{{1, 2}, {0/0, 1}})");
  CHECK_THAT(e, Catch::Contains("column 1"));
}
