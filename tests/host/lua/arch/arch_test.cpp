// ntk.arch and networks through Lua: results equal direct calls of the FC plugin, shapes
// follow the contract, jvp/vjp are adjoint, errors pass through with the caller's line.
#include <cmath>

#include "../lua_fixture.hpp"

using ntk::lua::test::LuaFixture;
using ntk::lua::test::relative_error;

namespace {

struct FcFixture : LuaFixture {
  FcFixture() {
    registry.discover({ntk::lua::test::build_dir() + "/plugins"});
    REQUIRE_NOTHROW(registry.find("fc"));
    arma::arma_rng::set_seed(17);
    x = arma::randn(5, 6);
    y = arma::randn(5, 4);
    set_matrix("X", x);
    set_matrix("Y", y);
  }
  ntk::sdk::Options options() const {
    return {{"depth", 2.0}, {"activation", std::string("relu")}, {"w_std", 1.5},
            {"b_std", 0.1}, {"outputs", 2.0}, {"input_dim", 5.0}};
  }
  arma::mat x, y;
};

const char* kMakeFc =
    "fc = ntk.arch('fc', {depth = 2, activation = 'relu', w_std = 1.5, b_std = 0.1, outputs = 2,"
    " input_dim = 5})\n";

}  // namespace

TEST_CASE("arch:kernel and arch:kernels equal the plugin's own kernels", "[lua][arch]") {
  FcFixture lua;
  lua.ok(std::string(kMakeFc) + R"(
    K = fc:kernel(X, Y, "ntk"); G = fc:kernel(X, Y, "nngp"); D = fc:kernel(X, Y)
    S = fc:kernel(X, X); S1 = fc:kernel(X); S2 = fc:kernel(X, X:copy()); SG = fc:kernel(X, "nngp")
    both = fc:kernels(X, Y)
    KN, KG = both.ntk, both.nngp
    description, name, outputs = fc:describe(), fc:name(), fc:outputs()
  )");
  auto arch = lua.registry.make("fc", lua.options());
  const auto a = ntk::sdk::Inputs::dense(lua.x), b = ntk::sdk::Inputs::dense(lua.y);
  const ntk::sdk::Kernels k = arch->kernels(a, b, {true, true});
  const ntk::sdk::Kernels s = arch->kernels(a, a, {true, true});

  const arma::mat lua_k = lua.matrix("K");
  CHECK(lua_k.n_rows == 6);
  CHECK(lua_k.n_cols == 4);
  CHECK(relative_error(lua_k, k.ntk) < 1e-14);
  CHECK(relative_error(lua.matrix("D"), k.ntk) < 1e-14);
  CHECK(relative_error(lua.matrix("G"), k.nngp) < 1e-14);
  CHECK(relative_error(lua.matrix("KN"), k.ntk) < 1e-14);
  CHECK(relative_error(lua.matrix("KG"), k.nngp) < 1e-14);
  CHECK(relative_error(lua.matrix("S"), s.ntk) < 1e-14);
  CHECK(relative_error(lua.matrix("S1"), s.ntk) < 1e-14);
  CHECK(relative_error(lua.matrix("SG"), s.nngp) < 1e-14);
  // The two-object path (a copy of X) agrees with the one-triangle path up to the rounding of
  // the diagonal: there cos θ = 1 ± ε and θ = acos(·) moves by √ε ≈ 1e-8 (measured 2e-10).
  CHECK(relative_error(lua.matrix("S2"), s.ntk) < 1e-8);
  CHECK(lua.string("description") == arch->describe());
  CHECK(lua.string("name") == "fc");
  CHECK(lua.number("outputs") == 2);
}

TEST_CASE("a one-hidden-layer ReLU kernel has the closed-form diagonal", "[lua][arch]") {
  // serial(Dense(1, 0), Relu, Dense(1, 0)) in the stax convention: with q = |x|²/d the
  // diagonal NNGP is q/2 (E[relu(u)²] = q/2) and the NTK is q/2 + q·E[relu'(u)²] = q.
  FcFixture lua;
  lua.ok(R"(
    relu = ntk.arch("fc", {depth = 1, activation = "relu", w_std = 1, b_std = 0})
    N = relu:kernel(X, X, "ntk"); G = relu:kernel(X, X, "nngp")
  )");
  const arma::vec q = arma::sum(arma::square(lua.x), 0).t() / double(lua.x.n_rows);
  CHECK(relative_error(arma::mat(arma::diagvec(lua.matrix("N"))), arma::mat(q)) < 1e-12);
  CHECK(relative_error(arma::mat(arma::diagvec(lua.matrix("G"))), arma::mat(q / 2)) < 1e-12);
}

TEST_CASE("network methods have the contract's shapes and equal the plugin's network",
          "[lua][arch]") {
  FcFixture lua;
  arma::arma_rng::set_seed(23);
  lua.ok(std::string(kMakeFc) + R"(
    net = fc:network{width = 32, seed = 7}
    P, k = net:num_params(), net:outputs()
    F = net:forward(X); J = net:jacobian(X); W = net:params()
    NTK_XY = net:ntk(X, Y); NTK_XX = net:ntk(X)
    JY = net:jacobian(Y)
  )");
  const arma::uword p = arma::uword(lua.number("P")), k = 2, n = 6;
  CHECK(lua.number("k") == k);
  auto arch = lua.registry.make("fc", lua.options());
  auto direct = arch->network({32, 7});
  REQUIRE(direct->num_params() == p);
  const auto a = ntk::sdk::Inputs::dense(lua.x);

  const arma::mat f = lua.matrix("F");
  CHECK(f.n_rows == k);
  CHECK(f.n_cols == n);
  CHECK(relative_error(f, direct->forward(a)) < 1e-14);
  const arma::mat jac = lua.matrix("J");
  CHECK(jac.n_rows == n * k);
  CHECK(jac.n_cols == p);
  CHECK(relative_error(jac, direct->jacobian(a)) < 1e-14);
  const arma::mat w = lua.matrix("W");
  CHECK(w.n_rows == p);
  CHECK(w.n_cols == 1);
  CHECK(arma::approx_equal(w, arma::mat(direct->params()), "absdiff", 0.0));

  // The empirical NTK averages the k output blocks of J_X J_Yᵀ.
  const arma::mat full = jac * lua.matrix("JY").t();
  const arma::mat expected = ntk::sdk::Network::average_output_blocks(full, k);
  CHECK(lua.matrix("NTK_XY").n_rows == n);
  CHECK(relative_error(lua.matrix("NTK_XY"), expected) < 1e-10);
  const arma::mat expected_xx = ntk::sdk::Network::average_output_blocks(jac * jac.t(), k);
  CHECK(relative_error(lua.matrix("NTK_XX"), expected_xx) < 1e-10);
}

TEST_CASE("jvp and vjp through Lua are adjoint and agree with the Jacobian", "[lua][arch]") {
  FcFixture lua;
  lua.ok(std::string(kMakeFc) + "net = fc:network{width = 16, seed = 2}\nP = net:num_params()");
  const arma::uword p = arma::uword(lua.number("P"));
  arma::arma_rng::set_seed(29);
  lua.set_matrix("v", arma::randn(p, 1));
  lua.set_matrix("r", arma::randn(2, 6));
  lua.ok(R"(
    Jv = net:jvp(X, v); Jtr = net:vjp(X, r); J = net:jacobian(X)
    local lhs, rhs = 0, 0
    for i = 1, r:rows() do for j = 1, r:cols() do lhs = lhs + r:get(i, j) * Jv:get(i, j) end end
    for i = 1, P do rhs = rhs + Jtr:get(i, 1) * v:get(i, 1) end
    rel = math.abs(lhs - rhs) / math.abs(lhs)
  )");
  CHECK(lua.number("rel") < 1e-10);
  const arma::mat jac = lua.matrix("J");
  const arma::mat v = lua.matrix("v"), r = lua.matrix("r");
  const arma::mat jv = lua.matrix("Jv");
  REQUIRE(jv.n_rows == 2);
  REQUIRE(jv.n_cols == 6);
  CHECK(relative_error(arma::mat(arma::vectorise(jv)), jac * v) < 1e-10);
  CHECK(relative_error(lua.matrix("Jtr"), jac.t() * arma::vectorise(r)) < 1e-10);
}

TEST_CASE("set_params changes the network; the network outlives its architecture value",
          "[lua][arch]") {
  FcFixture lua;
  lua.ok(std::string(kMakeFc) + R"(
    net = fc:network{width = 8, seed = 1}
    W0 = net:params()
    F0 = net:forward(X)
    assert(net:set_params(W0 * 2) == net)
    W1 = net:params()
    F1 = net:forward(X)
    fc = nil
    collectgarbage(); collectgarbage()
    F2 = net:forward(X)     -- the plugin library is still loaded
  )");
  CHECK(relative_error(lua.matrix("W1"), 2 * lua.matrix("W0")) < 1e-15);
  CHECK(arma::norm(lua.matrix("F1") - lua.matrix("F0"), "fro") > 0);
  CHECK(relative_error(lua.matrix("F2"), lua.matrix("F1")) < 1e-15);
}

TEST_CASE("arch and network errors name the problem at the caller's line", "[lua][arch]") {
  FcFixture lua;
  std::string e = lua.error("\nlocal a = ntk.arch('fc', {depht = 2})");
  CHECK_THAT(e, Catch::Contains("snippet:2:"));
  CHECK_THAT(e, Catch::Contains("depht"));
  CHECK_THAT(e, Catch::Contains("depth"));  // the known keys are listed
  CHECK_THAT(e, Catch::Contains("activation"));

  e = lua.error("local a = ntk.arch('fc', {activation = print})");
  CHECK_THAT(e, Catch::Contains("option 'activation' is a function"));

  e = lua.error("local a = ntk.arch('no_such_plugin', {})");
  CHECK_THAT(e, Catch::Contains("no_such_plugin"));

  lua.ok(kMakeFc);
  e = lua.error("local K = fc:kernel(X, Y, 'cntk')");
  CHECK_THAT(e, Catch::Contains("unknown kernel \"cntk\""));
  e = lua.error("local K = fc:kernel(X, ntk.matrix(3, 2))");
  CHECK_THAT(e, Catch::Contains("snippet:1:"));
  e = lua.error("local K = fc:kernel(X, {1, 2})");
  CHECK_THAT(e, Catch::Contains("bad argument #2 to 'kernel'"));
  e = lua.error("local n = fc:network{width = 0, seed = 1}");
  CHECK_THAT(e, Catch::Contains("network: field 'width' must be an integer >= 1, got 0"));
  e = lua.error("local n = fc:network{seed = 1}");
  CHECK_THAT(e, Catch::Contains("network: field 'width' is required"));
  e = lua.error("local n = fc:network{width = 4, sed = 1}");
  CHECK_THAT(e, Catch::Contains("network: unknown field 'sed' (known fields: seed, width)"));

  lua.ok("net = fc:network{width = 4, seed = 1}");
  e = lua.error("\n\nlocal g = net:vjp(X, ntk.matrix(1, 6))");
  CHECK_THAT(e, Catch::Contains("snippet:3:"));
  CHECK_THAT(e, Catch::Contains("cotangent is 1 x 6 but forward(x) is 2 x 6"));
  e = lua.error("local g = net:jvp(X, ntk.matrix(3, 1))");
  CHECK_THAT(e, Catch::Contains("the tangent is 3 x 1"));
  e = lua.error("net:set_params(ntk.matrix(2, 2))");
  CHECK_THAT(e, Catch::Contains("parameters"));
}

TEST_CASE("ntk.plugins lists the loaded plugins with their options", "[lua][arch]") {
  FcFixture lua;
  lua.ok(R"(
    found, has_depth = false, false
    for _, p in ipairs(ntk.plugins()) do
      if p.name == "fc" then
        found = type(p.version) == "string" and #p.version > 0
        for _, o in ipairs(p.options) do
          if o.name == "depth" and o.default ~= nil and type(o.doc) == "string" then has_depth = true end
        end
      end
    end
  )");
  CHECK(lua.boolean("found"));
  CHECK(lua.boolean("has_depth"));
}

TEST_CASE("a network whose derivatives overflow says so instead of returning inf", "[lua][arch]") {
  FcFixture lua;
  // fc depth 200, relu, w_std 10: outputs and Jacobian ~1e169 (finite), the empirical NTK inf.
  lua.ok(R"(
    net = ntk.arch("fc", {depth = 200, activation = "relu", w_std = 10, input_dim = 3})
            :network{width = 16, seed = 1}
    x = ntk.matrix(3, 2, 1)
    f1 = net:forward(x):get(1, 1)
  )");
  CHECK(std::isfinite(lua.number("f1")));
  CHECK_THAT(lua.error("K = net:ntk(x, x)"),
             Catch::Contains("net:ntk(): entry (1, 1) of the empirical NTK is inf") &&
                 Catch::Contains("smaller w_std"));
  // The Jacobian itself (~1e170) is still finite; its Gram J Jᵀ is what overflows.
  lua.ok("J = net:jacobian(x)");
}

TEST_CASE("kernels beyond the double range: refused naming the layer, or K / 2^s and s with "
          "log_scale", "[lua][arch]") {
  FcFixture lua;
  // fc relu, b_std = 0, w_std 15, depth 200: the NNGP is 15^402 / 2^200 times the input's,
  // about 1e413 (homogeneity), while its normalised values are those of w_std = 1.
  lua.ok(R"(
    deep = ntk.arch("fc", {depth = 200, activation = "relu", w_std = 15, b_std = 0})
    flat = ntk.arch("fc", {depth = 200, activation = "relu", w_std = 1, b_std = 0})
    K, s = deep:kernel(X, "nngp", {log_scale = true})
    K1, s1 = flat:kernel(X, "nngp", {log_scale = true})
    both = deep:kernels(X, X, {log_scale = true})
    rho = K:get(1, 2) / math.sqrt(K:get(1, 1) * K:get(2, 2))
    rho1 = K1:get(1, 2) / math.sqrt(K1:get(1, 1) * K1:get(2, 2))
    log2_entry = math.log(K:get(1, 1), 2) + s
    log2_entry1 = math.log(K1:get(1, 1), 2)
    s_type = math.type(s)
    both_s = both.log2_scale
  )");
  CHECK(lua.string("s_type") == "integer");
  CHECK(lua.number("s") > 1024);
  CHECK(lua.number("s1") == 0);
  CHECK(lua.number("both_s") == lua.number("s"));
  CHECK(lua.number("rho") == Approx(lua.number("rho1")).epsilon(1e-11));
  CHECK(lua.number("log2_entry") ==
        Approx(lua.number("log2_entry1") + 402 * std::log2(15.0)).epsilon(1e-12));
  const std::string e = lua.error("K = deep:kernel(X, 'nngp')");
  CHECK_THAT(e, Catch::Contains("above the double range") &&
                    Catch::Contains("log_scale = true") && Catch::Contains("they left it at layer"));
  CHECK_THAT(lua.error("K = deep:kernel(X, 'nngp', {log_scal = true})"),
             Catch::Contains("log_scal"));
}
