// Jacobian and empirical NTK of the finite residual network.
//
// A cotangent of ones on output o gives, in one backward pass, every example's signal
// δ_l = ∂f_o/∂z_l at every layer (examples do not interact). A layer's gradients are then
// ∂f_o/∂W_l = s_l·Σ_i δ_l(i)·P_l(i)ᵀ and ∂f_o/∂b_l = β_l·Σ_i δ_l(i) over pixels i, with P_l the
// im2col patches of the layer's input, and
//   Θ_o(x, x') = Σ_l s_l²·Σ_{i,j} ⟨δ_l(x, i), δ_l(x', j)⟩⟨P_l(x, i), P_l(x', j)⟩ + β_l²·⟨Σδ, Σδ'⟩
//              + readout_scale²·⟨feat(x), feat(x')⟩ + readout_b_std².
// Vectors (one pixel): each layer is the Hadamard product of two n1 × n2 Gram matrices,
// (δ_lᵀδ_l') ⊙ (s_l²·P_lᵀP_l' + β_l²), as in the fc plugin. Images: the pixel-pair sum would
// cost (H·W)² per example pair, so each layer's n × P_l gradient block is formed (one layer at
// a time, never the whole n × P Jacobian) and Θ += J_l J_l'ᵀ, as in the cnn plugin.
#include <string>

#include "conv_patches.hpp"
#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/error.hpp"
#include "resnet_network.hpp"

namespace ntk::legacy_resnet {

struct ResnetGradients {
  const ResnetNetwork& net;
  ResnetNetwork::Trace trace;
  std::vector<arma::mat> dz;  // δ_l for the output set by for_output()
  arma::uword n = 0;

  ResnetGradients(const ResnetNetwork& network, const arma::mat& x) : net(network) {
    trace = net.trace(x);
    n = x.n_cols;
  }

  void for_output(arma::uword o) {
    arma::mat r(net.config_.outputs, n, arma::fill::zeros);
    r.row(o).ones();
    dz = net.backward(trace, r);
  }

  arma::uword layers() const { return net.layers_.size(); }
  arma::mat patches(arma::uword l) const {
    return net.im2col(l == 0 ? trace.input : trace.inputs[l - 1]);
  }
  // Rows = examples, columns = layer l's W then b in flat order (for the current output).
  arma::mat block(arma::uword l, const arma::mat& p) const {
    const ResnetNetwork::Layer& layer = net.layers_[l];
    return sdk::conv_layer_gradients(dz[l], p, net.area(), layer.w_scale, layer.b_scale);
  }
};

arma::mat ResnetNetwork::jacobian(const sdk::Inputs& x) const {
  const arma::mat& in = checked_input(x, "jacobian()");
  const arma::uword n = in.n_cols, k = config_.outputs;
  sdk::check_allocation("resnet network jacobian(): the (n*k) x P Jacobian", double(n * k),
                        double(params_.n_elem));
  ResnetGradients g(*this, in);
  arma::mat jac(n * k, params_.n_elem, arma::fill::zeros);
  const arma::uword cf = width_ * features_;
  for (arma::uword o = 0; o < k; ++o) {
    g.for_output(o);
    for (arma::uword l = 0; l < g.layers(); ++l) {
      const arma::mat b = g.block(l, g.patches(l));
      for (arma::uword c = 0; c < b.n_cols; ++c)
        for (arma::uword e = 0; e < n; ++e) jac(e * k + o, layers_[l].w_offset + c) = b(e, c);
    }
    // Readout: ∂f_o/∂R(o, f) = scale·feat(f), ∂f_o/∂r_o = readout_b_std.
    for (arma::uword f = 0; f < cf; ++f)
      for (arma::uword e = 0; e < n; ++e)
        jac(e * k + o, readout_offset_ + f * k + o) = readout_scale() * g.trace.features(f, e);
    for (arma::uword e = 0; e < n; ++e) jac(e * k + o, readout_offset_ + k * cf + o) = config_.readout_b_std;
  }
  return jac;
}

arma::mat ResnetNetwork::ntk(const sdk::Inputs& a, const sdk::Inputs& b) const {
  const bool symmetric = &a == &b;
  const arma::mat& xa = checked_input(a, "ntk()");
  const arma::mat& xb = symmetric ? xa : checked_input(b, "ntk()");
  const arma::uword n1 = xa.n_cols, n2 = xb.n_cols, k = config_.outputs;
  sdk::check_allocation("resnet network ntk(): 3 matrices of " + std::to_string(n1) + " x " +
                            std::to_string(n2),
                        double(n1), 3.0 * double(n2));
  ResnetGradients ga(*this, xa);
  ResnetGradients gb_storage = symmetric ? ResnetGradients(*this, arma::mat(xa.n_rows, 0)) :
                                           ResnetGradients(*this, xb);
  ResnetGradients& gb = symmetric ? ga : gb_storage;
  auto gram = [&](const arma::mat& p, const arma::mat& q) -> arma::mat {
    return symmetric ? arma::mat(p.t() * p) : arma::mat(p.t() * q);
  };
  const double rs = readout_scale(), rb = config_.readout_b_std;
  arma::mat theta = rs * rs * gram(ga.trace.features, gb.trace.features) + rb * rb;
  const bool vectors = area() == 1;
  for (arma::uword o = 0; o < k; ++o) {
    ga.for_output(o);
    if (!symmetric) gb.for_output(o);
    for (arma::uword l = 0; l < layers_.size(); ++l) {
      const Layer& layer = layers_[l];
      if (vectors) {
        const arma::mat pa = ga.patches(l);
        const arma::mat factor = layer.w_scale * layer.w_scale *
                                     (symmetric ? arma::mat(pa.t() * pa) : arma::mat(pa.t() * gb.patches(l))) +
                                 layer.b_scale * layer.b_scale;
        theta += (gram(ga.dz[l], gb.dz[l]) % factor) / double(k);
      } else {
        const arma::mat ja = ga.block(l, ga.patches(l));
        theta += (symmetric ? arma::mat(ja * ja.t()) : arma::mat(ja * gb.block(l, gb.patches(l)).t())) /
                 double(k);
      }
    }
  }
  return theta;
}

}  // namespace ntk::legacy_resnet
