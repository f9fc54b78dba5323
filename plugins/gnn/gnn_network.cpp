#include "gnn_network.hpp"

#include <cmath>
#include <random>
#include <string>

#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::gnn {

namespace {

constexpr double kSqrt2 = 1.41421356237309504880;

// Standard normal samples from a 64-bit Mersenne twister by Box–Muller, written out so the
// numbers do not depend on the standard library's normal_distribution.
void fill_normal(arma::vec& v, std::uint64_t seed) {
  std::mt19937_64 engine(seed);
  const double two_pi = 6.28318530717958647692;
  auto uniform = [&] { return (double(engine() >> 11) + 0.5) * 0x1.0p-53; };  // (0, 1)
  for (arma::uword i = 0; i < v.n_elem; i += 2) {
    const double r = std::sqrt(-2.0 * std::log(uniform()));
    const double angle = two_pi * uniform();
    v(i) = r * std::cos(angle);
    if (i + 1 < v.n_elem) v(i + 1) = r * std::sin(angle);
  }
}

arma::mat relu_mask(const arma::mat& z) {  // √2 relu'(z)
  arma::mat m(arma::size(z));
  for (arma::uword i = 0; i < z.n_elem; ++i) m(i) = z(i) > 0 ? kSqrt2 : 0.0;
  return m;
}

arma::mat scaled_relu(const arma::mat& z) { return kSqrt2 * arma::clamp(z, 0.0, arma::datum::inf); }

}  // namespace

GnnNetwork::GnnNetwork(const Config& config, arma::uword width, std::uint64_t seed)
    : sdk::LazyNetwork("gnn network",
                       "the node-feature dimension is not known yet; give the option "
                       "features = f to the architecture, or call forward(graphs) first"),
      config_(config),
      width_(width),
      seed_(seed) {
  if (width == 0) throw_error("gnn network(): width = 0; a positive width is expected");
  if (config.features > 0) materialise(config.features);
}

void GnnNetwork::materialise(arma::uword features) const {
  const double m = double(width_);
  std::vector<Layer> layers, readout;
  arma::uword offset = 0;
  for (arma::uword b = 0; b < config_.blocks; ++b)
    for (arma::uword r = 0; r < config_.mlp_layers; ++r) {
      const bool first = b == 0 && r == 0;
      Layer layer{first ? features : width_, offset, first ? 1.0 : 1.0 / std::sqrt(m)};
      offset += width_ * layer.fan_in;
      layers.push_back(layer);
    }
  if (config_.jumping_knowledge) {
    readout.push_back({features, offset, kSqrt2});
    offset += features;
    for (arma::uword b = 0; b < config_.blocks; ++b) {
      readout.push_back({width_, offset, kSqrt2 / std::sqrt(m)});
      offset += width_;
    }
  } else {
    readout.push_back({width_, offset, kSqrt2 / std::sqrt(m)});
    offset += width_;
  }
  sdk::check_allocation("gnn network(): the " + std::to_string(offset) + " parameters",
                        double(offset), 1.0);
  arma::vec params(offset);
  fill_normal(params, seed_);
  layers_ = std::move(layers);
  readout_ = std::move(readout);
  features_ = features;
  adopt_params(std::move(params));
}

const arma::mat GnnNetwork::weight(arma::uword layer) const {
  return arma::mat(const_cast<double*>(params_.memptr()) + layers_[layer].offset, width_,
                   layers_[layer].fan_in, false, true);
}

std::vector<PreparedGraph> GnnNetwork::prepare(const sdk::Inputs& x,
                                               const std::string& where) const {
  arma::uword features = 0;
  std::vector<PreparedGraph> graphs = prepare_graphs(x, config_.scale, where, features);
  if (graphs.empty()) return graphs;
  if (features == 0)
    throw_error(where, ": the graphs have 0 node features; at least one is needed");
  if (features_ == 0) materialise(features);
  if (features != features_)
    throw_error(where, ": the graphs have ", features, " node features but the network has "
                "features = ", features_);
  return graphs;
}

GnnNetwork::Trace GnnNetwork::run(const PreparedGraph& g) const {
  Trace t;
  const arma::uword per_block = config_.mlp_layers;
  arma::mat block_output;  // h of the previous BLOCK
  for (arma::uword l = 0; l < layers_.size(); ++l) {
    if (l % per_block == 0) t.in.push_back(aggregate_nodes(g, l == 0 ? g.graph->features : block_output));
    else t.in.push_back(scaled_relu(t.z.back()));
    t.z.push_back(layers_[l].scale * (weight(l) * t.in.back()));
    if ((l + 1) % per_block == 0) block_output = scaled_relu(t.z.back());
  }
  return t;
}

std::vector<arma::vec> GnnNetwork::readout_inputs(const PreparedGraph& g, const Trace& t) const {
  const arma::uword per_block = config_.mlp_layers;
  auto block_sum = [&](arma::uword b) -> arma::vec {
    return arma::sum(scaled_relu(t.z[(b + 1) * per_block - 1]), 1);
  };
  std::vector<arma::vec> out;
  if (config_.jumping_knowledge) {
    out.push_back(arma::sum(g.graph->features, 1));
    for (arma::uword b = 0; b < config_.blocks; ++b) out.push_back(block_sum(b));
  } else {
    out.push_back(block_sum(config_.blocks - 1));
  }
  return out;
}

arma::mat GnnNetwork::forward(const sdk::Inputs& x) const {
  const std::vector<PreparedGraph> graphs = prepare(x, "gnn forward()");
  arma::mat out(1, graphs.size());
#pragma omp parallel for schedule(dynamic, 1)
  for (std::size_t i = 0; i < graphs.size(); ++i) {
    const Trace t = run(graphs[i]);
    const std::vector<arma::vec> sums = readout_inputs(graphs[i], t);
    double f = 0.0;
    for (std::size_t k = 0; k < readout_.size(); ++k)
      f += readout_[k].scale * arma::dot(params_.subvec(readout_[k].offset,
                                                        readout_[k].offset + readout_[k].fan_in - 1),
                                         sums[k]);
    out(0, i) = f;
  }
  return out;
}

std::vector<arma::mat> GnnNetwork::backward(const PreparedGraph& g, const Trace& t,
                                            double cotangent) const {
  const arma::uword per_block = config_.mlp_layers, n = g.nodes;
  std::vector<arma::mat> delta(layers_.size());
  // ∂f/∂h of each BLOCK's output from the readout: the same vector at every node.
  auto readout_grad = [&](arma::uword k) -> arma::mat {
    const arma::vec w = params_.subvec(readout_[k].offset, readout_[k].offset + readout_[k].fan_in - 1);
    return arma::repmat(cotangent * readout_[k].scale * w, 1, n);
  };
  arma::mat grad_x;  // ∂f/∂x of the current layer's output
  for (arma::uword l = layers_.size(); l-- > 0;) {
    const arma::uword b = l / per_block;
    if ((l + 1) % per_block == 0) {  // last layer of BLOCK b: its output reaches the readout
      arma::mat from_readout;
      if (config_.jumping_knowledge) from_readout = readout_grad(1 + b);
      else if (b + 1 == config_.blocks) from_readout = readout_grad(0);
      if (grad_x.is_empty()) grad_x = from_readout;
      else if (!from_readout.is_empty()) grad_x += from_readout;
    }
    delta[l] = grad_x % relu_mask(t.z[l]);
    if (l == 0) break;
    arma::mat grad_in = layers_[l].scale * (weight(l).t() * delta[l]);
    grad_x = l % per_block == 0 ? aggregate_nodes_adjoint(g, grad_in) : std::move(grad_in);
  }
  return delta;
}

arma::vec GnnNetwork::vjp(const sdk::Inputs& x, const arma::mat& cotangent) const {
  const std::vector<PreparedGraph> graphs = prepare(x, "gnn vjp()");
  if (cotangent.n_rows != 1 || cotangent.n_cols != graphs.size())
    throw_error("gnn vjp(): the cotangent is ", cotangent.n_rows, " x ", cotangent.n_cols,
                "; 1 x ", graphs.size(), " (outputs x graphs) is expected");
  sdk::check_finite("gnn vjp() cotangent", cotangent);
  arma::vec grad(params_.n_elem, arma::fill::zeros);
  for (std::size_t i = 0; i < graphs.size(); ++i) {
    const double c = cotangent(0, i);
    if (c == 0.0) continue;
    const Trace t = run(graphs[i]);
    const std::vector<arma::mat> delta = backward(graphs[i], t, c);
    for (arma::uword l = 0; l < layers_.size(); ++l) {
      arma::mat g(grad.memptr() + layers_[l].offset, width_, layers_[l].fan_in, false, true);
      g += layers_[l].scale * (delta[l] * t.in[l].t());
    }
    const std::vector<arma::vec> sums = readout_inputs(graphs[i], t);
    for (std::size_t k = 0; k < readout_.size(); ++k)
      grad.subvec(readout_[k].offset, readout_[k].offset + readout_[k].fan_in - 1) +=
          c * readout_[k].scale * sums[k];
  }
  return grad;
}

arma::mat GnnNetwork::jvp(const sdk::Inputs& x, const arma::vec& tangent) const {
  const std::vector<PreparedGraph> graphs = prepare(x, "gnn jvp()");
  if (tangent.n_elem != params_.n_elem)
    throw_error("gnn jvp(): the tangent has ", tangent.n_elem, " values, the network has ",
                params_.n_elem, " parameters");
  sdk::check_finite("gnn jvp() tangent", tangent);
  const arma::uword per_block = config_.mlp_layers;
  arma::mat out(1, graphs.size());
  for (std::size_t i = 0; i < graphs.size(); ++i) {
    const Trace t = run(graphs[i]);
    // Forward-mode: d z = s (dW in + W d in); d x = √2 relu'(z) ⊙ d z; aggregation is linear.
    std::vector<arma::vec> block_sums;  // Σ_u d h of each BLOCK
    arma::mat d_x, d_block;
    for (arma::uword l = 0; l < layers_.size(); ++l) {
      const arma::mat dw(const_cast<double*>(tangent.memptr()) + layers_[l].offset, width_,
                         layers_[l].fan_in, false, true);
      arma::mat d_z = dw * t.in[l];
      if (l > 0) {
        const arma::mat d_in = l % per_block == 0 ? aggregate_nodes(graphs[i], d_block) : d_x;
        d_z += weight(l) * d_in;
      }
      d_z *= layers_[l].scale;
      d_x = relu_mask(t.z[l]) % d_z;
      if ((l + 1) % per_block == 0) {
        d_block = d_x;
        block_sums.push_back(arma::sum(d_x, 1));
      }
    }
    const std::vector<arma::vec> sums = readout_inputs(graphs[i], t);
    double df = 0.0;
    for (std::size_t k = 0; k < readout_.size(); ++k) {
      const arma::uword lo = readout_[k].offset, hi = lo + readout_[k].fan_in - 1;
      double term = arma::dot(tangent.subvec(lo, hi), sums[k]);
      // The input term of jumping knowledge (k = 0) does not depend on the dense layers.
      const bool from_block = !config_.jumping_knowledge || k > 0;
      if (from_block) {
        const arma::uword b = config_.jumping_knowledge ? k - 1 : config_.blocks - 1;
        term += arma::dot(params_.subvec(lo, hi), block_sums[b]);
      }
      df += readout_[k].scale * term;
    }
    out(0, i) = df;
  }
  return out;
}

GnnNetwork::Sensitivities GnnNetwork::sensitivities(const std::vector<PreparedGraph>& graphs) const {
  Sensitivities s;
  s.graph_start.assign(1, 0);
  for (const auto& g : graphs) s.graph_start.push_back(s.graph_start.back() + g.nodes);
  const arma::uword nodes = s.graph_start.back();
  double floats = 0;
  for (const auto& l : layers_) floats += double(l.fan_in + width_) * double(nodes);
  sdk::check_allocation("gnn ntk(): the per-node activations and sensitivities", floats, 1.0);
  for (const auto& l : layers_) {
    s.in.emplace_back(l.fan_in, nodes);
    s.delta.emplace_back(width_, nodes);
  }
  for (const auto& r : readout_) s.readout_in.emplace_back(r.fan_in, graphs.size());
#pragma omp parallel for schedule(dynamic, 1)
  for (std::size_t i = 0; i < graphs.size(); ++i) {
    const Trace t = run(graphs[i]);
    const std::vector<arma::mat> delta = backward(graphs[i], t, 1.0);
    const arma::uword lo = s.graph_start[i], hi = s.graph_start[i + 1];
    if (hi > lo)
      for (arma::uword l = 0; l < layers_.size(); ++l) {
        s.in[l].cols(lo, hi - 1) = layers_[l].scale * t.in[l];  // carries the layer's scale
        s.delta[l].cols(lo, hi - 1) = delta[l];
      }
    const std::vector<arma::vec> sums = readout_inputs(graphs[i], t);
    for (std::size_t k = 0; k < readout_.size(); ++k)
      s.readout_in[k].col(i) = readout_[k].scale * sums[k];
  }
  return s;
}

arma::mat GnnNetwork::ntk(const sdk::Inputs& a, const sdk::Inputs& b) const {
  const bool symmetric = &a == &b;
  const std::vector<PreparedGraph> ga = prepare(a, "gnn ntk()");
  const std::vector<PreparedGraph> gb_own = symmetric ? std::vector<PreparedGraph>{} : prepare(b, "gnn ntk()");
  const std::vector<PreparedGraph>& gb = symmetric ? ga : gb_own;
  const Sensitivities sa = sensitivities(ga);
  const Sensitivities sb_own = symmetric ? Sensitivities{} : sensitivities(gb);
  const Sensitivities& sb = symmetric ? sa : sb_own;

  const arma::uword nodes_a = sa.graph_start.back(), nodes_b = sb.graph_start.back();
  sdk::check_allocation("gnn ntk(): the node-pair Gram matrices", 2.0 * double(nodes_a),
                        double(nodes_b));
  // Readout vectors: ⟨s Σ_u x_u, s Σ_u' x'_u'⟩.
  arma::mat theta(ga.size(), gb.size(), arma::fill::zeros);
  for (std::size_t k = 0; k < readout_.size(); ++k) theta += sa.readout_in[k].t() * sb.readout_in[k];
  // Dense layers: Σ_{u,u'} ⟨δ(u), δ'(u')⟩ s²⟨in(u), in'(u')⟩, summed over layers, then over the
  // node blocks of each graph pair.
  arma::mat node_pairs(nodes_a, nodes_b, arma::fill::zeros);
  for (arma::uword l = 0; l < layers_.size(); ++l)
    node_pairs += (sa.delta[l].t() * sb.delta[l]) % (sa.in[l].t() * sb.in[l]);
  for (std::size_t j = 0; j < gb.size(); ++j)
    for (std::size_t i = 0; i < ga.size(); ++i) {
      const arma::uword r0 = sa.graph_start[i], r1 = sa.graph_start[i + 1];
      const arma::uword c0 = sb.graph_start[j], c1 = sb.graph_start[j + 1];
      if (r1 > r0 && c1 > c0) theta(i, j) += arma::accu(node_pairs.submat(r0, c0, r1 - 1, c1 - 1));
    }
  return theta;
}

}  // namespace ntk::gnn
