#include "fc_network.hpp"

#include <cmath>
#include <random>
#include <string>

#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::legacy_fc {

FcNetwork::FcNetwork(const FcConfig& config, arma::uword width, std::uint64_t seed)
    : config_(config), width_(width), seed_(seed) {
  if (width == 0) throw_error("fc network(): width = 0; the hidden width must be a positive integer");
  if (config_.input_dim > 0) materialise(config_.input_dim);
}

void FcNetwork::materialise(arma::uword d) const {
  const arma::uword depth = arma::uword(config_.depth), k = config_.outputs;
  std::vector<Layer> layers(depth + 1);
  arma::uword offset = 0;
  for (arma::uword l = 0; l <= depth; ++l) {
    Layer& layer = layers[l];
    layer.fan_in = l == 0 ? d : width_;
    layer.fan_out = l == depth ? k : width_;
    layer.w_offset = offset;
    layer.b_offset = offset + layer.fan_in * layer.fan_out;
    offset = layer.b_offset + layer.fan_out;
    const bool ntk_param = config_.parametrization == sdk::Parametrization::ntk;
    layer.w_scale = ntk_param ? config_.w_std / std::sqrt(double(layer.fan_in)) : 1.0;
    layer.b_scale = ntk_param ? config_.b_std : 1.0;
  }
  sdk::check_allocation("fc network(): the " + std::to_string(offset) + " parameters",
                        double(offset), 1.0);
  arma::vec params(offset);
  std::mt19937_64 rng(seed_);
  std::normal_distribution<double> normal(0.0, 1.0);
  for (const Layer& layer : layers) {
    // The standard parametrisation stores the weights themselves: N(0, w²/fan_in), N(0, b²).
    const bool standard = config_.parametrization == sdk::Parametrization::standard;
    const double w = standard ? config_.w_std / std::sqrt(double(layer.fan_in)) : 1.0;
    const double b = standard ? config_.b_std : 1.0;
    for (arma::uword i = layer.w_offset; i < layer.b_offset; ++i) params[i] = w * normal(rng);
    for (arma::uword i = layer.b_offset; i < layer.b_offset + layer.fan_out; ++i)
      params[i] = b * normal(rng);
  }
  layers_ = std::move(layers);
  params_ = std::move(params);
  input_dim_ = d;
}

void FcNetwork::require_materialised(const char* caller) const {
  if (input_dim_ == 0)
    throw_error("fc network ", caller, ": the input dimension is not known yet; give the option "
                "input_dim = d to the architecture, or call forward(x) first");
}

arma::uword FcNetwork::num_params() const {
  require_materialised("num_params()");
  return params_.n_elem;
}

const arma::vec& FcNetwork::params() const {
  require_materialised("params()");
  return params_;
}

void FcNetwork::set_params(const arma::vec& params) {
  require_materialised("set_params()");
  if (params.n_elem != params_.n_elem)
    throw_error("fc network set_params(): got ", params.n_elem, " values, the network has ",
                params_.n_elem, " parameters");
  if (!params.is_finite()) throw_error("fc network set_params(): the vector has non-finite values");
  params_ = params;
}

const arma::mat& FcNetwork::checked_input(const sdk::Inputs& x, const char* caller) const {
  if (x.kind() == sdk::Inputs::Kind::graphs)
    throw_error("fc network ", caller, ": graph inputs are not supported; pass d x n vectors");
  const arma::uword d = x.dim();
  if (d == 0) throw_error("fc network ", caller, ": the input has 0 rows");
  if (input_dim_ == 0) materialise(d);
  if (d != input_dim_)
    throw_error("fc network ", caller, ": input is ", d, " x ", x.size(), " but the network expects ",
                input_dim_, " rows");
  sdk::check_finite(std::string("fc network ") + caller, x.x());
  return x.x();
}

const arma::mat FcNetwork::weight(const Layer& l) const {
  return arma::mat(const_cast<double*>(params_.memptr()) + l.w_offset, l.fan_out, l.fan_in, false,
                   true);
}
const arma::vec FcNetwork::bias(const Layer& l) const {
  return arma::vec(const_cast<double*>(params_.memptr()) + l.b_offset, l.fan_out, false, true);
}

void FcNetwork::activate(arma::mat& z, arma::mat* dphi) const {
  if (dphi != nullptr) dphi->set_size(z.n_rows, z.n_cols);
  double* zp = z.memptr();
  double* dp = dphi != nullptr ? dphi->memptr() : nullptr;
  const arma::uword n = z.n_elem;
  if (config_.activation == Activation::relu) {
#pragma omp parallel for schedule(static)
    for (arma::uword i = 0; i < n; ++i) {
      if (dp != nullptr) dp[i] = zp[i] > 0 ? 1.0 : 0.0;
      zp[i] = zp[i] > 0 ? zp[i] : 0.0;
    }
  } else {
    const double two_over_sqrt_pi = 2.0 / std::sqrt(3.14159265358979323846);
#pragma omp parallel for schedule(static)
    for (arma::uword i = 0; i < n; ++i) {
      if (dp != nullptr) dp[i] = two_over_sqrt_pi * std::exp(-zp[i] * zp[i]);
      zp[i] = std::erf(zp[i]);
    }
  }
}

FcNetwork::Trace FcNetwork::trace(const arma::mat& x) const {
  Trace t;
  const arma::uword depth = layers_.size() - 1;
  t.h.reserve(depth + 1);
  t.dphi.resize(depth);
  t.h.push_back(x);
  for (arma::uword l = 0; l <= depth; ++l) {
    const Layer& layer = layers_[l];
    arma::mat z = layer.w_scale * (weight(layer) * t.h[l]);
    z.each_col() += layer.b_scale * bias(layer);
    if (l == depth) {
      t.out = std::move(z);
    } else {
      activate(z, &t.dphi[l]);
      t.h.push_back(std::move(z));
    }
  }
  return t;
}

arma::mat FcNetwork::forward(const sdk::Inputs& x) const {
  const arma::mat& in = checked_input(x, "forward()");
  arma::mat h = in;
  for (arma::uword l = 0; l < layers_.size(); ++l) {
    const Layer& layer = layers_[l];
    arma::mat z = layer.w_scale * (weight(layer) * h);
    z.each_col() += layer.b_scale * bias(layer);
    if (l + 1 < layers_.size()) activate(z, nullptr);
    h = std::move(z);
  }
  return h;
}

arma::vec FcNetwork::vjp(const sdk::Inputs& x, const arma::mat& cotangent) const {
  const arma::mat& in = checked_input(x, "vjp()");
  if (cotangent.n_rows != config_.outputs || cotangent.n_cols != x.size())
    throw_error("fc network vjp(): the cotangent is ", cotangent.n_rows, " x ", cotangent.n_cols,
                ", expected k x n = ", config_.outputs, " x ", x.size());
  const Trace t = trace(in);
  arma::vec grad(params_.n_elem);
  arma::mat delta = cotangent;  // ∂⟨r, f⟩/∂z_l, n_l × n
  for (arma::uword l = layers_.size(); l-- > 0;) {
    const Layer& layer = layers_[l];
    arma::mat gw(grad.memptr() + layer.w_offset, layer.fan_out, layer.fan_in, false, true);
    gw = layer.w_scale * (delta * t.h[l].t());
    grad.subvec(layer.b_offset, layer.b_offset + layer.fan_out - 1) =
        layer.b_scale * arma::sum(delta, 1);
    if (l > 0) delta = layer.w_scale * (weight(layer).t() * delta) % t.dphi[l - 1];
  }
  return grad;
}

arma::mat FcNetwork::jvp(const sdk::Inputs& x, const arma::vec& tangent) const {
  const arma::mat& in = checked_input(x, "jvp()");
  if (tangent.n_elem != params_.n_elem)
    throw_error("fc network jvp(): the tangent has ", tangent.n_elem, " entries, the network has ",
                params_.n_elem, " parameters");
  arma::mat h = in, dh;  // dh = ∂h/∂θ·v; zero at the input
  for (arma::uword l = 0; l < layers_.size(); ++l) {
    const Layer& layer = layers_[l];
    const arma::mat dw(const_cast<double*>(tangent.memptr()) + layer.w_offset, layer.fan_out,
                       layer.fan_in, false, true);
    const arma::vec db(const_cast<double*>(tangent.memptr()) + layer.b_offset, layer.fan_out,
                       false, true);
    arma::mat dz = dw * h;
    if (l > 0) dz += weight(layer) * dh;
    dz *= layer.w_scale;
    dz.each_col() += layer.b_scale * db;
    if (l + 1 == layers_.size()) return dz;
    arma::mat z = layer.w_scale * (weight(layer) * h);
    z.each_col() += layer.b_scale * bias(layer);
    arma::mat dphi;
    activate(z, &dphi);
    h = std::move(z);
    dh = dphi % dz;
  }
  return {};  // not reached: the loop returns at the output layer
}

std::vector<arma::mat> FcNetwork::output_signals(const Trace& t) const {
  const arma::uword depth = layers_.size() - 1, k = config_.outputs, n = t.h[0].n_cols;
  std::vector<arma::mat> delta(depth);
  if (depth == 0) return delta;
  // δ_{L-1}(:, i·k + o) = φ'(z_{L-1}(x_i)) ⊙ s_L·W_L(o, :)ᵀ
  const Layer& last = layers_[depth];
  const arma::mat wt = last.w_scale * weight(last).t();  // m × k
  arma::mat& top = delta[depth - 1];
  top.set_size(last.fan_in, n * k);
  for (arma::uword i = 0; i < n; ++i)
    for (arma::uword o = 0; o < k; ++o) top.col(i * k + o) = wt.col(o) % t.dphi[depth - 1].col(i);
  for (arma::uword l = depth - 1; l-- > 0;) {
    const Layer& next = layers_[l + 1];
    delta[l] = next.w_scale * (weight(next).t() * delta[l + 1]);
    for (arma::uword c = 0; c < n * k; ++c) delta[l].col(c) %= t.dphi[l].col(c / k);
  }
  return delta;
}

arma::mat FcNetwork::jacobian(const sdk::Inputs& x) const {
  const arma::mat& in = checked_input(x, "jacobian()");
  const arma::uword n = x.size(), k = config_.outputs, p = params_.n_elem;
  sdk::check_allocation("fc network jacobian(): the (n*k) x P Jacobian", double(n * k), double(p));
  const Trace t = trace(in);
  const std::vector<arma::mat> delta = output_signals(t);
  const arma::uword depth = layers_.size() - 1;
  arma::mat jac(n * k, p);
  for (arma::uword l = 0; l <= depth; ++l) {
    const Layer& layer = layers_[l];
    const arma::mat ht = t.h[l].t();  // n × fan_in
    // δ_l as (n·k) × fan_out; the output layer's δ is e_o.
    const arma::mat dt = l == depth ? arma::mat(arma::repmat(arma::eye(k, k), n, 1))
                                    : arma::mat(delta[l].t());
    const double s = layer.w_scale, beta = layer.b_scale;
    // Row i·k + o, column of W_l(a, b): s·δ_l(a)·h_{l-1}(b); of b_l(a): β·δ_l(a).
#pragma omp parallel for schedule(static)
    for (arma::uword b = 0; b < layer.fan_in; ++b)
      for (arma::uword a = 0; a < layer.fan_out; ++a) {
        double* column = jac.colptr(layer.w_offset + b * layer.fan_out + a);
        const double* d = dt.colptr(a);
        for (arma::uword i = 0; i < n; ++i) {
          const double hv = s * ht(i, b);
          for (arma::uword o = 0; o < k; ++o) column[i * k + o] = d[i * k + o] * hv;
        }
      }
    for (arma::uword a = 0; a < layer.fan_out; ++a)
      jac.col(layer.b_offset + a) = beta * dt.col(a);
  }
  return jac;
}

}  // namespace ntk::legacy_fc
