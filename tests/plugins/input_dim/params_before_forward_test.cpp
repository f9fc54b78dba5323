// Finite networks know their input dimension from the architecture's options (fc and resnet
// input_dim, stax input_dim or input_shape, cnn input_shape, gnn features): arch:network{...}
// has its parameters before the first forward, and forward then uses exactly those.
// Without the size, params() refuses with a message that names the option to give.
#include "../../host/lua/lua_fixture.hpp"

using ntk::lua::test::LuaFixture;

namespace {

struct PluginLua : LuaFixture {
  PluginLua() {
    registry.discover({ntk::lua::test::build_dir() + "/plugins"});
    // Checks params() before and after a forward on x; sets P (the count) and SAME.
    ok(R"(
      function before_forward(arch, x)
        local net = arch:network{width = 4, seed = 3}
        P = net:num_params()
        local w = net:params()
        assert(w:rows() == P, "params() has " .. w:rows() .. " entries, num_params() " .. P)
        net:forward(x)
        SAME = (net:params() - w):norm() == 0
      end
      function column(d, n)
        local rows = {}
        for i = 1, d do
          rows[i] = {}
          for j = 1, n do rows[i][j] = math.sin(i + 3 * j) end
        end
        return ntk.matrix(rows)
      end
    )");
  }
};

}  // namespace

TEST_CASE("fc and resnet (mlp) networks with input_dim have parameters before forward",
          "[input_dim]") {
  PluginLua lua;
  // fc depth 2, d = 3, m = 4, k = 1: (3·4 + 4) + (4·4 + 4) + (4 + 1) = 41
  lua.ok(R"(before_forward(ntk.arch("fc", {depth = 2, input_dim = 3}), column(3, 2)))");
  CHECK(lua.number("P") == 41);
  CHECK(lua.boolean("SAME"));
  // resnet: stem 3 → 4 (16), one branch Dense 4 → 4 (20), readout 4 → 1 (5) = 41
  lua.ok(R"(before_forward(ntk.arch("resnet", {blocks = 1, branch_depth = 1, input_dim = 3}),
                           column(3, 2)))");
  CHECK(lua.number("P") == 41);
  CHECK(lua.boolean("SAME"));
  // a forward on another size is refused, naming both
  CHECK_THAT(lua.error(R"(
    local net = ntk.arch("resnet", {input_dim = 3}):network{width = 4, seed = 1}
    net:forward(column(5, 2)))"),
             Catch::Contains("5") && Catch::Contains("3 rows"));
  CHECK_THAT(lua.error(R"(ntk.arch("resnet", {kind = "conv", input_dim = 3}))"),
             Catch::Contains("input_dim") && Catch::Contains("input_shape"));
}

TEST_CASE("stax compositions with input_dim or input_shape have parameters before forward",
          "[input_dim]") {
  PluginLua lua;
  // dense 5 → 4 (24), dense 4 → 1 (5) = 29
  lua.ok(R"(before_forward(ntk.arch("stax", {input_dim = 5,
             layers = {{"dense"}, {"relu"}, {"dense"}}}), column(5, 3)))");
  CHECK(lua.number("P") == 29);
  CHECK(lua.boolean("SAME"));
  // conv 2 → 4 channels, 3 × 3: 4·2·9 + 4 = 76; readout after global pooling 4 → 1: 5 = 81
  lua.ok(R"(before_forward(ntk.arch("stax", {input_shape = {2, 4, 4},
             layers = {{"conv", filter = 3}, {"relu"}, {"global_avg_pool"}, {"dense"}}}),
             column(32, 2)))");
  CHECK(lua.number("P") == 81);
  CHECK(lua.boolean("SAME"));
}

TEST_CASE("cnn with input_shape and gnn with features have parameters before forward",
          "[input_dim]") {
  PluginLua lua;
  lua.ok(R"(
    local net = ntk.arch("cnn", {input_shape = {1, 5, 5}}):network{width = 3, seed = 2}
    CNN = net:params():rows() == net:num_params() and net:num_params() > 0
    local g = ntk.arch("gnn", {features = 3}):network{width = 4, seed = 2}
    GNN = g:params():rows() == g:num_params() and g:num_params() > 0
  )");
  CHECK(lua.boolean("CNN"));
  CHECK(lua.boolean("GNN"));
}

TEST_CASE("without the input size, params() before forward names the option to give",
          "[input_dim]") {
  PluginLua lua;
  CHECK_THAT(lua.error(R"(ntk.arch("fc", {depth = 1}):network{width = 4, seed = 1}:params())"),
             Catch::Contains("input_dim"));
  CHECK_THAT(lua.error(R"(ntk.arch("resnet", {}):network{width = 4, seed = 1}:params())"),
             Catch::Contains("input_dim") || Catch::Contains("input"));
}
