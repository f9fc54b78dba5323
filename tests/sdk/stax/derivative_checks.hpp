// Shared by the finite-network tests of compositions (stax/finite_test, stax_conv): a network's
// jvp and vjp against central finite differences, and its structured NTK against J Jᵀ.
#pragma once

#include <catch2/catch.hpp>

#include <armadillo>
#include <cmath>

#include "ntk/sdk/network.hpp"

namespace ntk::sdk::test {

inline double rel(const arma::mat& a, const arma::mat& b) {
  return arma::norm(a - b, "fro") / arma::norm(b, "fro");
}

// (f(θ + h v) − f(θ − h v)) / 2h
inline arma::mat directional(Network& net, const Inputs& x, const arma::vec& v, double h = 1e-6) {
  const arma::vec p = net.params();
  net.set_params(p + h * v);
  const arma::mat up = net.forward(x);
  net.set_params(p - h * v);
  const arma::mat down = net.forward(x);
  net.set_params(p);
  return (up - down) / (2 * h);
}

inline void check_derivatives(Network& net, const Inputs& x, const Inputs& y) {
  const arma::mat f = net.forward(x);
  arma::arma_rng::set_seed(11);
  const arma::vec v = arma::randn(net.num_params());
  const arma::mat fd = directional(net, x, v);
  INFO("jvp vs finite differences");
  CHECK(rel(net.jvp(x, v), fd) < 1e-6);
  const arma::mat r = arma::randn(f.n_rows, f.n_cols);
  INFO("vjp vs finite differences");
  CHECK(std::abs(arma::dot(net.vjp(x, r), v) - arma::accu(r % fd)) <
        1e-6 * arma::norm(net.vjp(x, r)) * arma::norm(v));
  const arma::mat jx = net.jacobian(x), jy = net.jacobian(y);
  const arma::uword k = net.outputs();
  INFO("structured NTK vs J J^T");
  CHECK(rel(net.ntk(x, x), Network::average_output_blocks(jx * jx.t(), k)) < 1e-12);
  CHECK(rel(net.ntk(x, y), Network::average_output_blocks(jx * jy.t(), k)) < 1e-12);
}

}  // namespace ntk::sdk::test
