// The structured empirical NTK of the finite FC network.
//
// With δ_l = ∂f_o/∂z_l and h_l the input of dense layer l (h_0 = x), the gradients are
// ∂f_o/∂W_l = s_l·δ_l h_lᵀ and ∂f_o/∂b_l = β_l·δ_l, so
//   Θ_o,o'(x, x') = Σ_l ⟨δ_l^o(x), δ_l^o'(x')⟩ · (s_l²⟨h_l(x), h_l(x')⟩ + β_l²),
// where the output layer has δ^o = e_o. Each factor is an n1 × n2 (or (n1·k) × (n2·k)) matrix
// product of activations or signals: BLAS-3, O(n·width) memory, and the n × P Jacobian is never
// formed. Forward, we keep only the Gram of each layer's input and φ'(z); backward, one
// signal matrix per side at a time.
#include <string>

#include "fc_network.hpp"
#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::legacy_fc {

// Friend of FcNetwork: the shared forward/backward walk of ntk() and ntk_full().
struct FcNetworkKernel {
  const FcNetwork& net;
  bool symmetric;
  const arma::mat& xa;
  const arma::mat& xb;

  // Aᵀ B, or Aᵀ A as a syrk when both sides are the same examples.
  static arma::mat cross(const arma::mat& a, const arma::mat& b, bool symmetric) {
    if (symmetric) return a.t() * a;
    return a.t() * b;
  }

  // ⟨h_l(x_i), h_l(x'_j)⟩ for l = 0..L, and φ'(z_l) of each side for l = 0..L-1.
  void forward(std::vector<arma::mat>& gram, std::vector<arma::mat>& dphi_a,
               std::vector<arma::mat>& dphi_b) const {
    const auto& layers = net.layers_;
    const arma::uword depth = layers.size() - 1;
    gram.resize(depth + 1);
    dphi_a.resize(depth);
    dphi_b.resize(symmetric ? 0 : depth);
    gram[0] = cross(xa, xb, symmetric);
    arma::mat ha, hb;
    for (arma::uword l = 0; l < depth; ++l) {
      const FcNetwork::Layer& layer = layers[l];
      arma::mat za = layer.w_scale * (net.weight(layer) * (l == 0 ? xa : ha));
      za.each_col() += layer.b_scale * net.bias(layer);
      net.activate(za, &dphi_a[l]);
      ha = std::move(za);
      if (!symmetric) {
        arma::mat zb = layer.w_scale * (net.weight(layer) * (l == 0 ? xb : hb));
        zb.each_col() += layer.b_scale * net.bias(layer);
        net.activate(zb, &dphi_b[l]);
        hb = std::move(zb);
      }
      gram[l + 1] = cross(ha, hb, symmetric);
    }
  }

  // δ_{L-1} for every example and output: n_{L-1} × (n·k), column i·k + o.
  arma::mat top_signal(const arma::mat& dphi) const {
    const auto& layers = net.layers_;
    const FcNetwork::Layer& last = layers.back();
    const arma::uword k = last.fan_out, n = dphi.n_cols;
    const arma::mat wt = last.w_scale * net.weight(last).t();
    arma::mat delta(last.fan_in, n * k);
    for (arma::uword i = 0; i < n; ++i)
      for (arma::uword o = 0; o < k; ++o) delta.col(i * k + o) = wt.col(o) % dphi.col(i);
    return delta;
  }

  // δ_{l-1} = φ'(z_{l-1}) ⊙ s_l·W_lᵀ δ_l.
  arma::mat step_down(const arma::mat& delta, arma::uword l, const arma::mat& dphi) const {
    const FcNetwork::Layer& layer = net.layers_[l];
    arma::mat below = layer.w_scale * (net.weight(layer).t() * delta);
    const arma::uword k = net.config_.outputs;
    for (arma::uword c = 0; c < below.n_cols; ++c) below.col(c) %= dphi.col(c / k);
    return below;
  }
};

arma::mat FcNetwork::ntk(const sdk::Inputs& a, const sdk::Inputs& b) const {
  const bool symmetric = &a == &b;
  const arma::mat& xa = checked_input(a, "ntk()");
  const arma::mat& xb = symmetric ? xa : checked_input(b, "ntk()");
  const arma::uword n1 = xa.n_cols, n2 = xb.n_cols, k = config_.outputs;
  const arma::uword depth = layers_.size() - 1;
  sdk::check_allocation("fc network ntk(): " + std::to_string(depth + 3) + " matrices of " +
                            std::to_string(n1) + " x " + std::to_string(n2),
                        double(n1), double(n2) * double(depth + 3));
  const FcNetworkKernel walk{*this, symmetric, xa, xb};
  std::vector<arma::mat> gram, dphi_a, dphi_b;
  walk.forward(gram, dphi_a, dphi_b);

  // Output layer: Σ_o ⟨e_o, e_o⟩ = k, which the average over outputs divides away.
  const Layer& last = layers_.back();
  arma::mat theta = last.w_scale * last.w_scale * gram[depth] + last.b_scale * last.b_scale;
  if (depth == 0) return theta;
  arma::mat da = walk.top_signal(dphi_a[depth - 1]);
  arma::mat db = symmetric ? arma::mat() : walk.top_signal(dphi_b[depth - 1]);
  for (arma::uword l = depth; l-- > 0;) {
    // Viewing n_l × (n·k) as (n_l·k) × n sums the k per-output inner products in one product.
    const arma::mat va(da.memptr(), da.n_rows * k, n1, false, true);
    arma::mat signal;
    if (symmetric) {
      signal = va.t() * va;
    } else {
      const arma::mat vb(db.memptr(), db.n_rows * k, n2, false, true);
      signal = va.t() * vb;
    }
    const Layer& layer = layers_[l];
    theta += (signal / double(k)) %
             (layer.w_scale * layer.w_scale * gram[l] + layer.b_scale * layer.b_scale);
    if (l > 0) {
      da = walk.step_down(da, l, dphi_a[l - 1]);
      if (!symmetric) db = walk.step_down(db, l, dphi_b[l - 1]);
    }
  }
  return theta;
}

arma::mat FcNetwork::ntk_full(const sdk::Inputs& a, const sdk::Inputs& b) const {
  const bool symmetric = &a == &b;
  const arma::mat& xa = checked_input(a, "ntk_full()");
  const arma::mat& xb = symmetric ? xa : checked_input(b, "ntk_full()");
  const arma::uword n1 = xa.n_cols, n2 = xb.n_cols, k = config_.outputs;
  const arma::uword depth = layers_.size() - 1;
  sdk::check_allocation("fc network ntk_full(): the (n1*k) x (n2*k) NTK and its factors",
                        double(n1 * k), double(n2 * k) * 2 + double(n2) * double(depth + 1) / k);
  const FcNetworkKernel walk{*this, symmetric, xa, xb};
  std::vector<arma::mat> gram, dphi_a, dphi_b;
  walk.forward(gram, dphi_a, dphi_b);

  arma::mat full(n1 * k, n2 * k, arma::fill::zeros);
  const Layer& last = layers_.back();
  const arma::mat top = last.w_scale * last.w_scale * gram[depth] + last.b_scale * last.b_scale;
  for (arma::uword j = 0; j < n2; ++j)
    for (arma::uword i = 0; i < n1; ++i)
      for (arma::uword o = 0; o < k; ++o) full(i * k + o, j * k + o) = top(i, j);
  if (depth == 0) return full;
  arma::mat da = walk.top_signal(dphi_a[depth - 1]);
  arma::mat db = symmetric ? arma::mat() : walk.top_signal(dphi_b[depth - 1]);
  for (arma::uword l = depth; l-- > 0;) {
    const arma::mat signal = symmetric ? arma::mat(da.t() * da) : arma::mat(da.t() * db);
    const Layer& layer = layers_[l];
    const arma::mat factor =
        layer.w_scale * layer.w_scale * gram[l] + layer.b_scale * layer.b_scale;
#pragma omp parallel for schedule(static)
    for (arma::uword c = 0; c < n2 * k; ++c)
      for (arma::uword r = 0; r < n1 * k; ++r) full(r, c) += signal(r, c) * factor(r / k, c / k);
    if (l > 0) {
      da = walk.step_down(da, l, dphi_a[l - 1]);
      if (!symmetric) db = walk.step_down(db, l, dphi_b[l - 1]);
    }
  }
  return full;
}

}  // namespace ntk::legacy_fc
