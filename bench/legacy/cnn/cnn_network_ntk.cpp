// Jacobian and empirical NTK of the finite CNN, one parameter block at a time.
//
// With ones as cotangent, one batched backward pass gives every example's ∂f/∂z_l (examples
// do not interact), and a conv layer's gradient for example e is s·δ_l,e·P_l,eᵀ (C × C_in q²)
// with P_l,e its im2col patches. The NTK sums J_l(a)·J_l(b)ᵀ over the blocks (each conv
// layer's W and b, the readout), so at most one n × P_l block per side is alive at a time.
#include <string>

#include "cnn_network.hpp"
#include "conv_patches.hpp"
#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::legacy_cnn {

struct CnnGradients {
  const CnnNetwork& net;
  CnnNetwork::Trace trace;
  std::vector<arma::mat> dz;
  arma::uword n = 0;

  CnnGradients(const CnnNetwork& network, const arma::mat& x) : net(network) {
    trace = net.trace(x);
    n = x.n_cols;
    dz = net.backward(trace, arma::rowvec(n, arma::fill::ones));
  }

  arma::uword blocks() const { return net.layers_.size() + 1; }
  // First column of block b in the flat parameter vector, and its width.
  arma::uword first(arma::uword b) const {
    return b < net.layers_.size() ? net.layers_[b].w_offset : net.readout_offset_;
  }
  arma::uword width(arma::uword b) const {
    const arma::uword end = b + 1 < blocks() ? first(b + 1) : net.params_.n_elem;
    return end - first(b);
  }

  // Rows = examples, columns = the block's parameters in flat order.
  arma::mat block(arma::uword b) const {
    const arma::uword area = net.shape_.height * net.shape_.width;
    if (b < net.layers_.size()) {
      const CnnNetwork::Layer& layer = net.layers_[b];
      return sdk::conv_layer_gradients(dz[b], trace.patches[b], area, layer.w_scale, layer.b_scale);
    }
    arma::mat out(n, width(b));
    const double scale = net.readout_scale();
    for (arma::uword e = 0; e < n; ++e) {
      const arma::mat g = scale * (trace.last.cols(e * area, (e + 1) * area - 1) * net.pool_);
      for (arma::uword k = 0; k < g.n_elem; ++k) out(e, k) = g[k];
      out(e, g.n_elem) = net.config_.readout_b_std;
    }
    return out;
  }
};

arma::mat CnnNetwork::jacobian(const sdk::Inputs& x) const {
  const arma::mat& in = checked_input(x, "jacobian()");
  sdk::check_allocation("cnn network jacobian(): the n x P Jacobian", double(in.n_cols),
                        double(params_.n_elem));
  const CnnGradients g(*this, in);
  arma::mat jac(in.n_cols, params_.n_elem);
  for (arma::uword b = 0; b < g.blocks(); ++b)
    jac.cols(g.first(b), g.first(b) + g.width(b) - 1) = g.block(b);
  return jac;
}

arma::mat CnnNetwork::ntk(const sdk::Inputs& a, const sdk::Inputs& b) const {
  const bool symmetric = &a == &b;
  const arma::mat& xa = checked_input(a, "ntk()");
  const arma::mat& xb = symmetric ? xa : checked_input(b, "ntk()");
  const CnnGradients ga(*this, xa);
  arma::mat theta(xa.n_cols, xb.n_cols, arma::fill::zeros);
  if (symmetric) {
    for (arma::uword k = 0; k < ga.blocks(); ++k) {
      const arma::mat j = ga.block(k);
      theta += j * j.t();
    }
    return theta;
  }
  const CnnGradients gb(*this, xb);
  for (arma::uword k = 0; k < ga.blocks(); ++k) theta += ga.block(k) * gb.block(k).t();
  return theta;
}

}  // namespace ntk::legacy_cnn
