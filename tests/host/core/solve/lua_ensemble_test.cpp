// ntk.solve.ensemble through Lua: results equal the engine's (core/solve/ensemble.hpp), the
// shapes and the single-t / list-of-t forms, and errors that name the function and the
// argument at the caller's line.
#include "../../lua/lua_fixture.hpp"

#include "core/solve/ensemble.hpp"

using ntk::lua::test::LuaFixture;
using ntk::lua::test::relative_error;
namespace solve = ntk::core::solve;

namespace {

struct EnsembleFixture : LuaFixture {
  EnsembleFixture() {
    arma::arma_rng::set_seed(23);
    const arma::mat phi = arma::randn(n + m, 30) / std::sqrt(30.0),
                    psi = arma::randn(n + m, 30) / std::sqrt(30.0);
    const arma::mat nngp = arma::symmatu(arma::mat(phi * phi.t()));
    const arma::mat ntk = arma::symmatu(arma::mat(nngp + psi * psi.t()));
    const arma::span tr(0, n - 1), te(n, n + m - 1);
    K = ntk(tr, tr), KT = ntk(te, tr), KTT = ntk(te, te);
    G = nngp(tr, tr), GT = nngp(te, tr), GTT = nngp(te, te);
    Y = arma::randn(2, n);
    for (auto [name, M] : {std::pair{"K", &K}, {"KT", &KT}, {"KTT", &KTT}, {"G", &G},
                           {"GT", &GT}, {"GTT", &GTT}, {"Y", &Y}})
      set_matrix(name, *M);
    ok("function base() return {K_train = K, K_test_train = KT, K_test_test = KTT, Y = Y, "
       "nngp_train = G, nngp_test_train = GT, nngp_test_test = GTT} end; args = base()");
  }
  solve::EnsembleKernels blocks() const { return {&K, &KT, &KTT, &G, &GT, &GTT}; }
  const arma::uword n = 10, m = 4;
  arma::mat K, KT, KTT, G, GT, GTT, Y;
};

}  // namespace

TEST_CASE_METHOD(EnsembleFixture, "ntk.solve.ensemble: one t equals the engine", "[solve][lua]") {
  ok("args.t = 2.5; args.ridge = 0.1; r = ntk.solve.ensemble(args); mean = r.mean; "
     "cov = r.covariance; t = r.t");
  solve::EnsembleOptions o;
  o.ridge = 0.1;
  const auto direct = solve::ensemble_predict(blocks(), Y, arma::vec{2.5}, o).front();
  CHECK(number("t") == 2.5);
  CHECK(matrix("mean").n_rows == 2);
  CHECK(matrix("mean").n_cols == m);
  CHECK(relative_error(matrix("mean"), direct.mean) < 1e-14);
  CHECK(relative_error(matrix("cov"), direct.covariance) < 1e-14);
}

TEST_CASE_METHOD(EnsembleFixture, "ntk.solve.ensemble: a list of t gives a list", "[solve][lua]") {
  ok("args.t = {0, 1, 'inf', math.huge}; r = ntk.solve.ensemble(args); count = #r; "
     "t3 = r[3].t; prior = r[1].covariance; zero = r[1].mean; same = r[3].mean - r[4].mean; "
     "last = r[4].mean");
  CHECK(number("count") == 4);
  CHECK(number("t3") == arma::datum::inf);
  CHECK(arma::approx_equal(matrix("prior"), GTT, "absdiff", 1e-14));
  CHECK(arma::abs(matrix("zero")).max() == 0.0);
  CHECK(arma::abs(matrix("same")).max() == 0.0);
  // At t = inf the mean is the kernel ridge solution.
  ok("ridge_mean = ntk.solve.predict(KT, ntk.solve.ridge(K, Y, 0))");
  CHECK(relative_error(matrix("last"), matrix("ridge_mean")) < 1e-10);
}

TEST_CASE_METHOD(EnsembleFixture, "ntk.solve.ensemble: nngp, mean only, a list of targets",
                 "[solve][lua]") {
  ok("r = ntk.solve.ensemble{K_train = G, K_test_train = GT, K_test_test = GTT, Y = Y, "
     "t = 'inf', kernel = 'nngp'}; cov = r.covariance");
  const arma::mat posterior = GTT - GT * arma::solve(G, GT.t());
  CHECK(relative_error(matrix("cov"), posterior) < 1e-8);
  ok("r = ntk.solve.ensemble{K_train = K, K_test_train = KT, Y = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, "
     "t = 3, covariance = false}; mean = r.mean; no_cov = r.covariance == nil");
  CHECK(boolean("no_cov"));
  CHECK(matrix("mean").n_rows == 1);
  CHECK(matrix("mean").n_cols == m);
}

TEST_CASE_METHOD(EnsembleFixture, "ntk.solve.ensemble: errors name the argument",
                 "[solve][lua]") {
  using Catch::Matchers::Contains;
  const auto fails = [&](const std::string& call, const std::string& needle) {
    const std::string message = error("args = base(); " + call);
    INFO(message);
    CHECK_THAT(message, Contains("snippet:1:") && Contains("ntk.solve.ensemble") &&
                            Contains(needle));
  };
  fails("args.t = -1; ntk.solve.ensemble(args)", "t[1] = -1");
  fails("args.t = {1, 0/0}; ntk.solve.ensemble(args)", "t[2] = ");
  fails("args.t = 'soon'; ntk.solve.ensemble(args)", "field 't'");
  fails("args.t = nil; ntk.solve.ensemble(args)", "field 't' is required");
  fails("args.t = 1; args.nngp_train = nil; ntk.solve.ensemble(args)", "nngp_train is missing");
  fails("args.t = 1; args.kernel = 'gp'; ntk.solve.ensemble(args)", "field 'kernel'");
  fails("args.t = 1; args.ridge = -1; ntk.solve.ensemble(args)", "field 'ridge'");
  fails("args.t = 1; args.Y = ntk.matrix(2, 3); ntk.solve.ensemble(args)", "Y is 2 x 3");
  fails("args.t = 1; args.K_test_train = K; ntk.solve.ensemble(args)", "K_test_test is 4 x 4");
  fails("args.t = 1; args.lr = 1; ntk.solve.ensemble(args)", "unknown field 'lr'");
  fails("args.t = 1; args.K_train = KT; ntk.solve.ensemble(args)", "K_train is 4 x 10; expected");
}
