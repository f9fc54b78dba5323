#include "cnn_network.hpp"

#include <cmath>
#include <random>
#include <string>

#include "cnn_architecture.hpp"
#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::cnn {

CnnNetwork::CnnNetwork(const CnnConfig& config, arma::uword channels, std::uint64_t seed)
    : config_(config), channels_(channels), seed_(seed) {
  if (channels == 0)
    throw_error("cnn network(): width = 0; the channel count C must be a positive integer");
  if (config_.input_shape.size() != 0) materialise(config_.input_shape);
}

void CnnNetwork::materialise(const sdk::ImageShape& shape) const {
  const arma::uword H = shape.height, W = shape.width, q = config_.filter, area = H * W;
  const long long half = static_cast<long long>(q / 2);
  if (config_.padding == sdk::layers::Padding::circular && (q > H || q > W))
    throw_error("cnn network(): filter = ", q, " is larger than the ", H, "x", W,
                " image; with padding = \"circular\" the filter must fit in the image");
  // Filter taps: source pixel (+1; 0 = a padded pixel) of each tap at each pixel.
  arma::umat neighbours(q * q, area);
  for (arma::uword i = 0; i < area; ++i)
    for (arma::uword a = 0; a < q; ++a)
      for (arma::uword b = 0; b < q; ++b) {
        long long h = static_cast<long long>(i / W) + static_cast<long long>(a) - half, w = static_cast<long long>(i % W) + static_cast<long long>(b) - half;
        if (config_.padding == sdk::layers::Padding::circular) {
          h = (h + static_cast<long long>(H)) % static_cast<long long>(H);
          w = (w + static_cast<long long>(W)) % static_cast<long long>(W);
        }
        const bool inside = h >= 0 && h < static_cast<long long>(H) && w >= 0 && w < static_cast<long long>(W);
        neighbours(a * q + b, i) = inside ? arma::uword(h) * W + arma::uword(w) + 1 : 0;
      }
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
  std::vector<Layer> layers(arma::uword(config_.depth));
  arma::uword offset = 0;
  for (arma::uword l = 0; l < layers.size(); ++l) {
    Layer& layer = layers[l];
    layer.fan_in = l == 0 ? shape.channels : channels_;
    layer.w_offset = offset;
    layer.b_offset = offset + channels_ * layer.fan_in * q * q;
    offset = layer.b_offset + channels_;
    layer.w_scale = config_.w_std / std::sqrt(double(layer.fan_in * q * q));
    layer.b_scale = config_.b_std;
  }
  const arma::uword readout_offset = offset;
  offset += channels_ * features + 1;
  sdk::check_allocation("cnn network(): the " + std::to_string(offset) + " parameters",
                        double(offset), 1.0);
  arma::vec params(offset);
  std::mt19937_64 rng(seed_);
  std::normal_distribution<double> normal(0.0, 1.0);
  for (double& v : params) v = normal(rng);
  shape_ = shape;
  neighbours_ = std::move(neighbours);
  pool_ = std::move(pool);
  features_ = features;
  readout_offset_ = readout_offset;
  layers_ = std::move(layers);
  params_ = std::move(params);
}

void CnnNetwork::require_materialised(const char* caller) const {
  if (layers_.empty())
    throw_error("cnn network ", caller, ": the image shape is not known yet; give the option "
                "input_shape = {C, H, W} to the architecture, or call forward(x) first");
}

arma::uword CnnNetwork::num_params() const {
  require_materialised("num_params()");
  return params_.n_elem;
}
const arma::vec& CnnNetwork::params() const {
  require_materialised("params()");
  return params_;
}
void CnnNetwork::set_params(const arma::vec& params) {
  require_materialised("set_params()");
  if (params.n_elem != params_.n_elem)
    throw_error("cnn network set_params(): got ", params.n_elem, " values, the network has ",
                params_.n_elem, " parameters");
  if (!params.is_finite()) throw_error("cnn network set_params(): the vector has non-finite values");
  params_ = params;
}

const arma::mat& CnnNetwork::checked_input(const sdk::Inputs& x, const char* caller) const {
  const std::string where = std::string("cnn network ") + caller;
  const sdk::ImageShape shape = resolve_shape(config_, x, where);
  if (layers_.empty()) materialise(shape);
  if (shape.channels != shape_.channels || shape.height != shape_.height || shape.width != shape_.width)
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
  const arma::uword area = shape_.height * shape_.width, c = shape_.channels, n = x.n_cols;
  arma::mat h(c, area * n);
  for (arma::uword e = 0; e < n; ++e)
    for (arma::uword ch = 0; ch < c; ++ch)
      for (arma::uword i = 0; i < area; ++i) h(ch, e * area + i) = x(ch * area + i, e);
  return h;
}

arma::mat CnnNetwork::im2col(const arma::mat& h) const {
  const arma::uword area = shape_.height * shape_.width, taps = neighbours_.n_rows;
  const arma::uword c = h.n_rows, n = h.n_cols / area;
  arma::mat patches(c * taps, h.n_cols);
  // Threads only pay off for large batches (a parallel region costs microseconds, more on a
  // loaded machine).
#pragma omp parallel for schedule(static) if (h.n_elem * taps > (1u << 18))
  for (arma::uword col = 0; col < h.n_cols; ++col) {
    const arma::uword e = col / area, i = col % area;
    double* out = patches.colptr(col);
    for (arma::uword ch = 0; ch < c; ++ch)
      for (arma::uword t = 0; t < taps; ++t) {
        const arma::uword src = neighbours_(t, i);
        out[ch * taps + t] = src == 0 ? 0.0 : h(ch, e * area + src - 1);
      }
  }
  (void)n;
  return patches;
}

arma::mat CnnNetwork::col2im(const arma::mat& patches, arma::uword channels) const {
  const arma::uword area = shape_.height * shape_.width, taps = neighbours_.n_rows;
  const arma::uword n = patches.n_cols / area;
  arma::mat h(channels, patches.n_cols, arma::fill::zeros);
#pragma omp parallel for schedule(static) if (patches.n_elem > (1u << 18))
  for (arma::uword e = 0; e < n; ++e)  // examples are independent: no write conflicts
    for (arma::uword i = 0; i < area; ++i) {
      const double* in = patches.colptr(e * area + i);
      for (arma::uword t = 0; t < taps; ++t) {
        const arma::uword src = neighbours_(t, i);
        if (src == 0) continue;
        double* out = h.colptr(e * area + src - 1);
        for (arma::uword ch = 0; ch < channels; ++ch) out[ch] += in[ch * taps + t];
      }
    }
  return h;
}

void CnnNetwork::activate(arma::mat& z, arma::mat* dphi) const {
  if (dphi != nullptr) dphi->set_size(z.n_rows, z.n_cols);
  double* zp = z.memptr();
  double* dp = dphi != nullptr ? dphi->memptr() : nullptr;
  const arma::uword n = z.n_elem;
  const bool relu = config_.activation == Activation::relu;
  const double two_over_sqrt_pi = 2.0 / std::sqrt(3.14159265358979323846);
#pragma omp parallel for schedule(static) if (n > (1u << 16))
  for (arma::uword i = 0; i < n; ++i) {
    if (relu) {
      if (dp != nullptr) dp[i] = zp[i] > 0 ? 1.0 : 0.0;
      zp[i] = zp[i] > 0 ? zp[i] : 0.0;
    } else {
      if (dp != nullptr) dp[i] = two_over_sqrt_pi * std::exp(-zp[i] * zp[i]);
      zp[i] = std::erf(zp[i]);
    }
  }
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

}  // namespace ntk::cnn
