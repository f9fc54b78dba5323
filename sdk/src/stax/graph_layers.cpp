// Graph layers (stax_graph.hpp): aggregate, and the graph part (graph_readout,
// jumping_knowledge) — a combinator that runs its node layers on the nodes of every graph and
// reads them out per graph.
//
// Finite part: the batch arrives packed, one column per graph (graph_batch.hpp); the node
// layers see all nodes side by side (f × total nodes) as examples. The node features stay
// sparse through the aggregations and readouts before the first node layer; when that layer
// is a dense layer, W·X is taken on the sparse X (O(width·nnz), so one-hot labels over many
// tags cost what their non-zeros cost), otherwise the batch's features are made dense for it. Backward signals of node
// layers are (rows × total·r), column u·r + o; a readout's adjoint spreads each graph's signal
// over its nodes. The structured NTK walks the node layers with a node × node Θ and sums each
// graph pair's block (Σ_{u,u'} of the node-pair terms), then adds the taps' own terms.
#include <cmath>
#include <sstream>
#include <typeinfo>

#include "finite_chain.hpp"
#include "graph_batch.hpp"
#include "ntk/sdk/stax_graph.hpp"

namespace ntk::sdk::stax {
namespace {

const char* text(GraphReduce r) { return r == GraphReduce::sum ? "sum" : "mean"; }
const char* text(GraphScale s) { return s == GraphScale::uniform ? "uniform" : "degree"; }

LayerContext inner(LayerContext c) {
  c.readout = false;
  return c;
}

class FiniteAggregateMisplaced : public FiniteLayer {
 public:
  explicit FiniteAggregateMisplaced(Shape s) : shape_(s) {}
  Shape output_shape() const override { return shape_; }
  [[noreturn]] static void fail() {
    throw_error("aggregate: in a finite network it must be a layer of a graph part's blocks "
                "(serial is fine), not inside residual");
  }
  arma::mat forward(const double*, const arma::mat&, LayerCache*) const override { fail(); }
  arma::mat backward(const double*, const LayerCache&, const arma::mat&, arma::uword, double*,
                     bool) const override { fail(); }
  arma::mat jvp(const double*, const double*, const LayerCache&, const arma::mat&) const override {
    fail();
  }

 private:
  Shape shape_;
};

class Aggregate : public Layer {
 public:
  explicit Aggregate(GraphScale scale) : scale_(scale) {}
  std::string name() const override { return std::string("Aggregate(scale=") + text(scale_) + ")"; }
  Shape output_shape(const Shape& in, const LayerContext&) const override {
    if (in.is_image()) throw_error("aggregate acts on graph nodes, got ", in.text());
    return in;
  }
  void kernel_rule(KernelProgram& program, const LayerContext&) const override {
    program.aggregate(scale_);
  }
  std::unique_ptr<FiniteLayer> instantiate(const Shape& in, const LayerContext&) const override {
    return std::make_unique<FiniteAggregateMisplaced>(in);
  }
  GraphScale scale() const { return scale_; }

 private:
  GraphScale scale_;
};

// The node layers of a block, serials opened (so aggregate is found at any serial depth).
void node_layers(const LayerPtr& l, std::vector<LayerPtr>& out) {
  if (l->name().rfind("serial(", 0) == 0) {
    for (const auto& c : l->children()) node_layers(c, out);
  } else {
    out.push_back(l);
  }
}

// A layer list's last parametrised layer (its readout), or list size.
std::size_t last_parametrised(const std::vector<LayerPtr>& layers) {
  for (std::size_t i = layers.size(); i-- > 0;)
    if (layers[i]->parametrised()) return i;
  return layers.size();
}

// A dense layer reading the sparse node features directly: z = s·W·X + β·b. Its parameters are
// the dense layer's own, laid out as in dense.cpp (W, fan_out × fan_in column-major, then b);
// s and β (w_std/√fan_in and b_std in the NTK parametrisation) are read from the finite layer
// by two probes (one weight, then one bias, set to 1), so they are exactly the layer's numbers.
struct SparseDense {
  arma::uword fan_in = 0, fan_out = 0;
  double scale = 1, bias_scale = 1;
  bool trainable = true;
  bool active = false;  // the layer is a dense layer and the probes succeeded
};

bool is_dense_layer(const Layer& l) {
  static const LayerPtr sample = dense(1.0, 0.0);
  return typeid(l) == typeid(*sample);
}

SparseDense probe_dense(const FiniteLayer& layer, arma::uword fan_in) {
  SparseDense d;
  d.fan_in = fan_in;
  d.fan_out = layer.output_shape().size();
  if (fan_in == 0 || d.fan_out == 0 || layer.num_params() != d.fan_out * (fan_in + 1)) return d;
  std::vector<double> p(layer.num_params(), 0.0);
  arma::mat x(fan_in, 1, arma::fill::zeros);
  x(0) = 1.0;
  p[0] = 1.0;  // W(0, 0)
  d.scale = layer.forward(p.data(), x, nullptr)(0, 0);
  p[0] = 0.0;
  p[d.fan_out * fan_in] = 1.0;  // b(0)
  d.bias_scale = layer.forward(p.data(), x, nullptr)(0, 0);
  d.trainable = layer.trainable();
  d.active = std::isfinite(d.scale) && std::isfinite(d.bias_scale);
  return d;
}

arma::mat weight_of(const SparseDense& d, const double* p) {
  return arma::mat(const_cast<double*>(p), d.fan_out, d.fan_in, false, true);
}
arma::vec bias_of(const SparseDense& d, const double* p) {
  return arma::vec(const_cast<double*>(p) + d.fan_out * d.fan_in, d.fan_out, false, true);
}

class FiniteGraphPart : public FiniteLayer {
 public:
  struct Op {
    enum class Kind { layer, aggregate, tap } kind = Kind::layer;
    std::unique_ptr<FiniteLayer> layer;  // layer: the node layer; tap: its readout (or null)
    arma::uword offset = 0;
    GraphScale scale = GraphScale::uniform;
    SparseDense sparse;  // the first node layer, when dense: it reads the sparse features
  };

  FiniteGraphPart(arma::uword features, const GraphReadoutOptions& o, std::vector<Op> ops,
                  Shape out)
      : f_(features), o_(o), ops_(std::move(ops)), out_(out) {
    gain_ = o.features == GraphReduce::sum ? std::sqrt(double(f_)) : 1.0;
    for (Op& op : ops_) {
      if (!op.layer) continue;
      op.offset = params_;
      params_ += op.layer->num_params();
    }
    lowest_ = ops_.size();
    for (std::size_t k = 0; k < ops_.size(); ++k)
      if (ops_[k].kind == Op::Kind::layer && ops_[k].layer->num_params() > 0) {
        lowest_ = k;
        break;
      }
  }

  Shape output_shape() const override { return out_; }
  arma::uword num_params() const override { return params_; }
  void init(double* p, std::mt19937_64& rng) const override {
    for (const Op& op : ops_)
      if (op.layer) op.layer->init(p + op.offset, rng);
  }

  arma::mat forward(const double* p, const arma::mat& in, LayerCache* cache) const override {
    const graph::Batch b = graph::unpack_graphs(in, f_);
    // The node values: sparse (hs) until the first node layer, dense (h) after it.
    arma::sp_mat hs = gain_ == 1.0 ? b.features : arma::sp_mat(gain_ * b.features);
    arma::mat h;
    bool sparse = true;
    if (cache != nullptr) {
      cache->input = in;
      cache->children.resize(ops_.size());
    }
    arma::mat out;
    for (std::size_t k = 0; k < ops_.size(); ++k) {
      const Op& op = ops_[k];
      LayerCache* c = cache ? &cache->children[k] : nullptr;
      if (op.kind == Op::Kind::layer) {
        if (!sparse) {
          h = op.layer->forward(p + op.offset, h, c);
        } else if (op.sparse.active) {
          h = sparse_forward(op.sparse, p + op.offset, hs);
        } else {
          h = op.layer->forward(p + op.offset, arma::mat(hs), c);
        }
        sparse = false;
        hs.reset();
      } else if (op.kind == Op::Kind::aggregate) {
        if (sparse) hs = graph::aggregate_sparse(b, op.scale, hs);
        else h = graph::aggregate_nodes(b, op.scale, h, 1);
      } else {
        arma::mat y = sparse ? arma::mat(graph::reduce_sparse(b, o_.reduce, hs))
                             : graph::reduce_nodes(b, o_.reduce, h, 1);
        if (op.layer) y = op.layer->forward(p + op.offset, y, c);
        out = out.is_empty() ? y : arma::mat(out + y);
      }
    }
    return out;
  }

  arma::mat backward(const double* p, const LayerCache& cache, const arma::mat& delta,
                     arma::uword r, double* grad, bool need_input) const override {
    const graph::Batch b = graph::unpack_graphs(cache.input, f_);
    arma::mat d;  // the signal at the current node values; empty: none reaches them
    for (std::size_t k = ops_.size(); k-- > 0;) {
      const Op& op = ops_[k];
      double* g = grad ? grad + op.offset : nullptr;
      if (op.kind == Op::Kind::tap) {
        if (k < lowest_ && grad == nullptr) continue;
        arma::mat dy = op.layer ? op.layer->backward(p + op.offset, cache.children[k], delta, r, g,
                                                     k > lowest_)
                                : delta;
        if (k < lowest_) continue;  // no node layer with parameters below this tap
        const arma::mat dn = graph::expand_graphs(b, o_.reduce, dy, r);
        d = d.is_empty() ? dn : arma::mat(d + dn);
      } else if (d.is_empty()) {
        continue;
      } else if (op.kind == Op::Kind::aggregate) {
        d = graph::aggregate_nodes_adjoint(b, op.scale, d, r);
      } else if (op.sparse.active) {  // the first node layer: nothing below needs a signal
        if (g != nullptr && op.sparse.trainable)
          sparse_gradient(op.sparse, sparse_input(b, k), d, r, g);
        d.reset();
      } else {
        d = op.layer->backward(p + op.offset, cache.children[k], d, r, g, k > lowest_);
      }
    }
    if (!need_input) return {};
    return arma::zeros(cache.input.n_rows, cache.input.n_cols * r);  // structure: no gradient
  }

  arma::mat jvp(const double* p, const double* dp, const LayerCache& cache,
                const arma::mat&) const override {
    const graph::Batch b = graph::unpack_graphs(cache.input, f_);
    arma::mat d, out;  // d: the tangent of the node values (empty = 0)
    for (std::size_t k = 0; k < ops_.size(); ++k) {
      const Op& op = ops_[k];
      if (op.kind == Op::Kind::layer && op.sparse.active) {
        d = sparse_jvp(op.sparse, dp + op.offset, sparse_input(b, k));
      } else if (op.kind == Op::Kind::layer) {
        d = op.layer->jvp(p + op.offset, dp + op.offset, cache.children[k], d);
      } else if (op.kind == Op::Kind::aggregate) {
        if (!d.is_empty()) d = graph::aggregate_nodes(b, op.scale, d, 1);
      } else {
        arma::mat e = d.is_empty() ? arma::mat() : graph::reduce_nodes(b, o_.reduce, d, 1);
        if (op.layer) e = op.layer->jvp(p + op.offset, dp + op.offset, cache.children[k], e);
        if (e.is_empty()) e.zeros(out_.size(), cache.input.n_cols);
        out = out.is_empty() ? e : arma::mat(out + e);
      }
    }
    return out;
  }

  void ntk_backward(const double* p, const LayerCache& ca, arma::mat& da, const LayerCache& cb,
                    arma::mat& db, arma::uword r, bool symmetric, arma::mat& theta,
                    bool need_input) const override {
    const graph::Batch ba = graph::unpack_graphs(ca.input, f_);
    const graph::Batch bb_own = symmetric ? graph::Batch{} : graph::unpack_graphs(cb.input, f_);
    const graph::Batch& bb = symmetric ? ba : bb_own;
    arma::mat node_a, node_b, node_theta;
    for (std::size_t k = ops_.size(); k-- > 0;) {
      const Op& op = ops_[k];
      const LayerCache& cbk = symmetric ? ca.children[k] : cb.children[k];
      const bool need = k > lowest_;
      if (op.kind == Op::Kind::tap) {
        arma::mat ta = da, tb = symmetric ? arma::mat() : db;
        if (op.layer)
          op.layer->ntk_backward(p + op.offset, ca.children[k], ta, cbk, tb, r, symmetric, theta,
                                 need);
        if (!need) continue;
        const arma::mat ea = graph::expand_graphs(ba, o_.reduce, ta, r);
        node_a = node_a.is_empty() ? ea : arma::mat(node_a + ea);
        if (!symmetric) {
          const arma::mat eb = graph::expand_graphs(bb, o_.reduce, tb, r);
          node_b = node_b.is_empty() ? eb : arma::mat(node_b + eb);
        }
      } else if (node_a.is_empty()) {
        continue;
      } else if (op.kind == Op::Kind::aggregate) {
        node_a = graph::aggregate_nodes_adjoint(ba, op.scale, node_a, r);
        if (!symmetric) node_b = graph::aggregate_nodes_adjoint(bb, op.scale, node_b, r);
      } else {
        if (node_theta.is_empty()) node_theta.zeros(ba.start.back(), bb.start.back());
        if (op.sparse.active) {
          if (op.sparse.trainable) {
            const arma::sp_mat xa = sparse_input(ba, k);
            sparse_ntk_term(op.sparse, xa, node_a, symmetric ? xa : sparse_input(bb, k),
                            symmetric ? node_a : node_b, r, node_theta);
          }
          node_a.reset(), node_b.reset();  // the first node layer: nothing below it
          continue;
        }
        op.layer->ntk_backward(p + op.offset, ca.children[k], node_a, cbk, node_b, r, symmetric,
                               node_theta, need);
        if (!need) node_a.reset(), node_b.reset();
      }
    }
    if (!node_theta.is_empty()) add_graph_blocks(ba, bb, node_theta, symmetric, theta);
    (void)need_input;  // the structure of the graphs has no gradient
  }

 private:
  // The sparse node values entering op k (the first node layer): the features, scaled, through
  // the aggregations before it.
  arma::sp_mat sparse_input(const graph::Batch& b, std::size_t k) const {
    arma::sp_mat hs = gain_ == 1.0 ? b.features : arma::sp_mat(gain_ * b.features);
    for (std::size_t j = 0; j < k; ++j)
      if (ops_[j].kind == Op::Kind::aggregate) hs = graph::aggregate_sparse(b, ops_[j].scale, hs);
    return hs;
  }
  static arma::mat sparse_forward(const SparseDense& d, const double* p, const arma::sp_mat& x) {
    arma::mat z = d.scale * (weight_of(d, p) * x);
    z.each_col() += d.bias_scale * bias_of(d, p);
    return z;
  }
  // grad_W += s·Σ_o δ_o Xᵀ, grad_b += β·Σ δ: the signal's columns u·r + o all read node u.
  static void sparse_gradient(const SparseDense& d, const arma::sp_mat& x, const arma::mat& delta,
                              arma::uword r, double* grad) {
    arma::mat gw(grad, d.fan_out, d.fan_in, false, true);
    arma::vec gb(grad + d.fan_out * d.fan_in, d.fan_out, false, true);
    for (arma::uword o = 0; o < r; ++o) {
      const arma::mat signal = r == 1 ? delta : arma::mat(delta.cols(arma::regspace<arma::uvec>(
                                                    o, r, delta.n_cols - 1)));
      gw += d.scale * (signal * x.t());
    }
    gb += d.bias_scale * arma::sum(delta, 1);
  }
  static arma::mat sparse_jvp(const SparseDense& d, const double* dp, const arma::sp_mat& x) {
    if (!d.trainable) return arma::zeros(d.fan_out, x.n_cols);
    return sparse_forward(d, dp, x);  // dz = s·dW·X + β·db (affine in the parameters)
  }
  // The dense layer's NTK term on node pairs: (δ_aᵀδ_b) ⊙ (s²·X_aᵀX_b + β²).
  static void sparse_ntk_term(const SparseDense& d, const arma::sp_mat& xa, const arma::mat& da,
                              const arma::sp_mat& xb, const arma::mat& db, arma::uword r,
                              arma::mat& theta) {
    const arma::mat va(const_cast<double*>(da.memptr()), d.fan_out * r, xa.n_cols, false, true);
    const arma::mat vb(const_cast<double*>(db.memptr()), d.fan_out * r, xb.n_cols, false, true);
    const arma::mat gram(arma::sp_mat(xa.t() * xb));
    theta += (va.t() * vb) % (d.scale * d.scale * gram + d.bias_scale * d.bias_scale);
  }

  // theta(i, j) += Σ over graph i's and graph j's nodes of the node-pair terms. Symmetric: the
  // node terms are right in the upper triangle only, so a diagonal block is read from it.
  static void add_graph_blocks(const graph::Batch& ba, const graph::Batch& bb,
                               const arma::mat& node, bool symmetric, arma::mat& theta) {
    const arma::uword n1 = ba.prepared.size(), n2 = bb.prepared.size();
    for (arma::uword j = 0; j < n2; ++j)
      for (arma::uword i = 0; i < (symmetric ? j + 1 : n1); ++i) {
        const arma::uword r0 = ba.start[i], r1 = ba.start[i + 1];
        const arma::uword c0 = bb.start[j], c1 = bb.start[j + 1];
        if (r1 == r0 || c1 == c0) continue;
        const arma::mat block = node.submat(r0, c0, r1 - 1, c1 - 1);
        if (symmetric && i == j)
          theta(i, j) += 2.0 * arma::accu(arma::trimatu(block)) - arma::trace(block);
        else
          theta(i, j) += arma::accu(block);
      }
  }

  arma::uword f_;
  GraphReadoutOptions o_;
  std::vector<Op> ops_;
  Shape out_;
  double gain_ = 1;
  arma::uword params_ = 0;
  std::size_t lowest_ = 0;  // the first node layer with parameters (ops_.size() if none)
};

class GraphPart : public Layer {
 public:
  GraphPart(std::vector<LayerPtr> blocks, std::vector<std::vector<LayerPtr>> readouts, bool jk,
            const GraphReadoutOptions& o)
      : blocks_(std::move(blocks)), readouts_(std::move(readouts)), jk_(jk), o_(o) {
    const char* who = jk_ ? "jumping_knowledge()" : "graph_readout()";
    for (std::size_t i = 0; i < blocks_.size(); ++i)
      if (!blocks_[i]) throw_error(who, ": layer ", i + 1, " is null");
    if (jk_ && readouts_.size() != blocks_.size() + 1)
      throw_error(who, ": ", blocks_.size(), " blocks need ", blocks_.size() + 1,
                  " readouts (the input and every block), got ", readouts_.size());
    for (const auto& list : readouts_)
      for (const auto& l : list)
        if (!l) throw_error(who, ": a readout layer is null");
  }

  std::string name() const override {
    std::ostringstream out;
    out << (jk_ ? "JumpingKnowledge" : "GraphReadout") << "(reduce=" << text(o_.reduce)
        << ", features=" << text(o_.features) << ", " << list(blocks_);
    if (jk_) {
      out << ", readouts [";
      for (std::size_t t = 0; t < readouts_.size(); ++t) out << (t ? ", " : "") << list(readouts_[t]);
      out << "]";
    }
    out << ")";
    return out.str();
  }
  bool parametrised() const override {
    for (const auto& list : readouts_)
      for (const auto& l : list)
        if (l->parametrised()) return true;
    return false;
  }
  std::vector<LayerPtr> children() const override { return blocks_; }

  Shape output_shape(const Shape& in, const LayerContext& c) const override {
    if (!in.is_graph())
      throw_error("takes graphs (graph(f): per-node features), got ", in.text(),
                  "; it must be the first layer of a composition on graph inputs");
    Shape node = Shape::vector(in.channels), out;
    bool first = true;
    auto tap = [&](std::size_t t) {
      Shape s = node;
      if (jk_)
        for (std::size_t i = 0; i < readouts_[t].size(); ++i)
          s = checked_output_shape(*readouts_[t][i], s, tap_context(c, t, i),
                                   "readout " + std::to_string(t + 1) + ", layer " + std::to_string(i + 1));
      if (!first && !(s == out))
        throw_error("readout ", t + 1, " gives ", s.text(), " but readout 1 gives ", out.text(),
                    "; the taps are summed, so their outputs must agree");
      out = s;
      first = false;
    };
    if (jk_) tap(0);
    for (std::size_t b = 0; b < blocks_.size(); ++b) {
      node = checked_output_shape(*blocks_[b], node, inner(c),
                                  (jk_ ? "block " : "layer ") + std::to_string(b + 1));
      if (node.is_image()) throw_error("a node layer gives ", node.text(), "; nodes carry vectors");
      if (jk_) tap(b + 1);
    }
    if (!jk_) tap(0);
    return out;
  }

  void kernel_rule(KernelProgram& program, const LayerContext& c) const override {
    if (c.parametrization == Parametrization::standard)
      throw_error("the standard parametrisation is supported for vector compositions only; use "
                  "\"ntk\" on graphs");
    const std::string base = program.position();
    const double f = double(program.shape().channels);
    program.graph_start(o_.features == GraphReduce::sum ? 1.0 : 1.0 / f);
    auto tap = [&](std::size_t t) {
      const Shape node = program.shape();
      program.graph_tap(o_.reduce);
      if (jk_)
        for (std::size_t i = 0; i < readouts_[t].size(); ++i)
          program.apply(*readouts_[t][i], tap_context(c, t, i),
                        base + ", readout " + std::to_string(t + 1) + ", layer " + std::to_string(i + 1));
      program.graph_tap_end(node);
    };
    if (jk_) tap(0);
    for (std::size_t b = 0; b < blocks_.size(); ++b) {
      program.apply(*blocks_[b], inner(c), base + (jk_ ? ", block " : ", layer ") + std::to_string(b + 1));
      if (jk_) tap(b + 1);
    }
    if (!jk_) tap(0);
    program.graph_end();
  }

  std::unique_ptr<FiniteLayer> instantiate(const Shape& in, const LayerContext& c) const override {
    const Shape out = output_shape(in, c);
    std::vector<FiniteGraphPart::Op> ops;
    Shape node = Shape::vector(in.channels);
    auto tap = [&](std::size_t t) {
      FiniteGraphPart::Op op;
      op.kind = FiniteGraphPart::Op::Kind::tap;
      if (jk_ && !readouts_[t].empty()) {
        std::vector<std::unique_ptr<FiniteLayer>> chain;
        Shape s = node;
        for (std::size_t i = 0; i < readouts_[t].size(); ++i) {
          chain.push_back(readouts_[t][i]->instantiate(s, tap_context(c, t, i)));
          s = chain.back()->output_shape();
        }
        op.layer = std::make_unique<FiniteChain>(std::move(chain), node);
      }
      ops.push_back(std::move(op));
    };
    if (jk_) tap(0);
    bool first_layer = true;
    for (std::size_t b = 0; b < blocks_.size(); ++b) {
      std::vector<LayerPtr> layers;
      node_layers(blocks_[b], layers);
      for (const LayerPtr& l : layers) {
        FiniteGraphPart::Op op;
        if (const auto* a = dynamic_cast<const Aggregate*>(l.get())) {
          op.kind = FiniteGraphPart::Op::Kind::aggregate;
          op.scale = a->scale();
        } else {
          op.layer = l->instantiate(node, inner(c));
          if (first_layer && is_dense_layer(*l)) op.sparse = probe_dense(*op.layer, node.size());
          first_layer = false;
          node = op.layer->output_shape();
        }
        ops.push_back(std::move(op));
      }
      if (jk_) tap(b + 1);
    }
    if (!jk_) tap(0);
    return std::make_unique<FiniteGraphPart>(in.channels, o_, std::move(ops), out);
  }

 private:
  // Inside tap t's readout, its last parametrised layer is the network's readout when the
  // graph part is.
  LayerContext tap_context(const LayerContext& c, std::size_t t, std::size_t i) const {
    LayerContext x = c;
    x.readout = c.readout && i == last_parametrised(readouts_[t]);
    return x;
  }
  static std::string list(const std::vector<LayerPtr>& layers) {
    std::ostringstream out;
    out << "[";
    for (std::size_t i = 0; i < layers.size(); ++i) out << (i ? ", " : "") << layers[i]->name();
    out << "]";
    return out.str();
  }

  std::vector<LayerPtr> blocks_;
  std::vector<std::vector<LayerPtr>> readouts_;
  bool jk_;
  GraphReadoutOptions o_;
};

}  // namespace

LayerPtr aggregate(GraphScale scale) { return std::make_shared<Aggregate>(scale); }

LayerPtr graph_readout(std::vector<LayerPtr> node_layers, const GraphReadoutOptions& options) {
  return std::make_shared<GraphPart>(std::move(node_layers), std::vector<std::vector<LayerPtr>>{},
                                     false, options);
}

LayerPtr jumping_knowledge(std::vector<LayerPtr> blocks, std::vector<std::vector<LayerPtr>> readouts,
                           const GraphReadoutOptions& options) {
  return std::make_shared<GraphPart>(std::move(blocks), std::move(readouts), true, options);
}

std::vector<Kernels> graph_tap_kernels(const std::vector<LayerPtr>& layers, arma::uword outputs,
                                       const Inputs& a, const Inputs& b, KernelRequest what,
                                       const std::string& caller) {
  arma::uword f = 0;
  (void)graph::prepare_graphs(a, caller, f);
  KernelProgram program(Shape::graph(f));
  const std::size_t readout = last_parametrised(layers);
  for (std::size_t i = 0; i < layers.size(); ++i) {
    LayerContext c;
    c.outputs = outputs;
    c.readout = i == readout;
    program.apply(*layers[i], c, "layer " + std::to_string(i + 1));
  }
  return program.run_graph_taps(a, b, what, caller);
}

}  // namespace ntk::sdk::stax
