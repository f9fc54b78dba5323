// ntk.solve and ntk.analysis through Lua: results equal direct calls of the engine, the
// caller's kernel is left untouched, objects answer their methods, and misuse raises errors at
// the caller's line. (Kept beside the engine tests of host/src/core/solve.)
#include "../../lua/lua_fixture.hpp"

#include "core/analysis/generalization_bound.hpp"
#include "core/analysis/interpolation_decomposition.hpp"
#include "core/analysis/kernel_statistics.hpp"
#include "core/solve/cross_validation.hpp"
#include "core/solve/kernel_ridge.hpp"
#include "core/solve/kernel_svm.hpp"
#include "core/solve/spectral.hpp"

using ntk::lua::test::LuaFixture;
using ntk::lua::test::relative_error;
namespace solve = ntk::core::solve;
namespace analysis = ntk::core::analysis;

namespace {

struct SolveFixture : LuaFixture {
  SolveFixture() {
    arma::arma_rng::set_seed(17);
    const arma::mat features = arma::randn(n + m, 30) / std::sqrt(30.0);
    const arma::mat full = arma::symmatu(arma::mat(features * features.t())) +
                           0.1 * arma::eye(n + m, n + m);
    K = full.submat(0, 0, n - 1, n - 1);
    K_test = full.submat(n, 0, n + m - 1, n - 1);
    y = arma::sign(arma::randn(1, n));
    y_test = arma::sign(arma::randn(1, m));
    set_matrix("K", K);
    set_matrix("KT", K_test);
    set_matrix("Y", y);
    set_matrix("YT", y_test);
  }
  const arma::uword n = 20, m = 6;
  arma::mat K, K_test, y, y_test;
};

}  // namespace

TEST_CASE("ntk.solve.ridge / interpolate / predict equal the engine", "[lua][solve]") {
  SolveFixture lua;
  lua.ok(R"(
    r = ntk.solve.ridge(K, Y, 0.5)
    A, method, cond, nwarn = r.alpha, r.method, r.condition_number, #r.warnings
    P = ntk.solve.predict(KT, r)
    P2 = ntk.solve.predict(KT, r.alpha)
    I = ntk.solve.interpolate(K, Y).alpha
    list_alpha = ntk.solve.ridge(K, {1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1}, 0.5).alpha
    Kafter = K
  )");
  const solve::RidgeSolution direct = solve::kernel_ridge(lua.K, lua.y, 0.5);
  CHECK(relative_error(lua.matrix("A"), direct.alpha) < 1e-13);
  CHECK(lua.string("method") == "cholesky");
  CHECK(lua.number("cond") == Approx(direct.condition_number));
  CHECK(lua.number("nwarn") == 0);
  CHECK(relative_error(lua.matrix("P"), solve::predict(lua.K_test, direct.alpha)) < 1e-13);
  CHECK(relative_error(lua.matrix("P2"), lua.matrix("P")) == 0);
  CHECK(relative_error(lua.matrix("I"), solve::interpolate(lua.K, lua.y).alpha) < 1e-13);
  CHECK(lua.matrix("list_alpha").n_rows == lua.n);
  CHECK(arma::all(arma::vectorise(lua.matrix("Kafter") == lua.K)));  // restored bit for bit
}

TEST_CASE("ntk.solve.spectral answers ridges, times and losses", "[lua][solve]") {
  SolveFixture lua;
  lua.ok(R"(
    S = ntk.solve.spectral(K, Y, {K_test = KT})
    r = S:ridge(0.1)
    RA, RT, RX = r.alpha, r.train, r.test
    many = S:ridge({0.1, 1})
    M2 = many[2].test
    U = S:train_predictions(2.0)
    F = S:test_predictions(2.0)
    Fs = S:test_predictions({0.5, 2.0})
    Finf = S:test_predictions(math.huge)
    loss = S:loss(2.0)
    curve = S:loss_curve({0, 2.0})
    c1, c2 = curve[1], curve[2]
    E = S:eigenvalues()
    n, k, m = S:size()
    text = tostring(S)
  )");
  solve::SpectralOptions options;
  options.K_test = lua.K_test;
  const solve::SpectralSolver s(lua.K, lua.y, options);
  CHECK(relative_error(lua.matrix("RA"), s.ridge_alpha(0.1)) < 1e-13);
  CHECK(relative_error(lua.matrix("RT"), s.ridge_train_predictions(0.1)) < 1e-13);
  CHECK(relative_error(lua.matrix("RX"), s.ridge_test_predictions(0.1)) < 1e-13);
  CHECK(relative_error(lua.matrix("M2"), s.ridge_test_predictions(1.0)) < 1e-12);
  CHECK(relative_error(lua.matrix("U"), s.train_predictions(2.0)) < 1e-13);
  CHECK(relative_error(lua.matrix("F"), s.test_predictions(2.0)) < 1e-13);
  CHECK(relative_error(lua.matrix("Finf"),
                       solve::predict(lua.K_test, solve::interpolate(lua.K, lua.y).alpha)) < 1e-8);
  CHECK(lua.number("loss") == Approx(s.loss(2.0)));
  CHECK(lua.number("c1") == Approx(arma::accu(arma::square(lua.y)) / (2.0 * lua.n)));
  CHECK(lua.number("c2") == Approx(s.loss(2.0)));
  CHECK(lua.matrix("E")(0, 0) == Approx(s.eigenvalues().max()));
  CHECK(lua.number("n") == lua.n);
  CHECK(lua.number("m") == lua.m);
  CHECK(lua.string("text").find("ntk.spectral") == 0);
  lua.ok("F2 = Fs[2]");
  CHECK(relative_error(lua.matrix("F2"), s.test_predictions(2.0)) < 1e-12);
  CHECK(lua.error("S = ntk.solve.spectral(K, Y)\nS:test_predictions(1)").find("snippet:2:") !=
        std::string::npos);
}

TEST_CASE("ntk.solve.svm, kfold, folds, cross_validate and select", "[lua][solve]") {
  SolveFixture lua;
  lua.ok(R"(
    model = ntk.solve.svm{K = K, labels = Y, C = 10}
    pred = model:predict(KT)
    acc = model:accuracy(K, Y)
    nclasses = #model:classes()
    nsv = #model:support_indices()
    integers = math.type(model:classes()[1]) .. " " .. math.type(model:support_indices()[1]) ..
               " " .. math.type(ntk.solve.kfold(20, 4, 7)[1].test[1])
    splits = ntk.solve.kfold(20, 4, 7)
    nsplits, first_test = #splits, splits[1].test[1]
    explicit = ntk.solve.folds({{1, 2}, {3}}, 5)
    explicit_train = #explicit[1].train
    cv = ntk.solve.cross_validate{n = 20, k = 4, seed = 7, fit = function(s)
      local Kt = ntk.solve.select(K, s.train, s.train)
      local Yt = ntk.solve.select(Y, nil, s.train)
      local r = ntk.solve.ridge(Kt, Yt, 0.1)
      local P = ntk.solve.predict(ntk.solve.select(K, s.test, s.train), r)
      local D = P - ntk.solve.select(Y, nil, s.test)
      return D:norm()^2 / #s.test
    end}
    cv_mean, cv_n = cv.mean, #cv.scores
    Ksub = ntk.solve.select(K, {2, 1}, {3})
  )");
  const solve::KernelSvm svm(lua.K, lua.y.t(), solve::SvmOptions{10.0});
  CHECK(arma::all(arma::vectorise(lua.matrix("pred")) == svm.predict(lua.K_test)));
  CHECK(lua.number("acc") == Approx(arma::mean(arma::conv_to<arma::vec>::from(
                                 svm.predict(lua.K) == lua.y.t()))));
  CHECK(lua.number("nclasses") == 2);
  CHECK(lua.number("nsv") == svm.support_indices().n_elem);
  CHECK(lua.string("integers") == "integer integer integer");  // classes and indices
  CHECK(lua.number("nsplits") == 4);
  CHECK(lua.number("first_test") == solve::kfold(20, 4, 7)[0].test[0] + 1);
  CHECK(lua.number("explicit_train") == 3);
  const solve::CrossValidation cv = solve::cross_validate(20, 4, 7, [&](const solve::Split& s) {
    const solve::RidgeSolution r =
        solve::kernel_ridge(lua.K.submat(s.train, s.train), lua.y.cols(s.train), 0.1);
    const arma::mat d = solve::predict(lua.K.submat(s.test, s.train), r.alpha) - lua.y.cols(s.test);
    return arma::accu(arma::square(d)) / static_cast<double>(s.test.n_elem);
  });
  CHECK(lua.number("cv_mean") == Approx(cv.mean).epsilon(1e-12));
  CHECK(lua.number("cv_n") == 4);
  const arma::mat sub = lua.matrix("Ksub");
  CHECK(sub(0, 0) == lua.K(1, 2));
  CHECK(sub(1, 0) == lua.K(0, 2));
  CHECK(lua.error("ntk.solve.kfold(10, 20, 1)").find("snippet:1:") != std::string::npos);
  CHECK(lua.error("ntk.solve.svm{K = K, labels = Y, gamma = 1}").find("unknown field 'gamma'") !=
        std::string::npos);
  CHECK(lua.error("ntk.solve.cross_validate{n = 20, fit = function() error('boom') end}")
            .find("boom") != std::string::npos);
}

TEST_CASE("ntk.analysis functions equal the engine", "[lua][analysis]") {
  SolveFixture lua;
  arma::arma_rng::set_seed(18);
  const arma::mat f0 = arma::randn(1, lua.n), f0_test = arma::randn(1, lua.m);
  lua.set_matrix("F0", f0);
  lua.set_matrix("F0T", f0_test);
  lua.ok(R"(
    sp = ntk.analysis.spectrum(K, Y)
    top, P = sp.eigenvalues:get(1, 1), sp.projections
    b = ntk.analysis.bound(K, Y).bound
    bh = ntk.analysis.bound(K, Y, {normalize = "half_diagonal"}).bound
    d = ntk.analysis.decomposition{K_test_train = KT, K_train = K, y = Y, f0_train = F0, f0_test = F0T}
    INIT, INT = d.initialization, d.interpolation
    lb = ntk.analysis.lower_bound{K_test_train = KT, K_train = K, y = Y, f0_train = F0,
                                  f0_test = F0T, y_test = YT, sigma = 2, layers = 2}
    J, Js, bound = lb.J, lb.J_sigma, lb.bound
    cr = ntk.analysis.class_ratios(K, Y)
    same, diff = cr.same_class, cr.different_class
    al = ntk.analysis.alignment(K, Y)
    kd = ntk.analysis.kernel_distance(K, K * 2)
    rd = ntk.analysis.relative_distance(K * 2, K)
  )");
  CHECK(lua.number("top") == Approx(arma::eig_sym(lua.K).max()));
  CHECK(arma::accu(arma::square(lua.matrix("P"))) == Approx(static_cast<double>(lua.n)));
  CHECK(lua.number("b") == Approx(analysis::generalization_bound(lua.K, lua.y.t()).bound));
  CHECK(lua.number("bh") ==
        Approx(analysis::generalization_bound(lua.K, lua.y.t(),
                                              analysis::BoundNormalization::HalfDiagonal).bound));
  analysis::DecompositionInputs in;
  in.K_test_train = lua.K_test;
  in.K_train = lua.K;
  in.Y = lua.y;
  in.f0_train = f0;
  in.f0_test = f0_test;
  const analysis::LowerBound lb = analysis::lower_bound(in, lua.y_test, 2.0, 2);
  CHECK(relative_error(lua.matrix("INIT"), lb.decomposition.initialization) < 1e-13);
  CHECK(relative_error(lua.matrix("INT"), lb.decomposition.interpolation) < 1e-13);
  CHECK(lua.number("J") == Approx(lb.J));
  CHECK(lua.number("Js") == Approx(lb.J_sigma));
  CHECK(lua.number("bound") == Approx(lb.bound));
  const analysis::ClassRatios cr = analysis::class_ratios(lua.K, lua.y.t());
  CHECK(lua.number("same") == Approx(cr.same_class));
  CHECK(lua.number("diff") == Approx(cr.different_class));
  CHECK(lua.number("al") == Approx(analysis::alignment(lua.K, lua.y)));
  CHECK(lua.number("kd") == Approx(0.0).margin(1e-14));
  CHECK(lua.number("rd") == Approx(1.0));
  CHECK(lua.error("ntk.analysis.bound(K, Y * 2)").find("-1 or +1") != std::string::npos);
  CHECK(lua.error("ntk.analysis.decomposition{K_train = K}").find("K_test_train") !=
        std::string::npos);
}
