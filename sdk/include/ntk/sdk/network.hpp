// A finite-width network: a flat parameter vector and its forward pass and derivatives.
//
// Shapes (examples are columns): forward(x) is k × n for k outputs and n examples. The
// Jacobian J of vec(forward(x)) has (n·k) rows in the same order as vec(): row i·k + o is
// output o of example i (0-based). vjp(x, r) = Jᵀ vec(r) for a k × n cotangent r;
// jvp(x, v) = J v reshaped to k × n.
//
// ntk(x1, x2) returns the n1 × n2 empirical NTK averaged over the k output units,
// (1/k) Σ_o ⟨∂f_o(x1_i)/∂w, ∂f_o(x2_j)/∂w⟩, which is what converges to the analytic Θ (the
// analytic kernel of a k-output network is Θ ⊗ I_k). ntk_full gives all (n1·k) × (n2·k) entries.
//
// The defaults below compute the Jacobian by n·k vjps and the NTK by Jacobian contraction.
// Plugins override `ntk` with a structured product that never forms the n × P Jacobian.
#pragma once

#include <armadillo>
#include <string>

#include "ntk/sdk/inputs.hpp"
#include "ntk/sdk/checks.hpp"

namespace ntk::sdk {

class Network {
 public:
  virtual ~Network() = default;

  virtual arma::uword num_params() const = 0;
  virtual arma::uword outputs() const = 0;
  // Flat parameter vector; its layout is documented by each plugin.
  virtual const arma::vec& params() const = 0;
  virtual void set_params(const arma::vec& params) = 0;

  virtual arma::mat forward(const Inputs& x) const = 0;
  virtual arma::vec vjp(const Inputs& x, const arma::mat& cotangent) const = 0;
  virtual arma::mat jvp(const Inputs& x, const arma::vec& tangent) const = 0;

  // Which parameters are trained: empty (the default) when all are, else num_params() entries,
  // 1 for trained and 0 for frozen ones (whose gradient, Jacobian columns and NTK terms are 0).
  // The conformance kit perturbs only trained parameters.
  virtual arma::vec trainable_mask() const { return {}; }

  virtual arma::mat jacobian(const Inputs& x) const {
    // forward() first: a network that sizes its first layer on the first input it sees
    // (LazyNetwork) refuses num_params() until then.
    (void)forward(x);
    const arma::uword n = x.size(), k = outputs(), p = num_params();
    check_allocation("Network::jacobian(): the (n*k) x P Jacobian", double(n * k), double(p));
    arma::mat jac(n * k, p);
    arma::mat cotangent(k, n, arma::fill::zeros);
    for (arma::uword i = 0; i < n; ++i)
      for (arma::uword o = 0; o < k; ++o) {
        cotangent(o, i) = 1.0;
        jac.row(i * k + o) = vjp(x, cotangent).t();
        cotangent(o, i) = 0.0;
      }
    return jac;
  }

  virtual arma::mat ntk_full(const Inputs& a, const Inputs& b) const {
    const arma::mat ja = jacobian(a);
    if (&a == &b) return ja * ja.t();
    return ja * jacobian(b).t();
  }

  virtual arma::mat ntk(const Inputs& a, const Inputs& b) const {
    return average_output_blocks(ntk_full(a, b), outputs());
  }

  // (n1·k) × (n2·k) → n1 × n2: the mean of the k diagonal output entries of each block.
  static arma::mat average_output_blocks(const arma::mat& full, arma::uword k) {
    if (k == 1) return full;
    const arma::uword n1 = full.n_rows / k, n2 = full.n_cols / k;
    arma::mat out(n1, n2, arma::fill::zeros);
    for (arma::uword j = 0; j < n2; ++j)
      for (arma::uword i = 0; i < n1; ++i) {
        double s = 0;
        for (arma::uword o = 0; o < k; ++o) s += full(i * k + o, j * k + o);
        out(i, j) = s / double(k);
      }
    return out;
  }
};

}  // namespace ntk::sdk
