// The finite CNN: derivatives against finite differences and each other, the block-wise
// empirical NTK against J Jᵀ, and Monte-Carlo convergence to the analytic kernels.
#include <catch2/catch.hpp>

#include "cnn_architecture.hpp"
#include "cnn_network.hpp"

using namespace ntk;

namespace {

double relative(const arma::mat& a, const arma::mat& b) {
  return arma::norm(a - b, "fro") / arma::norm(b, "fro");
}

sdk::Options options(const std::string& readout, const std::string& padding,
                     const std::string& activation) {
  return {{"depth", 2.0}, {"readout", readout}, {"padding", padding}, {"activation", activation},
          {"b_std", 0.3}, {"readout_b_std", 0.2}, {"pool_window", 2.0}, {"pool_stride", 1.0}};
}

}  // namespace

TEST_CASE("cnn network derivatives are consistent", "[cnn_network]") {
  arma::arma_rng::set_seed(31);
  const sdk::Inputs x = sdk::Inputs::images(arma::randn(2 * 4 * 5, 3), {2, 4, 5});
  for (const std::string readout : {"flatten", "gap", "pool"})
    for (const std::string padding : {"same", "circular"}) {
      const std::string activation = padding == "same" ? "erf" : "relu";
      const auto arch = cnn::make_architecture(options(readout, padding, activation));
      const auto net = arch->network({6, 3});
      const arma::mat f = net->forward(x);
      REQUIRE(f.n_rows == 1);
      const arma::vec theta = net->params();
      const arma::mat jac = net->jacobian(x);
      // Central differences along random directions (erf is smooth; for relu the step is small
      // enough not to cross a kink for these inputs).
      arma::mat fd(3, 4);
      arma::mat dirs = arma::randn(theta.n_elem, 4);
      const double h = 1e-6;
      for (arma::uword k = 0; k < 4; ++k) {
        net->set_params(theta + h * dirs.col(k));
        const arma::mat up = net->forward(x);
        net->set_params(theta - h * dirs.col(k));
        const arma::mat down = net->forward(x);
        fd.col(k) = ((up - down) / (2 * h)).t();
      }
      net->set_params(theta);
      INFO(readout << " " << padding);
      CHECK(relative(jac * dirs, fd) < 1e-6);
      const arma::vec v = dirs.col(0);
      CHECK(relative(net->jvp(x, v).t(), jac * v) < 1e-12);
      const arma::mat r = arma::randn(1, 3);
      CHECK(relative(net->vjp(x, r), jac.t() * r.t()) < 1e-12);
      CHECK(relative(net->ntk(x, x), jac * jac.t()) < 1e-12);
      const sdk::Inputs y = sdk::Inputs::images(arma::randn(40, 2), {2, 4, 5});
      CHECK(relative(net->ntk(x, y), jac * net->jacobian(y).t()) < 1e-12);
    }
}

TEST_CASE("empirical NTK and output covariance converge to the analytic kernels",
          "[cnn_network]") {
  arma::arma_rng::set_seed(32);
  const sdk::Inputs x = sdk::Inputs::images(arma::randn(1 * 5 * 5, 3), {1, 5, 5});
  for (const std::string readout : {"flatten", "gap", "pool"}) {
    const auto arch = cnn::make_architecture(options(readout, readout == "pool" ? "circular" : "same", "relu"));
    const sdk::Kernels k = arch->kernels(x, x, {true, true});
    arma::mat ntk(3, 3, arma::fill::zeros), ff(3, 3, arma::fill::zeros);
    const int seeds = 24, outputs_seeds = 400;
    for (int s = 0; s < seeds; ++s) ntk += arch->network({192, std::uint64_t(100 + s)})->ntk(x, x);
    ntk /= seeds;
    for (int s = 0; s < outputs_seeds; ++s) {
      const arma::mat f = arch->network({48, std::uint64_t(1000 + s)})->forward(x);
      ff += f.t() * f;
    }
    ff /= outputs_seeds;
    INFO(readout);
    CHECK(relative(ntk, k.ntk) < 0.06);
    CHECK(relative(ff, k.nngp) < 0.15);
    WARN(readout << ": Monte-Carlo relative error, empirical NTK " << relative(ntk, k.ntk)
                 << ", E[f f] " << relative(ff, k.nngp));
  }
}
