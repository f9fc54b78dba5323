#include "cnn_network.hpp"

#include <cmath>
#include <string>

#include "cnn_architecture.hpp"
#include "conv_patches.hpp"
#include "image_shape.hpp"
#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::legacy_cnn {

CnnNetwork::CnnNetwork(const CnnConfig& config, arma::uword channels, std::uint64_t seed)
    : sdk::LazyNetwork("cnn network",
                       "the image shape is not known yet; give the option input_shape = {C, H, "
                       "W} to the architecture, or call forward(x) first"),
      config_(config),
      channels_(channels),
      seed_(seed) {
  if (channels == 0)
    throw_error("cnn network(): width = 0; the channel count C must be a positive integer");
  if (config_.input_shape.size() != 0) materialise(config_.input_shape);
}

void CnnNetwork::materialise(const sdk::ImageShape& shape) const {
  const arma::uword H = shape.height, W = shape.width, q = config_.filter, area = H * W;
  const bool circular = config_.padding == sdk::layers::Padding::circular;
  if (circular && (q > H || q > W))
    throw_error("cnn network(): filter = ", q, " is larger than the ", H, "x", W,
                " image; with padding = \"circular\" the filter must fit in the image");
  arma::umat neighbours = sdk::filter_taps(H, W, q, circular);
  // The readout's pooling matrix A (H·W × F) from the SDK's per-axis weights: for pooling,
  // R_axis = A_axis A_axisᵀ / F_axis, so A's entries are 1/p on each window's pixels per axis.
  arma::uword features = area;
  arma::sp_mat pool;
  if (config_.readout == Readout::flatten) {
    pool = arma::speye(area, area);
  } else if (config_.readout == Readout::gap) {
    features = 1;
    pool = arma::sp_mat(arma::mat(area, 1).fill(1.0 / double(area)));
  } else {
    const arma::uword p = config_.pool_window, s = config_.pool_stride;
    if (p > H || p > W)
      throw_error("cnn network(): pool_window = ", p, " is larger than the ", H, "x", W, " image");
    const arma::uword oh = (H - p) / s + 1, ow = (W - p) / s + 1;
    features = oh * ow;
    arma::mat dense(area, features, arma::fill::zeros);
    for (arma::uword u = 0; u < oh; ++u)
      for (arma::uword v = 0; v < ow; ++v)
        for (arma::uword a = 0; a < p; ++a)
          for (arma::uword b = 0; b < p; ++b)
            dense((u * s + a) * W + v * s + b, u * ow + v) = 1.0 / double(p * p);
    pool = arma::sp_mat(dense);
  }
  arma::uword offset = 0;
  std::vector<Layer> layers = sdk::conv_layer_layout(arma::uword(config_.depth), shape.channels,
                                                     channels_, q, config_.w_std, config_.b_std,
                                                     offset);
  const arma::uword readout_offset = offset;
  offset += channels_ * features + 1;
  arma::vec params = sdk::gaussian_params(offset, seed_, "cnn network()");
  shape_ = shape;
  neighbours_ = std::move(neighbours);
  pool_ = std::move(pool);
  features_ = features;
  readout_offset_ = readout_offset;
  layers_ = std::move(layers);
  adopt_params(std::move(params));
}

const arma::mat& CnnNetwork::checked_input(const sdk::Inputs& x, const char* caller) const {
  const std::string where = std::string("cnn network ") + caller;
  const sdk::ImageShape shape = resolve_shape(config_, x, where);
  if (!materialised()) materialise(shape);
  if (!sdk::same_shape(shape, shape_))
    throw_error(where, ": the images have shape {", shape.channels, ", ", shape.height, ", ",
                shape.width, "} but the network was made for {", shape_.channels, ", ",
                shape_.height, ", ", shape_.width, "}");
  sdk::check_finite(where, x.x());
  return x.x();
}

const arma::mat CnnNetwork::weight(const Layer& l) const {
  const arma::uword q = config_.filter;
  return arma::mat(const_cast<double*>(params_.memptr()) + l.w_offset, channels_,
                   l.fan_in * q * q, false, true);
}
const arma::mat CnnNetwork::readout_weight() const {
  return arma::mat(const_cast<double*>(params_.memptr()) + readout_offset_, channels_, features_,
                   false, true);
}
double CnnNetwork::readout_scale() const {
  return config_.readout_w_std / std::sqrt(double(channels_ * features_));
}

arma::mat CnnNetwork::input_matrix(const arma::mat& x) const {
  return sdk::pixels_by_channel(x, shape_);
}
arma::mat CnnNetwork::im2col(const arma::mat& h) const { return sdk::im2col(h, neighbours_); }
arma::mat CnnNetwork::col2im(const arma::mat& patches, arma::uword channels) const {
  return sdk::col2im(patches, neighbours_, channels);
}
void CnnNetwork::activate(arma::mat& z, arma::mat* dphi) const {
  sdk::relu_or_erf(z, dphi, config_.activation == Activation::relu);
}

CnnNetwork::Trace CnnNetwork::trace(const arma::mat& x) const {
  Trace t;
  const arma::uword area = shape_.height * shape_.width, n = x.n_cols;
  arma::mat h = input_matrix(x);
  for (const Layer& layer : layers_) {
    t.patches.push_back(im2col(h));
    arma::mat z = layer.w_scale * (weight(layer) * t.patches.back());
    if (layer.b_scale != 0) {
      const arma::vec bias = layer.b_scale * params_.subvec(layer.b_offset, layer.b_offset + channels_ - 1);
      z.each_col() += bias;
    }
    t.dphi.emplace_back();
    activate(z, &t.dphi.back());
    h = std::move(z);
  }
  // f_e = scale·⟨h_L,e, w Aᵀ⟩ + b: M = w·Aᵀ is C × H·W.
  const arma::mat m = readout_scale() * (readout_weight() * arma::mat(pool_.t()));
  t.out.set_size(n);
  const double bias = config_.readout_b_std * params_[params_.n_elem - 1];
  for (arma::uword e = 0; e < n; ++e)
    t.out[e] = arma::accu(h.cols(e * area, (e + 1) * area - 1) % m) + bias;
  t.last = std::move(h);
  return t;
}

arma::mat CnnNetwork::forward(const sdk::Inputs& x) const {
  return trace(checked_input(x, "forward()")).out;
}

std::vector<arma::mat> CnnNetwork::backward(const Trace& t, const arma::rowvec& r) const {
  const arma::uword area = shape_.height * shape_.width, n = r.n_elem;
  const arma::mat m = readout_scale() * (readout_weight() * arma::mat(pool_.t()));
  arma::mat delta(channels_, area * n);  // ∂⟨r, f⟩/∂h_L
  for (arma::uword e = 0; e < n; ++e) delta.cols(e * area, (e + 1) * area - 1) = r[e] * m;
  std::vector<arma::mat> dz(layers_.size());
  for (arma::uword l = layers_.size(); l-- > 0;) {
    dz[l] = delta % t.dphi[l];
    if (l > 0) delta = col2im(layers_[l].w_scale * (weight(layers_[l]).t() * dz[l]), channels_);
  }
  return dz;
}

arma::vec CnnNetwork::vjp(const sdk::Inputs& x, const arma::mat& cotangent) const {
  const arma::mat& in = checked_input(x, "vjp()");
  if (cotangent.n_rows != 1 || cotangent.n_cols != in.n_cols)
    throw_error("cnn network vjp(): the cotangent is ", cotangent.n_rows, " x ", cotangent.n_cols,
                ", expected 1 x n = 1 x ", in.n_cols);
  const Trace t = trace(in);
  const arma::rowvec r = cotangent.row(0);
  const std::vector<arma::mat> dz = backward(t, r);
  arma::vec grad(params_.n_elem);
  for (arma::uword l = 0; l < layers_.size(); ++l) {
    const Layer& layer = layers_[l];
    arma::mat gw(grad.memptr() + layer.w_offset, channels_, t.patches[l].n_rows, false, true);
    gw = layer.w_scale * (dz[l] * t.patches[l].t());
    grad.subvec(layer.b_offset, layer.b_offset + channels_ - 1) = layer.b_scale * arma::sum(dz[l], 1);
  }
  const arma::uword area = shape_.height * shape_.width;
  arma::mat weighted(channels_, area, arma::fill::zeros);  // Σ_e r_e·h_L,e
  for (arma::uword e = 0; e < r.n_elem; ++e) weighted += r[e] * t.last.cols(e * area, (e + 1) * area - 1);
  arma::mat gr(grad.memptr() + readout_offset_, channels_, features_, false, true);
  gr = readout_scale() * (weighted * pool_);
  grad[grad.n_elem - 1] = config_.readout_b_std * arma::accu(r);
  return grad;
}

arma::mat CnnNetwork::jvp(const sdk::Inputs& x, const arma::vec& tangent) const {
  const arma::mat& in = checked_input(x, "jvp()");
  if (tangent.n_elem != params_.n_elem)
    throw_error("cnn network jvp(): the tangent has ", tangent.n_elem, " entries, the network has ",
                params_.n_elem, " parameters");
  const arma::uword area = shape_.height * shape_.width, n = in.n_cols, q = config_.filter;
  arma::mat h = input_matrix(in), dh(h.n_rows, h.n_cols, arma::fill::zeros);
  for (arma::uword l = 0; l < layers_.size(); ++l) {
    const Layer& layer = layers_[l];
    const arma::mat dw(const_cast<double*>(tangent.memptr()) + layer.w_offset, channels_,
                       layer.fan_in * q * q, false, true);
    const arma::mat patches = im2col(h);
    arma::mat z = layer.w_scale * (weight(layer) * patches);
    arma::mat dz = layer.w_scale * (dw * patches + weight(layer) * im2col(dh));
    z.each_col() += layer.b_scale * params_.subvec(layer.b_offset, layer.b_offset + channels_ - 1);
    dz.each_col() += layer.b_scale * tangent.subvec(layer.b_offset, layer.b_offset + channels_ - 1);
    arma::mat dphi;
    activate(z, &dphi);
    h = std::move(z);
    dh = dphi % dz;
  }
  const arma::mat pool_t(pool_.t());
  const arma::mat m = readout_scale() * (readout_weight() * pool_t);
  const arma::mat dw(const_cast<double*>(tangent.memptr()) + readout_offset_, channels_, features_,
                     false, true);
  const arma::mat dm = readout_scale() * (dw * pool_t);
  arma::mat out(1, n);
  const double db = config_.readout_b_std * tangent[tangent.n_elem - 1];
  for (arma::uword e = 0; e < n; ++e)
    out(0, e) = arma::accu(dh.cols(e * area, (e + 1) * area - 1) % m) +
                arma::accu(h.cols(e * area, (e + 1) * area - 1) % dm) + db;
  return out;
}

}  // namespace ntk::legacy_cnn
