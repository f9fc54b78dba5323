// The ensemble's mean and covariance (core/solve/ensemble.hpp) against Monte Carlo: many
// finite fc networks of large width, each initialised from its own seed and trained by
// full-batch GD with a small step (core/train, the loss 1/(2n) Σ‖f − y‖²) for time t = η·steps.
// Their test outputs' sample mean and covariance must match the "ntk" prediction within a few
// standard errors; the "nngp" (readout-only) prediction must not, so the check can fail.
// Non-default w_std and b_std: at w_std = 1, b_std = 0 a wrong layer rule can still give the
// right kernel. Fixed seeds: the numbers are the same on every run.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>

#include "core/solve/ensemble.hpp"
#include "core/train/gradient_descent.hpp"
#include "fc_architecture.hpp"

using namespace ntk::core;

namespace {

struct Setting {
  ntk::sdk::Options options;
  arma::uword width;
  int seeds;
};

struct Comparison {
  double worst_ntk;   // max over entries of |MC − ensemble("ntk")| / standard error
  double worst_nngp;  // the same against the "nngp" prediction
};

// |a − b| / se, the largest over entries.
double worst_z(const arma::mat& a, const arma::mat& b, const arma::mat& se) {
  return arma::abs(a - b).eval().max() == 0 ? 0 : (arma::abs(a - b) / se).eval().max();
}

Comparison compare(const Setting& s) {
  const arma::uword d = 3, n = 8, m = 4;
  arma::arma_rng::set_seed(31);
  const arma::mat x_train = arma::randn(d, n), x_test = arma::randn(d, m);
  const arma::mat y = arma::sin(arma::sum(x_train, 0)) + 0.5 * x_train.row(0);  // 1 × n
  const ntk::sdk::Inputs train_x = ntk::sdk::Inputs::dense(x_train),
                         test_x = ntk::sdk::Inputs::dense(x_test);

  const auto arch = ntk::fc::make_architecture(s.options);
  const ntk::sdk::KernelRequest both{true, true};
  const ntk::sdk::Kernels train = arch->kernels(train_x, train_x, both),
                          test_train = arch->kernels(test_x, train_x, both),
                          test_test = arch->kernels(test_x, test_x, both);

  // A small step (η·λ_max/n = 0.05) for t·λ_max/n = 5: GD's (1 − ηλ/n)^s is within 1e-3 of
  // the flow's e^{−tλ/n} on every eigen-direction.
  const double eta = 0.05 * n / arma::eig_sym(train.ntk).max();
  const arma::uword steps = 100;
  const double t = eta * double(steps);

  arma::mat outputs(s.seeds, m);  // one row per network
  const train::Labelled data{train_x, y};
  train::TrainOptions o;
  o.lr = eta;
  o.max_steps = steps;
  o.record_every = steps;
  o.progress = false;
  for (int seed = 0; seed < s.seeds; ++seed) {
    const auto net = arch->network({s.width, std::uint64_t(1000 + seed)});
    const train::TrainResult r = train::gradient_descent(*net, data, o);
    REQUIRE(r.steps == steps);
    outputs.row(seed) = net->forward(test_x);
  }
  const double N = s.seeds;
  const arma::rowvec mc_mean = arma::mean(outputs, 0);
  const arma::mat centred = outputs.each_row() - mc_mean;
  const arma::mat mc_cov = centred.t() * centred / (N - 1);
  // Standard errors: of the mean, √(var/N); of a covariance entry, the spread of the products
  // (f_i − f̄_i)(f_j − f̄_j) over networks divided by √N.
  const arma::rowvec se_mean = arma::sqrt(mc_cov.diag().t() / N);
  arma::mat se_cov(m, m);
  for (arma::uword i = 0; i < m; ++i)
    for (arma::uword j = 0; j < m; ++j)
      se_cov(i, j) = arma::stddev(centred.col(i) % centred.col(j)) / std::sqrt(N);

  const solve::EnsembleKernels ntk_blocks{&train.ntk,      &test_train.ntk,  &test_test.ntk,
                                          &train.nngp,     &test_train.nngp, &test_test.nngp};
  const solve::EnsembleKernels nngp_blocks{&train.nngp, &test_train.nngp, &test_test.nngp};
  const auto ntk = solve::ensemble_predict(ntk_blocks, y, arma::vec{t}).front();
  solve::EnsembleOptions readout;
  readout.kernel = solve::EnsembleKernel::nngp;
  const auto nngp = solve::ensemble_predict(nngp_blocks, y, arma::vec{t}, readout).front();

  mc_mean.print("Monte-Carlo mean:");
  ntk.mean.print("ensemble (ntk) mean:");
  mc_cov.print("Monte-Carlo covariance:");
  ntk.covariance.print("ensemble (ntk) covariance:");
  se_cov.print("standard errors of the covariance:");
  const Comparison c{std::max(worst_z(mc_mean, ntk.mean, se_mean),
                              worst_z(mc_cov, ntk.covariance, se_cov)),
                     std::max(worst_z(mc_mean, nngp.mean, se_mean),
                              worst_z(mc_cov, nngp.covariance, se_cov))};
  std::printf("t = %.4g (%d networks of width %llu): worst |MC - ensemble| = %.2f standard "
              "errors (ntk), %.2f (nngp)\n",
              t, s.seeds, static_cast<unsigned long long>(s.width), c.worst_ntk, c.worst_nngp);
  return c;
}

}  // namespace

TEST_CASE("ensemble covariance equals the Monte-Carlo covariance of wide networks trained by GD",
          "[solve][ensemble][mc]") {
  const Setting settings[] = {
      {{{"depth", 1.0}, {"activation", std::string("relu")}, {"w_std", 1.5}, {"b_std", 0.4}},
       2048, 800},
      {{{"depth", 2.0}, {"activation", std::string("erf")}, {"w_std", 1.3}, {"b_std", 0.5}},
       256, 400},
  };
  for (const Setting& s : settings) {
    const Comparison c = compare(s);
    CHECK(c.worst_ntk < 4.0);
    CHECK(c.worst_nngp > 6.0);
  }
}
