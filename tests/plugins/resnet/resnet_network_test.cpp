// The finite residual networks: Jacobian against central finite differences, jvp/vjp against
// the Jacobian and each other (adjointness), the structured empirical NTK against J Jᵀ, and
// Monte-Carlo convergence of the empirical NTK and E[f fᵀ] to the analytic kernels.
#include <catch2/catch.hpp>

#include "resnet_architecture.hpp"
#include "resnet_network.hpp"

using namespace ntk;

namespace {

double relative(const arma::mat& a, const arma::mat& b) {
  return arma::norm(a - b, "fro") / arma::norm(b, "fro");
}

struct Setting {
  std::string name;
  sdk::Options options;
  sdk::Inputs x, y;
};

std::vector<Setting> settings() {
  arma::arma_rng::set_seed(41);
  const sdk::Inputs v = sdk::Inputs::dense(arma::randn(5, 3)), w = sdk::Inputs::dense(arma::randn(5, 2));
  const sdk::Inputs img = sdk::Inputs::images(arma::randn(2 * 4 * 5, 3), {2, 4, 5});
  const sdk::Inputs img2 = sdk::Inputs::images(arma::randn(2 * 4 * 5, 2), {2, 4, 5});
  return {
      {"mlp relu", {{"blocks", 2.0}, {"alpha", 0.7}, {"b_std", 0.3}, {"readout_b_std", 0.2}}, v, w},
      {"mlp erf k=3", {{"blocks", 3.0}, {"branch_depth", 1.0}, {"activation", std::string("erf")},
                       {"b_std", 0.2}, {"outputs", 3.0}}, v, w},
      {"conv flatten erf", {{"kind", std::string("conv")}, {"activation", std::string("erf")},
                            {"b_std", 0.3}, {"readout_b_std", 0.1}}, img, img2},
      {"conv gap circular k=2", {{"kind", std::string("conv")}, {"readout", std::string("gap")},
                                 {"padding", std::string("circular")}, {"alpha", 0.5},
                                 {"outputs", 2.0}, {"activation", std::string("erf")}}, img, img2},
  };
}

}  // namespace

TEST_CASE("resnet network derivatives are consistent", "[resnet_network]") {
  for (const Setting& s : settings()) {
    const auto arch = resnet::make_architecture(s.options);
    const auto net = arch->network({6, 3});
    const arma::mat f = net->forward(s.x);
    const arma::uword k = arch->outputs(), n = s.x.size();
    REQUIRE(f.n_rows == k);
    REQUIRE(f.n_cols == n);
    const arma::vec theta = net->params();
    REQUIRE(theta.n_elem == net->num_params());
    const arma::mat jac = net->jacobian(s.x);
    // The Jacobian through the default n·k vjps (network.hpp) is the same matrix.
    const arma::mat jac_vjp = net->sdk::Network::jacobian(s.x);
    arma::arma_rng::set_seed(42);
    const arma::mat dirs = arma::randn(theta.n_elem, 4);
    arma::mat fd(n * k, 4);
    const double h = 1e-6;
    for (arma::uword c = 0; c < 4; ++c) {
      net->set_params(theta + h * dirs.col(c));
      const arma::mat up = net->forward(s.x);
      net->set_params(theta - h * dirs.col(c));
      const arma::mat down = net->forward(s.x);
      fd.col(c) = arma::vectorise((up - down) / (2 * h));
    }
    net->set_params(theta);
    INFO(s.name);
    const double fd_error = relative(jac * dirs, fd);
    WARN(s.name << ": Jacobian vs central differences, relative error " << fd_error);
    CHECK(fd_error < 1e-6);
    CHECK(relative(jac_vjp, jac) < 1e-13);
    const arma::vec v = dirs.col(0);
    CHECK(relative(arma::vectorise(net->jvp(s.x, v)), jac * v) < 1e-12);
    const arma::mat r = arma::randn(k, n);
    const arma::vec back = net->vjp(s.x, r);
    CHECK(relative(back, jac.t() * arma::vectorise(r)) < 1e-12);
    // Adjointness ⟨jvp(v), r⟩ = ⟨v, vjp(r)⟩.
    const double lhs = arma::accu(net->jvp(s.x, v) % r), rhs = arma::dot(v, back);
    CHECK(std::abs(lhs - rhs) < 1e-12 * std::abs(rhs));
    // Structured NTK = J Jᵀ averaged over outputs, symmetric and cross.
    const arma::mat full = jac * jac.t();
    CHECK(relative(net->ntk(s.x, s.x), sdk::Network::average_output_blocks(full, k)) < 1e-12);
    const arma::mat jy = net->jacobian(s.y);
    CHECK(relative(net->ntk(s.x, s.y), sdk::Network::average_output_blocks(jac * jy.t(), k)) < 1e-12);
  }
}

TEST_CASE("resnet empirical NTK and output covariance converge to the analytic kernels",
          "[resnet_network]") {
  arma::arma_rng::set_seed(43);
  struct Case {
    std::string name;
    sdk::Options options;
    sdk::Inputs x;
    arma::uword ntk_width, nngp_width;
    int ntk_seeds, nngp_seeds;
  };
  const std::vector<Case> cases = {
      {"mlp relu B=3", {{"blocks", 3.0}, {"alpha", 0.8}, {"b_std", 0.2}},
       sdk::Inputs::dense(arma::randn(6, 4)), 768, 64, 16, 3000},
      {"mlp erf B=2", {{"blocks", 2.0}, {"activation", std::string("erf")}, {"w_std", 1.5}},
       sdk::Inputs::dense(arma::randn(6, 4)), 768, 64, 16, 3000},
      {"conv flatten B=1", {{"kind", std::string("conv")}, {"blocks", 1.0}, {"b_std", 0.2}},
       sdk::Inputs::images(arma::randn(1 * 5 * 5, 3), {1, 5, 5}), 96, 16, 16, 600},
      {"conv gap B=2 alpha=0.7", {{"kind", std::string("conv")}, {"blocks", 2.0}, {"alpha", 0.7},
                                  {"readout", std::string("gap")}},
       sdk::Inputs::images(arma::randn(1 * 4 * 4, 3), {1, 4, 4}), 96, 16, 16, 600},
  };
  for (const Case& c : cases) {
    const auto arch = resnet::make_architecture(c.options);
    const sdk::Kernels k = arch->kernels(c.x, c.x, {true, true});
    const arma::uword n = c.x.size();
    arma::mat ntk(n, n, arma::fill::zeros), ff(n, n, arma::fill::zeros);
    for (int s = 0; s < c.ntk_seeds; ++s)
      ntk += arch->network({c.ntk_width, std::uint64_t(100 + s)})->ntk(c.x, c.x);
    ntk /= c.ntk_seeds;
    for (int s = 0; s < c.nngp_seeds; ++s) {
      const arma::mat f = arch->network({c.nngp_width, std::uint64_t(5000 + s)})->forward(c.x);
      ff += f.t() * f;
    }
    ff /= c.nngp_seeds;
    const double ntk_error = relative(ntk, k.ntk), nngp_error = relative(ff, k.nngp);
    WARN(c.name << ": Monte-Carlo relative error, empirical NTK " << ntk_error << " (width "
                << c.ntk_width << ", " << c.ntk_seeds << " seeds), E[f f^T] " << nngp_error
                << " (width " << c.nngp_width << ", " << c.nngp_seeds << " seeds)");
    INFO(c.name);
    CHECK(ntk_error < 0.08);
    CHECK(nngp_error < 0.12);
  }
}
