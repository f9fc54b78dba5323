// ensemble_predict (core/solve/ensemble.hpp) against independent truths: the kernel ridge
// solution at t = ∞, the prior at t = 0, a Runge–Kutta integration of the gradient-flow ODE
// (mean, and the covariance propagated through the integrated linear map), the GP posterior by
// a linear solve, and errors. The Monte-Carlo check against finite networks trained by GD is
// in test_ensemble_monte_carlo.cpp.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "core/solve/ensemble.hpp"
#include "core/solve/kernel_ridge.hpp"
#include "ntk/sdk/error.hpp"

using namespace ntk::core::solve;

namespace {

double relative(const arma::mat& a, const arma::mat& b) {
  return arma::norm(a - b, "fro") / std::max(arma::norm(b, "fro"), 1e-300);
}

// Joint kernels of n train and m test points from random features: NNGP K = ΦΦᵀ/p and an NTK
// Θ = K + 2ΨΨᵀ/p (an NTK dominates its NNGP), blocks cut out like the binding receives them.
struct Problem {
  arma::uword n, m;
  arma::mat K, Theta;  // (n + m) × (n + m), train first
  arma::mat Y;         // k × n
  arma::mat ntk_train, ntk_test_train, ntk_test_test, nngp_train, nngp_test_train,
      nngp_test_test;

  Problem(arma::uword n_, arma::uword m_, arma::uword k, arma::uword features, unsigned seed)
      : n(n_), m(m_) {
    arma::arma_rng::set_seed(seed);
    const arma::mat phi = arma::randn(n + m, features), psi = arma::randn(n + m, features);
    K = phi * phi.t() / double(features);
    Theta = K + 2.0 * psi * psi.t() / double(features);
    Y = arma::randn(k, n);
    const arma::span tr(0, n - 1), te(n, n + m - 1);
    ntk_train = Theta(tr, tr), ntk_test_train = Theta(te, tr), ntk_test_test = Theta(te, te);
    nngp_train = K(tr, tr), nngp_test_train = K(te, tr), nngp_test_test = K(te, te);
  }

  EnsembleKernels ntk_blocks() const {
    return {&ntk_train, &ntk_test_train, &ntk_test_test, &nngp_train, &nngp_test_train,
            &nngp_test_test};
  }
  EnsembleKernels nngp_blocks() const {
    return {&nngp_train, &nngp_test_train, &nngp_test_test, nullptr, nullptr, nullptr};
  }
};

EnsemblePrediction at(const EnsembleKernels& k, const arma::mat& Y, double t,
                      EnsembleOptions o = {}) {
  return ensemble_predict(k, Y, arma::vec{t}, o).front();
}

// The ODE of ensemble.hpp on the joint state s = [f(X); f(x*)] ((n + m) × columns):
//   ds/dt = −[Θ + λI; Θ(x*, X)] (s_X − y) / n, integrated by classical RK4 with `steps` steps.
arma::mat integrate_flow(const arma::mat& Theta, arma::uword n, double ridge, const arma::mat& s0,
                         const arma::mat& y_columns, double t, int steps) {
  arma::mat drive = Theta.cols(0, n - 1);  // (n + m) × n
  drive.submat(0, 0, n - 1, n - 1).diag() += ridge;
  const auto rate = [&](const arma::mat& s) -> arma::mat {
    return -drive * (s.rows(0, n - 1) - y_columns) / double(n);
  };
  const double h = t / steps;
  arma::mat s = s0;
  for (int i = 0; i < steps; ++i) {
    const arma::mat k1 = rate(s), k2 = rate(s + 0.5 * h * k1), k3 = rate(s + 0.5 * h * k2),
                    k4 = rate(s + h * k3);
    s += h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4);
  }
  return s;
}

// Mean and covariance of f_t(x*) by the ODE: the mean is the flow from f_0 = 0 (E f_0 = 0 and
// the flow is affine); the covariance is L Σ Lᵀ with L the flow's linear part (integrated from
// the identity with y = 0) and Σ the joint prior of [f_0(X); f_0(x*)].
EnsemblePrediction ode_truth(const Problem& p, const arma::mat& Theta, const arma::mat& prior,
                             double ridge, double t) {
  const arma::uword n = p.n, m = p.m, k = p.Y.n_rows;
  const int steps = 4000;
  const arma::mat mean_state =
      integrate_flow(Theta, n, ridge, arma::zeros(n + m, k), p.Y.t(), t, steps);
  const arma::mat L = integrate_flow(Theta, n, ridge, arma::eye(n + m, n + m),
                                     arma::zeros(n, n + m), t, steps);
  const arma::mat L_test = L.rows(n, n + m - 1);
  EnsemblePrediction truth;
  truth.mean = mean_state.rows(n, n + m - 1).t();
  truth.covariance = L_test * prior * L_test.t();
  return truth;
}

double min_eigenvalue(const arma::mat& S) { return arma::eig_sym(S).min(); }

}  // namespace

TEST_CASE("ensemble: the mean at t = inf is the kernel ridge solution", "[solve][ensemble]") {
  const Problem p(9, 4, 2, 40, 11);
  for (const double ridge : {0.0, 0.05, 1.0}) {
    INFO("ridge " << ridge);
    EnsembleOptions o;
    o.ridge = ridge;
    const arma::mat ntk_ridge =
        predict(p.ntk_test_train, kernel_ridge(p.ntk_train, p.Y, ridge).alpha);
    CHECK(relative(at(p.ntk_blocks(), p.Y, arma::datum::inf, o).mean, ntk_ridge) < 1e-10);
    o.kernel = EnsembleKernel::nngp;
    const arma::mat nngp_ridge =
        predict(p.nngp_test_train, kernel_ridge(p.nngp_train, p.Y, ridge).alpha);
    CHECK(relative(at(p.nngp_blocks(), p.Y, arma::datum::inf, o).mean, nngp_ridge) < 1e-10);
  }
}

TEST_CASE("ensemble: t = 0 is the prior, and large t approaches t = inf", "[solve][ensemble]") {
  const Problem p(8, 3, 1, 30, 12);
  for (const EnsembleKernel kernel : {EnsembleKernel::ntk, EnsembleKernel::nngp}) {
    INFO(ensemble_kernel_name(kernel));
    EnsembleOptions o;
    o.kernel = kernel;
    o.ridge = 0.01;
    const EnsembleKernels blocks =
        kernel == EnsembleKernel::ntk ? p.ntk_blocks() : p.nngp_blocks();
    const EnsemblePrediction zero = at(blocks, p.Y, 0.0, o);
    CHECK(arma::abs(zero.mean).max() == 0.0);
    CHECK(arma::approx_equal(zero.covariance, p.nngp_test_test, "absdiff", 1e-14));
    const auto many = ensemble_predict(blocks, p.Y, {1e2, 1e4, 1e6, 1e9, arma::datum::inf}, o);
    const EnsemblePrediction& inf = many.back();
    double previous = arma::datum::inf;
    for (std::size_t j = 0; j + 1 < many.size(); ++j) {
      const double gap =
          relative(many[j].mean, inf.mean) + relative(many[j].covariance, inf.covariance);
      CHECK(gap <= previous);
      previous = gap;
    }
    CHECK(previous < 1e-9);
  }
}

TEST_CASE("ensemble: mean and covariance follow the gradient-flow ODE (RK4)",
          "[solve][ensemble]") {
  const Problem p(7, 3, 2, 25, 13);
  const arma::mat& prior = p.K;  // the joint NNGP of [f_0(X); f_0(x*)]
  for (const double ridge : {0.0, 0.3}) {
    EnsembleOptions o;
    o.ridge = ridge;
    for (const double t : {0.5, 3.0, 20.0}) {
      INFO("ntk, ridge " << ridge << ", t " << t);
      const EnsemblePrediction got = at(p.ntk_blocks(), p.Y, t, o);
      const EnsemblePrediction truth = ode_truth(p, p.Theta, prior, ridge, t);
      CHECK(relative(got.mean, truth.mean) < 1e-9);
      CHECK(relative(got.covariance, truth.covariance) < 1e-9);
    }
  }
  // "nngp": Θ = K, and the ridge is observation noise, so the train prior is K + λI.
  EnsembleOptions o;
  o.kernel = EnsembleKernel::nngp;
  o.ridge = 0.2;
  arma::mat noisy = prior;
  noisy.submat(0, 0, p.n - 1, p.n - 1).diag() += o.ridge;
  for (const double t : {1.0, 10.0}) {
    INFO("nngp, t " << t);
    const EnsemblePrediction got = at(p.nngp_blocks(), p.Y, t, o);
    const EnsemblePrediction truth = ode_truth(p, p.K, noisy, o.ridge, t);
    CHECK(relative(got.mean, truth.mean) < 1e-9);
    CHECK(relative(got.covariance, truth.covariance) < 1e-9);
  }
}

TEST_CASE("ensemble: t = inf covariances are the GP posteriors (linear solves)",
          "[solve][ensemble]") {
  const Problem p(10, 4, 1, 50, 14);
  const double ridge = 0.1;
  const arma::mat I = arma::eye(p.n, p.n);
  EnsembleOptions o;
  o.ridge = ridge;
  // NTK-GP (Lee et al. 2019, Eq. 16 at t = ∞) with P = Θ*X (Θ + λI)⁻¹.
  const arma::mat P = arma::solve(p.ntk_train + ridge * I, p.ntk_test_train.t()).t();
  const arma::mat ntk_gp = p.nngp_test_test - P * p.nngp_test_train.t() -
                           p.nngp_test_train * P.t() + P * p.nngp_train * P.t();
  CHECK(relative(at(p.ntk_blocks(), p.Y, arma::datum::inf, o).covariance, ntk_gp) < 1e-10);
  o.kernel = EnsembleKernel::nngp;
  const arma::mat posterior =
      p.nngp_test_test -
      p.nngp_test_train * arma::solve(p.nngp_train + ridge * I, p.nngp_test_train.t());
  CHECK(relative(at(p.nngp_blocks(), p.Y, arma::datum::inf, o).covariance, posterior) < 1e-10);
}

TEST_CASE("ensemble: covariances are symmetric and PSD, also for singular kernels",
          "[solve][ensemble]") {
  // 40 features for 60 + 20 points: the NNGP train block is singular (rank 40).
  const Problem p(60, 20, 1, 40, 15);
  for (const EnsembleKernel kernel : {EnsembleKernel::ntk, EnsembleKernel::nngp})
    for (const double ridge : {0.0, 1e-3}) {
      EnsembleOptions o;
      o.kernel = kernel;
      o.ridge = ridge;
      const EnsembleKernels blocks =
          kernel == EnsembleKernel::ntk ? p.ntk_blocks() : p.nngp_blocks();
      for (const EnsemblePrediction& e : ensemble_predict(
               blocks, p.Y, {0.0, 0.1, 1.0, 10.0, 1e3, 1e6, arma::datum::inf}, o)) {
        INFO(ensemble_kernel_name(kernel) << " ridge " << ridge << " t " << e.time);
        CHECK(e.covariance.is_symmetric());
        CHECK(min_eigenvalue(e.covariance) > -1e-12 * arma::norm(p.nngp_test_test, 2));
      }
    }
}

TEST_CASE("ensemble: many times from one decomposition equal one time at a time",
          "[solve][ensemble]") {
  const Problem p(12, 5, 3, 30, 16);
  const arma::vec times{0.0, 0.7, 5.0, arma::datum::inf};
  const auto many = ensemble_predict(p.ntk_blocks(), p.Y, times);
  REQUIRE(many.size() == times.n_elem);
  for (arma::uword j = 0; j < times.n_elem; ++j) {
    const EnsemblePrediction one = at(p.ntk_blocks(), p.Y, times[j]);
    CHECK(many[j].time == times[j]);
    CHECK(arma::approx_equal(many[j].mean, one.mean, "absdiff", 1e-13));
    CHECK(arma::approx_equal(many[j].covariance, one.covariance, "absdiff", 1e-13));
    CHECK(many[j].mean.n_rows == 3);
    CHECK(many[j].mean.n_cols == 5);
  }
  EnsembleOptions o;
  o.covariance = false;
  const EnsembleKernels mean_only{&p.ntk_train, &p.ntk_test_train};
  const EnsemblePrediction e = at(mean_only, p.Y, 2.0, o);
  CHECK(e.covariance.is_empty());
  CHECK(arma::approx_equal(e.mean, at(p.ntk_blocks(), p.Y, 2.0).mean, "absdiff", 1e-13));
}

TEST_CASE("ensemble: bad input is refused with a message naming the argument",
          "[solve][ensemble]") {
  using Catch::Matchers::Contains;
  const Problem p(6, 2, 1, 20, 17);
  const auto fails = [&](EnsembleKernels k, const arma::mat& Y, const arma::vec& t,
                         EnsembleOptions o, const std::string& needle) {
    INFO(needle);
    CHECK_THROWS_WITH(ensemble_predict(k, Y, t, o),
                      Contains("ntk.solve.ensemble") && Contains(needle));
  };
  const arma::vec t1{1.0};
  fails(p.ntk_blocks(), p.Y, {-1.0}, {}, "t[1] = -1");
  fails(p.ntk_blocks(), p.Y, {1.0, arma::datum::nan}, {}, "t[2] = nan");
  fails(p.ntk_blocks(), arma::ones(1, 5), t1, {}, "Y is 1 x 5");
  EnsembleOptions negative;
  negative.ridge = -1;
  fails(p.ntk_blocks(), p.Y, t1, negative, "ridge");
  arma::mat asymmetric = p.ntk_train;
  asymmetric(0, 1) += 0.5;
  EnsembleKernels k = p.ntk_blocks();
  k.train = &asymmetric;
  fails(k, p.Y, t1, {}, "K_train: the kernel is not symmetric");
  arma::mat with_nan = p.ntk_test_train;
  with_nan(1, 2) = arma::datum::nan;
  k = p.ntk_blocks();
  k.test_train = &with_nan;
  fails(k, p.Y, t1, {}, "K_test_train");
  const arma::mat wrong = p.ntk_test_train.cols(0, 4);
  k = p.ntk_blocks();
  k.test_train = &wrong;
  fails(k, p.Y, t1, {}, "K_test_train is 2 x 5");
  k = p.ntk_blocks();
  k.nngp_train = nullptr;
  fails(k, p.Y, t1, {}, "nngp_train is missing");
  k = p.ntk_blocks();
  k.nngp_test_test = &p.nngp_train;
  fails(k, p.Y, t1, {}, "nngp_test_test is 6 x 6");
  EnsembleOptions nngp;
  nngp.kernel = EnsembleKernel::nngp;
  fails(p.ntk_blocks(), p.Y, t1, nngp, "are for kernel = \"ntk\"");
  k = p.nngp_blocks();
  k.test_test = nullptr;
  fails(k, p.Y, t1, nngp, "needs K_test_test");
}
