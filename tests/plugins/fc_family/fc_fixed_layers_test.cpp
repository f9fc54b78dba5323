// fixed_layers = F: the first F dense layers are not trained, so the NTK is the kernel of the
// Jacobian restricted to the parameters of layers F+1..L+1. Checked against
//  * Monte-Carlo: the mean over seeds of J_T J_Tᵀ of finite networks, J_T = the columns of the
//    network's Jacobian from parameter_layout(...)[F].w_offset on (the flat layout is layer by layer);
//  * the closed form for F = depth: only the readout is trained, NTK = W²·E[φφ'] + b² = the NNGP
//    (an independent long-double scalar recursion, tests/plugins/fc/fc_reference.hpp);
//  * depth 0 (a linear model): NTK = NNGP = W²x·x'/d + b².
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>

#include "../fc/fc_reference.hpp"
#include "fc_architecture.hpp"
#include "fc_network.hpp"

using ntk::sdk::Inputs;
using ntk::sdk::Options;

namespace {

double relative(const arma::mat& a, const arma::mat& b) {
  return arma::norm(a - b, "fro") / arma::norm(b, "fro");
}

// Mean over `seeds` networks of the empirical NTK restricted to the trainable layers.
arma::mat restricted_ntk(const Options& o, const Inputs& x, arma::uword width, int seeds, int F) {
  const auto arch = ntk::fc::make_architecture(o);
  arma::mat mean;
  for (int s = 0; s < seeds; ++s) {
    const auto net = arch->network({width, std::uint64_t(300 + s)});
    const arma::mat J = net->jacobian(x);  // n × P (one output)
    const auto layout = ntk::fc::parameter_layout(ntk::fc::read_config(o), x.dim(), width);
    const arma::uword first = layout[std::size_t(F)].w_offset;
    const arma::mat Jt = J.cols(first, J.n_cols - 1);
    const arma::mat K = Jt * Jt.t();
    mean = s == 0 ? K : arma::mat(mean + K);
  }
  return mean / seeds;
}

}  // namespace

TEST_CASE("fixed_layers: Monte-Carlo NTK of the trainable layers' Jacobian", "[fc][fixed]") {
  arma::arma_rng::set_seed(31);
  const Inputs x = Inputs::dense(arma::randn(4, 5));
  for (const char* act : {"relu", "erf"}) {
    const Options base{{"activation", std::string(act)}, {"depth", 2.0}, {"b_std", 0.3},
                       {"w_std", 1.2}};
    for (int F : {1, 2}) {
      Options o = base;
      o.set("fixed_layers", double(F));
      const arma::mat analytic = ntk::fc::make_architecture(o)->kernels(x, x, {false, true}).ntk;
      const arma::mat full = ntk::fc::make_architecture(base)->kernels(x, x, {false, true}).ntk;
      const arma::mat mc = restricted_ntk(base, x, 512, 16, F);
      const double error = relative(mc, analytic), gap = relative(full, analytic);
      std::printf("%s depth 2, F = %d: MC (width 512, 16 seeds) error %.4f; the full NTK differs "
                  "by %.4f\n", act, F, error, gap);
      CHECK(error < 0.05);
      CHECK(gap > 4 * error);  // the check can tell F from F = 0
    }
  }
}

TEST_CASE("fixed_layers = depth: the NTK is the readout's NNGP term (closed form)",
          "[fc][fixed]") {
  arma::arma_rng::set_seed(32);
  const arma::mat X = arma::randn(3, 6);
  const Inputs x = Inputs::dense(X);
  for (const char* act : {"relu", "erf"}) {
    for (int depth : {1, 3}) {
      const Options o{{"activation", std::string(act)}, {"depth", double(depth)},
                      {"fixed_layers", double(depth)}, {"w_std", 1.4}, {"b_std", 0.2}};
      const auto arch = ntk::fc::make_architecture(o);
      const arma::mat K = arch->kernels(x, x, {false, true}).ntk;
      const auto config = ntk::fc::read_config(o);
      for (arma::uword i = 0; i < X.n_cols; ++i)
        for (arma::uword j = 0; j < X.n_cols; ++j) {
          const double truth = double(ntk::test::fc_reference(X.col(i), X.col(j), config).nngp);
          CHECK(K(i, j) == Approx(truth).epsilon(1e-13));
        }
    }
  }
}

TEST_CASE("fixed_layers: depth 0 and the option's range", "[fc][fixed]") {
  arma::arma_rng::set_seed(33);
  const arma::mat X = arma::randn(4, 5);
  const Inputs x = Inputs::dense(X);
  const auto linear = ntk::fc::make_architecture({{"depth", 0.0}, {"w_std", 2.0}, {"b_std", 0.5}});
  const arma::mat truth = 4.0 * X.t() * X / 4.0 + 0.25;
  CHECK(relative(linear->kernels(x, x, {false, true}).ntk, truth) < 1e-14);
  // f = (w/√d)·W x + b·β has Jacobian ((w/√d)·x, b): its NTK is the analytic one at any width.
  CHECK(relative(linear->network({8, 1})->ntk(x, x), truth) < 1e-12);
  CHECK_THROWS_WITH(ntk::fc::make_architecture({{"depth", 2.0}, {"fixed_layers", 3.0}}),
                    Catch::Contains("fixed_layers") && Catch::Contains("0..depth"));
  CHECK_THROWS(ntk::fc::make_architecture({{"fixed_layers", -1.0}}));
  CHECK(ntk::fc::make_architecture({{"depth", 2.0}, {"fixed_layers", 1.0}})->describe().find(
            "first 1 fixed") != std::string::npos);
}
