// ntk.arch("stax", {layers = {...}}) from Lua: the issue's example composition (kernels,
// finite network, structured eNTK), an MLP written as layers equal to the fc plugin, images,
// and errors that name the layer's position.
#include "../../host/lua/lua_fixture.hpp"

using ntk::lua::test::LuaFixture;

namespace {

struct StaxLua : LuaFixture {
  StaxLua() {
    registry.discover({ntk::lua::test::build_dir() + "/plugins"});
    REQUIRE_NOTHROW(registry.find("stax"));
    // randn(d, n, seed): a d × n matrix of uniform(−1, 1) values from Lua's own generator.
    ok(R"(
      function randn(d, n, seed)
        math.randomseed(seed)
        local rows = {}
        for i = 1, d do
          rows[i] = {}
          for j = 1, n do rows[i][j] = 2 * math.random() - 1 end
        end
        return ntk.matrix(rows)
      end
    )");
  }
};

}  // namespace

TEST_CASE("the issue's stax example: kernels, a finite network and its eNTK", "[stax_lua]") {
  StaxLua lua;
  lua.ok(R"(
    local a = ntk.arch("stax", {layers = {
      {"dense", w_std = 1.5, b_std = 0.1}, {"gelu"},
      {"dense", w_std = 1.5, b_std = 0.1}, {"layer_norm"},
      {"residual", alpha = 0.5, branch = {{"relu"}, {"dense", w_std = 1.4}}},
      {"relu"}, {"dense", w_std = 1.0}}, outputs = 1})
    local x = randn(6, 5, 3)
    K = a:kernel(x, x, "ntk")
    N = a:kernel(x, x, "nngp")
    local net = a:network{width = 64, seed = 1}
    E = net:ntk(x, x)
    F = net:forward(x)
    P = net:num_params()
  )");
  const arma::mat K = lua.matrix("K"), E = lua.matrix("E");
  CHECK(K.n_rows == 5);
  CHECK(K.is_symmetric());
  CHECK(lua.matrix("F").n_rows == 1);
  // dense 6→64, dense 64→64, branch dense 64→64, readout 64→1, with biases
  CHECK(lua.number("P") == (6 * 64 + 64) + 2 * (64 * 64 + 64) + (64 + 1));
  // one finite network at width 64 is near its limit, not equal: a loose sanity bound (the
  // Monte-Carlo convergence is tested in tests/sdk/stax/finite_test.cpp)
  CHECK(arma::norm(E - K, "fro") / arma::norm(K, "fro") < 0.5);
}

TEST_CASE("an MLP written as stax layers equals the fc plugin", "[stax_lua]") {
  StaxLua lua;
  lua.ok(R"(
    local x, y = randn(7, 9, 1), randn(7, 4, 2)
    local fc = ntk.arch("fc", {depth = 2, w_std = 1.3, b_std = 0.4, activation = "erf"})
    local st = ntk.arch("stax", {layers = {
      {"dense", w_std = 1.3, b_std = 0.4}, {"erf"},
      {"dense", w_std = 1.3, b_std = 0.4}, {"erf"}, {"dense", w_std = 1.3, b_std = 0.4}}})
    d1 = (fc:kernel(x, y, "ntk") - st:kernel(x, y, "ntk")):norm() / fc:kernel(x, y, "ntk"):norm()
    d2 = (fc:kernel(x, x, "nngp") - st:kernel(x, x, "nngp")):norm() / fc:kernel(x, x, "nngp"):norm()
  )");
  CHECK(lua.number("d1") < 1e-13);
  CHECK(lua.number("d2") < 1e-13);
}

TEST_CASE("stax on images through input_shape", "[stax_lua]") {
  StaxLua lua;
  lua.ok(R"(
    local st = ntk.arch("stax", {input_shape = {1, 4, 4}, outputs = 2, layers = {
      {"conv", w_std = 1.2, b_std = 0.1, filter = 3}, {"relu"},
      {"residual", alpha = 0.5, branch = {{"conv", w_std = 1.2}, {"relu"}}},
      {"global_avg_pool"}, {"dense", w_std = 1.0}}})
    local x = randn(16, 3, 4)
    K = st:kernel(x, x, "ntk")
    F = st:network{width = 4, seed = 2}:forward(x)
  )");
  CHECK(lua.matrix("K").n_rows == 3);
  CHECK(lua.matrix("F").n_rows == 2);
}

TEST_CASE("stax errors name the layer's position, its name and what is accepted", "[stax_lua]") {
  StaxLua lua;
  CHECK_THAT(lua.error(R"(ntk.arch("stax", {layers = {{"dense"}, {"reluu"}, {"dense"}}}))"),
             Catch::Contains("layer 2") && Catch::Contains("reluu") &&
                 Catch::Contains("layer_norm") && Catch::Contains("gelu"));
  CHECK_THAT(lua.error(R"(ntk.arch("stax", {layers = {{"dense", w_sdt = 1}}}))"),
             Catch::Contains("layer 1") && Catch::Contains("w_sdt") && Catch::Contains("b_std"));
  CHECK_THAT(
      lua.error(R"(ntk.arch("stax", {layers = {{"residual", branch = {{"relu"}, {"dense", b_std = -1}}}}}))"),
      Catch::Contains("layer 1, branch layer 2") && Catch::Contains("b_std"));
  CHECK_THAT(lua.error(R"(
    local st = ntk.arch("stax", {input_shape = {1, 4, 4}, layers = {
      {"conv"}, {"flatten"}, {"conv"}, {"dense"}}})
    local x = randn(16, 2, 1)
    st:kernel(x, x, "ntk"))"),
             Catch::Contains("layer 3") && Catch::Contains("Conv") && Catch::Contains("flatten"));
  CHECK_THAT(lua.error(R"(ntk.arch("stax", {layers = {{1}}}))"),
             Catch::Contains("layers entry 1") && Catch::Contains("name"));
  CHECK_THAT(lua.error(R"(ntk.arch("stax", {outputs = 2}))"), Catch::Contains("'layers' is required"));
}

TEST_CASE("a NaN in a stax kernel names the layer where it appeared", "[stax_lua]") {
  StaxLua lua;
  // exp(b²·Σ) overflows double after a few layers of w_std = 30: the kernel must not be NaN.
  CHECK_THAT(lua.error(R"(
    local st = ntk.arch("stax", {layers = {{"dense", w_std = 30}, {"exp"}, {"dense", w_std = 30},
                                           {"exp"}, {"dense"}}})
    local x = randn(3, 4, 1)
    st:kernel(x, x, "ntk"))"),
             Catch::Contains("layer 4") || Catch::Contains("layer 2"));
}
