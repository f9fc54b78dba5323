#include "resnet_network.hpp"

#include <cmath>
#include <string>

#include "conv_patches.hpp"
#include "image_shape.hpp"
#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/error.hpp"
#include "resnet_architecture.hpp"

namespace ntk::legacy_resnet {

ResnetNetwork::ResnetNetwork(const ResnetConfig& config, arma::uword width, std::uint64_t seed)
    : sdk::LazyNetwork("resnet network",
                       "the input size is not known yet; call forward(x) first (or give "
                       "input_shape = {C, H, W} with kind = \"conv\")"),
      config_(config),
      width_(width),
      seed_(seed) {
  if (width == 0)
    throw_error("resnet network(): width = 0; the width (channels for kind = \"conv\") must be a "
                "positive integer");
  if (config_.kind == Kind::conv && config_.input_shape.size() != 0) materialise(config_.input_shape);
}

void ResnetNetwork::materialise(const sdk::ImageShape& shape) const {
  const bool conv = config_.kind == Kind::conv;
  const arma::uword H = shape.height, W = shape.width, q = conv ? config_.filter : 1, n_area = H * W;
  const bool circular = conv && config_.padding == sdk::layers::Padding::circular;
  if (circular && (q > H || q > W))
    throw_error("resnet network(): filter = ", q, " is larger than the ", H, "x", W,
                " image; with padding = \"circular\" the filter must fit in the image");
  arma::umat neighbours = sdk::filter_taps(H, W, q, circular);
  const arma::uword C = width_, k = config_.outputs;
  arma::uword offset = 0;  // the stem, then the branch layers block by block
  std::vector<Layer> layers = sdk::conv_layer_layout(
      1 + arma::uword(config_.blocks) * arma::uword(config_.branch_depth), shape.channels, C, q,
      config_.w_std, config_.b_std, offset);
  const arma::uword features = conv && config_.readout == Readout::flatten ? n_area : 1;
  const arma::uword readout_offset = offset;
  offset += k * C * features + k;
  arma::vec params = sdk::gaussian_params(offset, seed_, "resnet network()");
  shape_ = shape;
  neighbours_ = std::move(neighbours);
  features_ = features;
  readout_offset_ = readout_offset;
  layers_ = std::move(layers);
  adopt_params(std::move(params));
}

const arma::mat& ResnetNetwork::checked_input(const sdk::Inputs& x, const char* caller) const {
  const std::string where = std::string("resnet network ") + caller;
  const sdk::ImageShape shape = resolve_shape(config_, x, where);
  if (!materialised()) materialise(shape);
  if (!sdk::same_shape(shape, shape_)) {
    if (config_.kind == Kind::mlp)
      throw_error(where, ": input is ", x.dim(), " x ", x.size(), " but the network expects ",
                  shape_.channels, " rows");
    throw_error(where, ": the images have shape {", shape.channels, ", ", shape.height, ", ",
                shape.width, "} but the network was made for {", shape_.channels, ", ",
                shape_.height, ", ", shape_.width, "}");
  }
  sdk::check_finite(where, x.x());
  return x.x();
}

const arma::mat ResnetNetwork::weight(const Layer& l) const {
  const arma::uword taps = neighbours_.n_rows;
  return arma::mat(const_cast<double*>(params_.memptr()) + l.w_offset, width_, l.fan_in * taps,
                   false, true);
}
const arma::vec ResnetNetwork::bias(const Layer& l) const {
  return arma::vec(const_cast<double*>(params_.memptr()) + l.b_offset, width_, false, true);
}
const arma::mat ResnetNetwork::readout_weight() const {
  return arma::mat(const_cast<double*>(params_.memptr()) + readout_offset_, config_.outputs,
                   width_ * features_, false, true);
}
double ResnetNetwork::readout_scale() const {
  return config_.readout_w_std / std::sqrt(double(width_ * features_));
}

arma::mat ResnetNetwork::input_matrix(const arma::mat& x) const {
  return sdk::pixels_by_channel(x, shape_);
}
arma::mat ResnetNetwork::im2col(const arma::mat& h) const { return sdk::im2col(h, neighbours_); }
arma::mat ResnetNetwork::col2im(const arma::mat& patches, arma::uword channels) const {
  return sdk::col2im(patches, neighbours_, channels);
}

arma::mat ResnetNetwork::apply_layer(const Layer& l, const arma::mat& h) const {
  arma::mat z = l.w_scale * (weight(l) * im2col(h));
  if (l.b_scale != 0) z.each_col() += l.b_scale * bias(l);
  return z;
}

arma::mat ResnetNetwork::features(const arma::mat& h) const {
  const arma::uword n_area = area(), C = h.n_rows, n = h.n_cols / n_area;
  if (features_ == n_area) return arma::reshape(h, C * n_area, n);  // flatten (and mlp)
  arma::mat out(C, n);  // gap
  for (arma::uword e = 0; e < n; ++e) out.col(e) = arma::mean(h.cols(e * n_area, (e + 1) * n_area - 1), 1);
  return out;
}

arma::mat ResnetNetwork::features_adjoint(const arma::mat& g) const {
  const arma::uword n_area = area(), n = g.n_cols;
  if (features_ == n_area) return arma::reshape(g, width_, n_area * n);
  arma::mat out(width_, n_area * n);
  for (arma::uword e = 0; e < n; ++e)
    out.cols(e * n_area, (e + 1) * n_area - 1).each_col() = g.col(e) / double(n_area);
  return out;
}

void ResnetNetwork::activate(arma::mat& z, arma::mat* dphi) const {
  sdk::relu_or_erf(z, dphi, config_.activation == Activation::relu);
}

ResnetNetwork::Trace ResnetNetwork::trace(const arma::mat& x) const {
  Trace t;
  t.input = input_matrix(x);
  arma::mat stream = apply_layer(layers_[0], t.input);
  const arma::uword depth = arma::uword(config_.branch_depth);
  for (int b = 0; b < config_.blocks; ++b) {
    arma::mat u = stream;
    for (arma::uword l = 0; l < depth; ++l) {
      t.dphi.emplace_back();
      activate(u, &t.dphi.back());  // u ← φ(u), the layer's input
      arma::mat z = apply_layer(layers_[1 + arma::uword(b) * depth + l], u);
      t.inputs.push_back(std::move(u));
      u = std::move(z);
    }
    stream += config_.alpha * u;
  }
  activate(stream, &t.head_dphi);
  t.features = features(stream);
  t.out = readout_scale() * (readout_weight() * t.features);
  const arma::vec rb(const_cast<double*>(params_.memptr()) + readout_offset_ +
                         config_.outputs * width_ * features_,
                     config_.outputs, false, true);
  t.out.each_col() += config_.readout_b_std * rb;
  return t;
}

arma::mat ResnetNetwork::forward(const sdk::Inputs& x) const {
  return trace(checked_input(x, "forward()")).out;
}

std::vector<arma::mat> ResnetNetwork::backward(const Trace& t, const arma::mat& r) const {
  const arma::uword depth = arma::uword(config_.branch_depth);
  std::vector<arma::mat> dz(layers_.size());
  // ∂⟨r, f⟩/∂x_B, then down the residual stream.
  arma::mat g = features_adjoint(readout_scale() * (readout_weight().t() * r)) % t.head_dphi;
  for (arma::uword b = arma::uword(config_.blocks); b-- > 0;) {
    arma::mat gu = config_.alpha * g;
    for (arma::uword l = depth; l-- > 0;) {
      const arma::uword index = 1 + b * depth + l;
      const Layer& layer = layers_[index];
      arma::mat ga = col2im(layer.w_scale * (weight(layer).t() * gu), width_);
      dz[index] = std::move(gu);
      gu = ga % t.dphi[b * depth + l];
    }
    g += gu;
  }
  dz[0] = std::move(g);
  return dz;
}

arma::vec ResnetNetwork::vjp(const sdk::Inputs& x, const arma::mat& cotangent) const {
  const arma::mat& in = checked_input(x, "vjp()");
  if (cotangent.n_rows != config_.outputs || cotangent.n_cols != in.n_cols)
    throw_error("resnet network vjp(): the cotangent is ", cotangent.n_rows, " x ",
                cotangent.n_cols, ", expected k x n = ", config_.outputs, " x ", in.n_cols);
  const Trace t = trace(in);
  const std::vector<arma::mat> dz = backward(t, cotangent);
  arma::vec grad(params_.n_elem);
  for (arma::uword l = 0; l < layers_.size(); ++l) {
    const Layer& layer = layers_[l];
    const arma::mat& input = l == 0 ? t.input : t.inputs[l - 1];
    arma::mat gw(grad.memptr() + layer.w_offset, width_, layer.fan_in * neighbours_.n_rows, false, true);
    gw = layer.w_scale * (dz[l] * im2col(input).t());
    grad.subvec(layer.b_offset, layer.b_offset + width_ - 1) = layer.b_scale * arma::sum(dz[l], 1);
  }
  const arma::uword k = config_.outputs;
  arma::mat gr(grad.memptr() + readout_offset_, k, width_ * features_, false, true);
  gr = readout_scale() * (cotangent * t.features.t());
  grad.tail(k) = config_.readout_b_std * arma::sum(cotangent, 1);
  return grad;
}

arma::mat ResnetNetwork::jvp(const sdk::Inputs& x, const arma::vec& tangent) const {
  const arma::mat& in = checked_input(x, "jvp()");
  if (tangent.n_elem != params_.n_elem)
    throw_error("resnet network jvp(): the tangent has ", tangent.n_elem,
                " entries, the network has ", params_.n_elem, " parameters");
  // The layer and its derivative along the tangent: (z, dz) from (h, dh); dh empty = 0.
  auto layer_pair = [&](const Layer& l, const arma::mat& h, const arma::mat& dh, arma::mat& z,
                        arma::mat& dz) {
    const arma::mat dw(const_cast<double*>(tangent.memptr()) + l.w_offset, width_,
                       l.fan_in * neighbours_.n_rows, false, true);
    const arma::vec db(const_cast<double*>(tangent.memptr()) + l.b_offset, width_, false, true);
    const arma::mat patches = im2col(h);
    z = apply_layer(l, h);
    dz = dw * patches;
    if (!dh.is_empty()) dz += weight(l) * im2col(dh);
    dz *= l.w_scale;
    dz.each_col() += l.b_scale * db;
  };
  arma::mat stream, dstream;
  layer_pair(layers_[0], input_matrix(in), arma::mat(), stream, dstream);
  const arma::uword depth = arma::uword(config_.branch_depth);
  for (arma::uword b = 0; b < arma::uword(config_.blocks); ++b) {
    arma::mat u = stream, du = dstream;
    for (arma::uword l = 0; l < depth; ++l) {
      arma::mat dphi;
      activate(u, &dphi);
      du %= dphi;
      arma::mat z, dz;
      layer_pair(layers_[1 + b * depth + l], u, du, z, dz);
      u = std::move(z);
      du = std::move(dz);
    }
    stream += config_.alpha * u;
    dstream += config_.alpha * du;
  }
  arma::mat dphi;
  activate(stream, &dphi);
  dstream %= dphi;
  const arma::uword k = config_.outputs, cf = width_ * features_;
  const arma::mat dr(const_cast<double*>(tangent.memptr()) + readout_offset_, k, cf, false, true);
  const arma::vec drb(const_cast<double*>(tangent.memptr()) + readout_offset_ + k * cf, k, false, true);
  arma::mat out = readout_scale() * (dr * features(stream) + readout_weight() * features(dstream));
  out.each_col() += config_.readout_b_std * drb;
  return out;
}

}  // namespace ntk::legacy_resnet
