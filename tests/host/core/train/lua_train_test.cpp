// ntk.train through Lua: results equal direct calls of the engine on the same fc network,
// the network is trained in place, the linearised trainers agree with each other, and misuse
// raises errors at the caller's line. (Kept beside the engine tests of host/src/core/train.)
#include "../../lua/lua_fixture.hpp"

#include "core/train/gradient_descent.hpp"
#include "core/train/linearized.hpp"

using ntk::lua::test::LuaFixture;
using ntk::lua::test::relative_error;
namespace train = ntk::core::train;

namespace {

struct TrainFixture : LuaFixture {
  TrainFixture() {
    registry.discover({ntk::lua::test::build_dir() + "/plugins"});
    REQUIRE_NOTHROW(registry.find("fc"));
    arma::arma_rng::set_seed(5);
    x = arma::randn(4, 12);
    y = arma::sign(arma::randn(1, 12));
    x_test = arma::randn(4, 6);
    y_test = arma::sign(arma::randn(1, 6));
    set_matrix("X", x);
    set_matrix("Y", y);
    set_matrix("XT", x_test);
    set_matrix("YT", y_test);
    ok("fc = ntk.arch('fc', {depth = 1, activation = 'erf', b_std = 0.1})\n"
       "train, test = {x = X, y = Y}, {x = XT, y = YT}");
  }
  std::unique_ptr<ntk::sdk::Network> network(arma::uword width, std::uint64_t seed) {
    return registry.make("fc", {{"depth", 1.0}, {"activation", std::string("erf")},
                                {"b_std", 0.1}})
        ->network({width, seed});
  }
  arma::mat x, y, x_test, y_test;
};

}  // namespace

TEST_CASE("ntk.train.gd equals the engine and trains the network in place", "[lua][train]") {
  TrainFixture lua;
  lua.ok(R"(
    net = fc:network{width = 64, seed = 3}
    r = ntk.train.gd{net = net, data = train, max_steps = 60, record_every = 20,
                     record = {test = test}, probe = XT, snapshot_every = 30}
    status, steps, lr, loss, test_loss = r.status, r.steps, r.lr, r.train_loss, r.test_loss
    acc, rows, row2_step, row2_acc = r.train_accuracy, #r.history, r.history[2].step,
                                     r.history[2].train_accuracy
    P, F = net:params(), r.test_predictions
    nsnap, d_last, v2 = #r.kernel.snapshots, r.kernel_distance[#r.kernel_distance], r.kernel.velocity[2]
  )");
  auto net = lua.network(64, 3);
  const train::Labelled tr{ntk::sdk::Inputs::dense(lua.x), lua.y};
  const train::Labelled te{ntk::sdk::Inputs::dense(lua.x_test), lua.y_test};
  const ntk::sdk::Inputs probe = ntk::sdk::Inputs::dense(lua.x_test);
  train::TrainOptions o;
  o.max_steps = 60;
  o.record_every = 20;
  o.probe = &probe;
  o.snapshot_every = 30;
  const train::TrainResult r = train::gradient_descent(*net, tr, o, &te);
  CHECK(lua.string("status") == "max_steps");
  CHECK(lua.number("steps") == 60);
  CHECK(lua.number("lr") == Approx(r.lr).epsilon(1e-12));
  CHECK(lua.number("loss") == Approx(r.train_loss).epsilon(1e-10));
  CHECK(lua.number("test_loss") == Approx(r.test_loss).epsilon(1e-10));
  CHECK(lua.number("acc") == Approx(r.train_accuracy));
  CHECK(lua.number("rows") == 4);  // steps 0, 20, 40, 60
  CHECK(lua.number("row2_step") == 20);
  CHECK(lua.number("row2_acc") == Approx(r.history[1].train_accuracy));
  CHECK(relative_error(lua.matrix("P"), r.params) < 1e-10);
  CHECK(relative_error(lua.matrix("F"), r.test_predictions) < 1e-10);
  CHECK(lua.number("nsnap") == 3);
  CHECK(lua.number("d_last") == Approx(r.kernel.distance_from_init.back()).epsilon(1e-8));
  CHECK(lua.number("v2") == Approx(r.kernel.velocity[1]).epsilon(1e-8));
}

TEST_CASE("ntk.train.linearized matches linearized_closed_form and leaves the net", "[lua][train]") {
  TrainFixture lua;
  lua.ok(R"(
    net = fc:network{width = 32, seed = 4}
    net:forward(X)  -- fc draws its parameters at the first input
    P0 = net:params()
    g = ntk.train.linearized{net = net, data = train, steps = 150, record = {test = test}}
    c = ntk.train.linearized_closed_form{net = net, data = train, steps = 150, lr = g.lr, test = test}
    cx = ntk.train.linearized_closed_form{net = net, data = train, steps = 150, test = XT}
    flow = ntk.train.linearized_closed_form{net = net, data = train, time = 150 * g.lr}
    GT, CT, CXT, GTR, CTR = g.test_predictions, c.test, cx.test, g.train_predictions, c.train
    FLOW = flow.train
    P1 = net:params()
    u = ntk.train.linearized{net = net, data = train, steps = 10, update = true}
    P2, W = net:params(), u.params
    has_acc = c.test_accuracy ~= nil and cx.test_accuracy == nil
  )");
  CHECK(relative_error(lua.matrix("P1"), lua.matrix("P0")) == 0.0);
  CHECK(relative_error(lua.matrix("GT"), lua.matrix("CT")) < 1e-8);
  CHECK(relative_error(lua.matrix("GTR"), lua.matrix("CTR")) < 1e-8);
  CHECK(relative_error(lua.matrix("CXT"), lua.matrix("CT")) < 1e-12);  // "auto" = g.lr
  CHECK(relative_error(lua.matrix("P2"), lua.matrix("W")) == 0.0);
  CHECK(lua.boolean("has_acc"));
  // Flow for time 150·lr is close to, not equal to, 150 discrete steps.
  const double gap = relative_error(lua.matrix("FLOW"), lua.matrix("CTR"));
  CHECK(gap > 0);
  CHECK(gap < 0.1);
}

TEST_CASE("ntk.train reports divergence and refuses bad arguments", "[lua][train]") {
  TrainFixture lua;
  lua.ok(R"(
    net = fc:network{width = 16, seed = 1}
    r = ntk.train.gd{net = net, data = train, lr = 1e5, max_steps = 100}
    status, message, finite = r.status, r.message, r.train_loss == r.train_loss
    d0 = ntk.train.kernel_distance(X:t() * X, X:t() * X)
    c = ntk.train.linearized_closed_form{net = net, data = train, lr = 1e5, steps = 5000}
    c_status, c_message = c.status, c.message
    c_ok = ntk.train.linearized_closed_form{net = net, data = train, steps = 10}.status
  )");
  CHECK(lua.string("c_status") == "diverged");
  CHECK(lua.string("c_message").find("diverged after 5000 steps") != std::string::npos);
  CHECK(lua.string("c_ok") == "ok");
  CHECK(lua.string("status") == "diverged");
  CHECK(lua.string("message").find("diverged at step") != std::string::npos);
  CHECK(lua.boolean("finite"));
  CHECK(lua.number("d0") == Approx(0.0).margin(1e-14));
  CHECK_THAT(lua.error("ntk.train.gd{net = net, data = train, lr = 'fast'}"),
             Catch::Contains("snippet:1:") &&
                 Catch::Contains("ntk.train.gd: field 'lr' must be a number > 0 or \"auto\", got 'fast'"));
  CHECK_THAT(lua.error("ntk.train.gd{net = net, data = train, epochs = 3}"),
             Catch::Contains("ntk.train.gd: unknown field 'epochs' (known fields: data, lambda, lr, "
                             "lr_fraction, max_steps, net, probe, record, record_every, regularizer, "
                             "snapshot_every, steps, until_loss)"));
  CHECK_THAT(lua.error("ntk.train.gd{net = net}"),
             Catch::Contains("ntk.train.gd: field 'data' is required"));
  CHECK_THAT(lua.error("ntk.train.gd{net = net, data = train, max_steps = 2.5}"),
             Catch::Contains("ntk.train.gd: field 'max_steps' must be an integer >= 0, got 2.5"));
  CHECK_THAT(lua.error("ntk.train.gd{net = net, data = {x = X}}"),
             Catch::Contains("ntk.train.gd: field 'data': field 'y' (an ntk.matrix) is required"));
  CHECK_THAT(lua.error("ntk.train.gd{net = net, data = train, record = {tset = train}}"),
             Catch::Contains("ntk.train.gd: field 'record': unknown field 'tset' (known fields: test)"));
  CHECK_THAT(lua.error("ntk.train.gd{net = net, data = {x = X, y = X}}"),
             Catch::Contains("4 rows but the network has 1 outputs"));
  CHECK_THAT(lua.error("ntk.train.gd{net = net, data = train, regularizer = 'l1', lambda = 1}"),
             Catch::Contains("field 'regularizer' must be one of none, rdi, aux, got 'l1'"));
  CHECK_THAT(lua.error("ntk.train.linearized_closed_form{net = net, data = train}"),
             Catch::Contains("exactly one of steps"));
}
