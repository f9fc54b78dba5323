// The graph steps of KernelProgram (stax.hpp) and the node-pair kernel engine they compile to.
//
// A graph pair's node-pair state is an example-pair KernelState whose examples are nodes: the
// program's dense and activation rules act on it entry by entry (layers_elementwise.hpp; relu
// by graph_relu.hpp), with per-node variances from each graph paired with itself, computed once
// per graph. Aggregation is M₁ Σ M₂ᵀ; a tap sums the state over node pairs, runs its own dense
// readout on the resulting example pair, and the taps add up. Whatever follows graph_end() runs
// on the n1 × n2 example-pair state in the fused pass (layers.hpp). One triangle of graph pairs
// when symmetric; OpenMP over rows of graph pairs, as in Du et al.'s GNTK.
#include <algorithm>
#include <functional>

#include "graph_batch.hpp"
#include "graph_relu.hpp"
#include "kernel_program_steps.hpp"
#include "progress_counter.hpp"
#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/stax.hpp"

namespace ntk::sdk {

// ---- emitters --------------------------------------------------------------------------
void KernelProgram::graph_start(double feature_scale) {
  GraphProgram& g = steps_->graph;
  if (!shape_.is_graph())
    throw_error("graph layers read graphs, but the values here are ", shape_.text(),
                " (a composition holds one graph part, first, on graph inputs)");
  g.active = g.open = true;
  g.feature_scale = feature_scale;
  shape_ = Shape::vector(shape_.channels);  // each node is an example of the node program
}

void KernelProgram::aggregate(GraphScale scale) {
  GraphProgram& g = steps_->graph;
  if (!g.open || g.in_tap)
    throw_error("aggregate acts on the nodes of graphs: put it in a block of graph_readout or "
                "jumping_knowledge");
  g.events.push_back({GraphEvent::Kind::aggregate, steps_->rules.size(), scale, {}, label_});
}

void KernelProgram::graph_tap(GraphReduce reduce) {
  GraphProgram& g = steps_->graph;
  if (!g.open || g.in_tap) throw_error("graph_tap() outside a graph's node program");
  g.events.push_back({GraphEvent::Kind::tap, steps_->rules.size(), {}, reduce, label_});
  g.in_tap = true;
}

void KernelProgram::graph_tap_end(const Shape& node_shape) {
  GraphProgram& g = steps_->graph;
  if (!g.in_tap) throw_error("graph_tap_end() without graph_tap()");
  g.events.push_back({GraphEvent::Kind::tap_end, steps_->rules.size(), {}, {}, label_});
  g.in_tap = false;
  shape_ = node_shape;
}

void KernelProgram::graph_end() {
  GraphProgram& g = steps_->graph;
  if (!g.open || g.in_tap) throw_error("graph_end() outside a graph's node program");
  g.events.push_back({GraphEvent::Kind::end, steps_->rules.size(), {}, {}, label_});
  g.open = false;
}

// ---- the compiled program ----------------------------------------------------------------
namespace graph {
namespace {

struct NodeStep {
  enum class Kind { affine, relu, erf, activation, aggregate, tap };
  Kind kind = Kind::affine;
  layers::AffineCoefficients affine;
  ActivationPtr activation;
  GraphScale scale = GraphScale::uniform;
  std::size_t index = 0;  // tap: its number; activations: their variance slot
  bool ntk_live = false;  // Θ is not identically zero when the step runs
};

struct TapPlan {
  GraphReduce reduce = GraphReduce::sum;
  std::vector<layers::AffineCoefficients> readout;  // its dense layers, in order
};

struct Plan {
  std::vector<NodeStep> steps;
  std::vector<TapPlan> taps;
  std::vector<layers::Rule> post;  // after graph_end(), on the example-pair state
  std::size_t slots = 0;
  double feature_scale = 1;
  bool ntk_live = false;       // Θ of the summed taps is not identically zero
  bool post_gaussian = true;   // the summed state is Gaussian (for activations after the end)
};

layers::AffineCoefficients coefficients(const layers::Rule& r) {
  if (r.parametrization == Parametrization::standard)
    throw_error(r.label, ": the standard parametrisation is supported for vector compositions "
                "only; use \"ntk\" on graphs");
  layers::AffineCoefficients k;
  k.nngp_scale = k.ntk_scale = r.w_std * r.w_std;
  k.nngp_shift = r.b_std * r.b_std;
  k.ntk_from_nngp = r.trainable ? k.nngp_scale : 0.0;
  k.ntk_shift = r.trainable ? k.nngp_shift : 0.0;
  return k;
}

Plan compile(const KernelProgramSteps& s) {
  const GraphProgram& g = s.graph;
  if (g.open) throw_error("graph kernel: the node program was not ended (graph_end())");
  Plan p;
  p.feature_scale = g.feature_scale;
  enum class Phase { node, tap, post } phase = Phase::node;
  bool gaussian = false, live = false, tap_has_dense = false;
  std::vector<bool> tap_gaussian;
  auto rule = [&](const layers::Rule& r) {
    using K = layers::Rule::Kind;
    const std::string label = r.label.empty() ? r.name() : r.label;
    if (phase == Phase::post) {
      p.post.push_back(r);
      return;
    }
    if (phase == Phase::tap) {
      if (r.kind != K::dense)
        throw_error(label, ": a graph readout's own layers may only be dense; put other layers "
                    "after the graph part");
      p.taps.back().readout.push_back(coefficients(r));
      if (r.trainable) live = true;
      tap_has_dense = true;
      return;
    }
    NodeStep step;
    step.ntk_live = live;
    if (r.kind == K::dense) {
      step.affine = coefficients(r);
      if (r.trainable) live = true;
      gaussian = true;
    } else if (r.kind == K::relu || r.kind == K::erf || r.kind == K::activation) {
      if (!gaussian)
        throw_error(label, " needs Gaussian pre-activations: put a dense layer before it");
      step.kind = r.kind == K::relu ? NodeStep::Kind::relu
                  : r.kind == K::erf ? NodeStep::Kind::erf
                                     : NodeStep::Kind::activation;
      step.activation = r.activation;
      step.index = p.slots++;
      gaussian = false;
    } else {
      throw_error(label, ": not supported on the nodes of graphs (dense layers, activations "
                  "and aggregate are)");
    }
    p.steps.push_back(std::move(step));
  };
  bool node_live_at_tap = false;
  auto event = [&](const GraphEvent& e) {
    switch (e.kind) {
      case GraphEvent::Kind::aggregate: {
        NodeStep step;
        step.kind = NodeStep::Kind::aggregate;
        step.scale = e.scale;
        step.ntk_live = live;
        p.steps.push_back(step);  // linear: a Gaussian state stays Gaussian
        break;
      }
      case GraphEvent::Kind::tap: {
        NodeStep step;
        step.kind = NodeStep::Kind::tap;
        step.index = p.taps.size();
        step.ntk_live = live;
        p.steps.push_back(step);
        p.taps.push_back({e.reduce, {}});
        node_live_at_tap = live;
        tap_has_dense = false;
        phase = Phase::tap;
        break;
      }
      case GraphEvent::Kind::tap_end:
        tap_gaussian.push_back(tap_has_dense || gaussian);
        p.ntk_live = p.ntk_live || live;
        live = node_live_at_tap;  // the node program goes on from the tap's input
        phase = Phase::node;
        break;
      case GraphEvent::Kind::end:
        if (p.taps.empty()) throw_error(e.label, ": a graph part without a readout");
        phase = Phase::post;
        break;
    }
  };
  std::size_t next = 0;
  for (std::size_t r = 0; r <= s.rules.size(); ++r) {
    while (next < g.events.size() && g.events[next].at == r) event(g.events[next++]);
    if (r < s.rules.size()) rule(s.rules[r]);
  }
  p.post_gaussian = std::all_of(tap_gaussian.begin(), tap_gaussian.end(), [](bool b) { return b; });
  return p;
}

// Per graph, from the graph paired with itself: the variances entering each activation
// (and d = √var, 1/d for relu), and the NNGP of every tap.
struct SelfPair {
  std::vector<arma::vec> var, d, inv_d;
  std::vector<double> taps;
};

struct Workspace {
  std::vector<double> sigma, ntk, work, column;
  void reserve(arma::uword entries, arma::uword rows) {
    if (sigma.size() < entries) {
      sigma.resize(entries);
      ntk.resize(entries);
      work.resize(entries);
    }
    if (column.size() < rows) column.resize(rows);
  }
};

double sum_of(const double* x, arma::uword n) {
  double s = 0.0;
#pragma omp simd reduction(+ : s)
  for (arma::uword i = 0; i < n; ++i) s += x[i];
  return s;
}

// An activation other than relu, column by column (Σ22 is the column's node variance).
void activation_pairs(const NodeStep& step, double* sigma, double* ntk, arma::uword n1,
                      arma::uword n2, const arma::vec& var1, const arma::vec& var2,
                      Workspace& ws) {
  for (arma::uword j = 0; j < n2; ++j) {
    std::fill_n(ws.column.data(), n1, var2[j]);
    double* t = ntk ? ntk + j * n1 : nullptr;
    if (step.kind == NodeStep::Kind::erf)
      layers::erf_entries(sigma + j * n1, t, var1.memptr(), ws.column.data(), n1);
    else
      step.activation->entries(sigma + j * n1, t, var1.memptr(), ws.column.data(), n1);
  }
}

SelfPair self_pair(const Plan& p, const PreparedGraph& g, Workspace& ws) {
  const arma::uword n = g.nodes;
  ws.reserve(n * n, n);
  double* sigma = ws.sigma.data();
  input_pair_kernel(g, g, p.feature_scale, sigma);
  SelfPair out;
  arma::vec diag(n);
  for (const NodeStep& step : p.steps) {
    for (arma::uword u = 0; u < n; ++u) diag[u] = sigma[u * n + u];
    switch (step.kind) {
      case NodeStep::Kind::aggregate: aggregate_pair(g, g, step.scale, sigma, sigma, ws.work.data()); break;
      case NodeStep::Kind::affine: layers::affine_entries(sigma, nullptr, n * n, step.affine); break;
      case NodeStep::Kind::tap: {
        const double w = p.taps[step.index].reduce == GraphReduce::mean && n > 0
                             ? 1.0 / (double(n) * double(n)) : 1.0;
        out.taps.push_back(sum_of(sigma, n * n) * w);
        break;
      }
      case NodeStep::Kind::relu: {
        arma::vec d = arma::sqrt(arma::clamp(diag, 0.0, arma::datum::inf));
        arma::vec inv_d(n);
        for (arma::uword u = 0; u < n; ++u) inv_d[u] = d[u] > 0 ? 1.0 / d[u] : 0.0;
        relu_pairs(sigma, nullptr, n, n, d.memptr(), inv_d.memptr(), d.memptr(), inv_d.memptr());
        out.d.push_back(std::move(d));
        out.inv_d.push_back(std::move(inv_d));
        out.var.emplace_back();
        break;
      }
      default:
        activation_pairs(step, sigma, nullptr, n, n, diag, diag, ws);
        out.var.push_back(diag);
        out.d.emplace_back();
        out.inv_d.emplace_back();
    }
  }
  return out;
}

// The taps' node-pair sums (NNGP in s[t], NTK in th[t]) of one graph pair.
void pair_taps(const Plan& p, const PreparedGraph& g1, const SelfPair& s1,
               const PreparedGraph& g2, const SelfPair& s2, bool with_ntk, Workspace& ws,
               double* s, double* th) {
  const arma::uword n1 = g1.nodes, n2 = g2.nodes, entries = n1 * n2;
  ws.reserve(entries, n1);
  double* sigma = ws.sigma.data();
  double* ntk = ws.ntk.data();
  input_pair_kernel(g1, g2, p.feature_scale, sigma);
  for (const NodeStep& step : p.steps) {
    double* t = with_ntk && step.ntk_live ? ntk : nullptr;
    switch (step.kind) {
      case NodeStep::Kind::aggregate:
        aggregate_pair(g1, g2, step.scale, sigma, sigma, ws.work.data());
        if (t) aggregate_pair(g1, g2, step.scale, ntk, ntk, ws.work.data());
        break;
      case NodeStep::Kind::affine:
        if (with_ntk && !step.ntk_live) std::fill_n(ntk, entries, 0.0);
        layers::affine_entries(sigma, with_ntk ? ntk : nullptr, entries, step.affine);
        break;
      case NodeStep::Kind::relu:
        relu_pairs(sigma, t, n1, n2, s1.d[step.index].memptr(), s1.inv_d[step.index].memptr(),
                   s2.d[step.index].memptr(), s2.inv_d[step.index].memptr());
        break;
      case NodeStep::Kind::tap: {
        const double w = p.taps[step.index].reduce == GraphReduce::mean && entries > 0
                             ? 1.0 / (double(n1) * double(n2)) : 1.0;
        s[step.index] = sum_of(sigma, entries) * w;
        th[step.index] = t ? sum_of(ntk, entries) * w : 0.0;
        break;
      }
      default:
        activation_pairs(step, sigma, t, n1, n2, s1.var[step.index], s2.var[step.index], ws);
    }
  }
}

// A tap's own dense layers on one example pair (the fused pass's affine map, entry by entry).
void tap_readout(const TapPlan& tap, double& s, double& th) {
  for (const layers::AffineCoefficients& k : tap.readout) layers::affine_entries(&s, &th, 1, k);
}

using Store = std::function<void(arma::uword, arma::uword, const double*, const double*)>;

// Runs every graph pair (the upper triangle when &a == &b), after the checks; `allocate`
// receives n1, n2 before the pairs run; `self` receives each side's self pairs; `progress`
// hears of every finished row of graph pairs.
void for_each_pair(const Plan& p, const Inputs& a, const Inputs& b, bool with_ntk,
                   double matrices, const std::string& caller,
                   const std::function<void(arma::uword, arma::uword)>& allocate,
                   std::vector<SelfPair>& self_a, std::vector<SelfPair>& self_b,
                   const Store& store, const ProgressSpan& progress) {
  const bool symmetric = &a == &b;
  arma::uword fa = 0, fb = 0;
  const std::vector<PreparedGraph> ga = prepare_graphs(a, caller, fa);
  const std::vector<PreparedGraph> gb_own =
      symmetric ? std::vector<PreparedGraph>{} : prepare_graphs(b, caller, fb);
  const std::vector<PreparedGraph>& gb = symmetric ? ga : gb_own;
  if (!symmetric && !ga.empty() && !gb.empty() && fa != fb)
    throw_error(caller, ": the first graphs have ", fa, " node features and the second ", fb,
                "; both need the same feature dimension");
  const arma::uword n1 = ga.size(), n2 = gb.size();
  check_allocation(caller + ": the " + std::to_string(n1) + " x " + std::to_string(n2) +
                       " kernel matrices (" + std::to_string(int(matrices)) + ")",
                   double(n1) * matrices, double(n2));
  arma::uword largest = 0;
  for (const auto& g : ga) largest = std::max(largest, g.nodes);
  for (const auto& g : gb) largest = std::max(largest, g.nodes);
  check_allocation(caller + ": the node-pair kernel of the largest graphs (per thread)",
                   3.0 * double(largest), double(largest));
  allocate(n1, n2);
  auto selves = [&](const std::vector<PreparedGraph>& gs, std::vector<SelfPair>& out) {
    out.resize(gs.size());
#pragma omp parallel
    {
      Workspace ws;
#pragma omp for schedule(dynamic, 8)
      for (std::size_t i = 0; i < gs.size(); ++i) out[i] = self_pair(p, gs[i], ws);
    }
  };
  selves(ga, self_a);
  if (!symmetric) selves(gb, self_b);
  const std::vector<SelfPair>& sb = symmetric ? self_a : self_b;
  const std::size_t taps = p.taps.size();
  ProgressCounter counter(progress, symmetric ? 0.5 * double(n1) * double(n1 + 1)
                                              : double(n1) * double(n2));
#pragma omp parallel
  {
    Workspace ws;
    std::vector<double> s(taps), th(taps);
#pragma omp for schedule(dynamic, 1)
    for (arma::uword i = 0; i < n1; ++i) {
      const arma::uword first = symmetric ? i : 0;
      for (arma::uword j = first; j < n2; ++j) {
        pair_taps(p, ga[i], self_a[i], gb[j], sb[j], with_ntk, ws, s.data(), th.data());
        for (std::size_t t = 0; t < taps; ++t) tap_readout(p.taps[t], s[t], th[t]);
        store(i, j, s.data(), th.data());
      }
      counter.add(double(n2 - first));
    }
  }
  counter.finish();
}

// The NNGP of the summed taps of a graph with itself (the example-pair variances).
arma::vec summed_variances(const Plan& p, const std::vector<SelfPair>& self) {
  arma::vec v(self.size());
  for (std::size_t i = 0; i < self.size(); ++i) {
    double total = 0;
    for (std::size_t t = 0; t < p.taps.size(); ++t) {
      double s = self[i].taps[t], th = 0;
      tap_readout(p.taps[t], s, th);
      total += s;
    }
    v[i] = total;
  }
  return v;
}

}  // namespace
}  // namespace graph

Kernels run_graph_program(const KernelProgramSteps& steps, const Inputs& a, const Inputs& b,
                          KernelRequest what, const std::string& caller) {
  Kernels out;
  if (!what.nngp && !what.ntk) return out;
  const graph::Plan p = graph::compile(steps);
  const bool symmetric = &a == &b;
  KernelState state;
  state.symmetric = symmetric;
  state.track_ntk = what.ntk;
  const bool with_ntk = what.ntk && p.ntk_live;
  // The graph pairs are the work; the example-pair rules after the readout are cheap.
  const ProgressSpan progress{what.progress};
  const double post_start = p.post.empty() ? 1.0 : 0.98;
  std::vector<graph::SelfPair> self_a, self_b;
  graph::for_each_pair(
      p, a, b, with_ntk, 1.0 + double(with_ntk), caller,
      [&](arma::uword n1, arma::uword n2) {
        state.nngp.set_size(n1, n2);
        if (with_ntk) state.ntk.set_size(n1, n2);
      },
      self_a, self_b,
      [&](arma::uword i, arma::uword j, const double* s, const double* th) {
        double sigma = 0, theta = 0;
        for (std::size_t t = 0; t < p.taps.size(); ++t) {
          sigma += s[t];
          theta += th[t];
        }
        state.nngp(i, j) = sigma;
        if (with_ntk) state.ntk(i, j) = theta;
      },
      progress.part(0, post_start));
  state.ntk_is_zero = !with_ntk;
  state.gaussian = p.post_gaussian;
  state.diag1 = graph::summed_variances(p, self_a);
  if (!symmetric) state.diag2 = graph::summed_variances(p, self_b);
  if (!p.post.empty())
    layers::apply_rules(state, p.post, /*keep_nngp=*/what.nngp, progress.part(post_start, 1));
  layers::finish(state);
  if (what.nngp) out.nngp = std::move(state.nngp);
  if (what.ntk) {
    if (state.ntk.is_empty()) state.ntk.zeros(state.rows(), state.cols());
    out.ntk = std::move(state.ntk);
  }
  return out;
}

std::vector<Kernels> KernelProgram::run_graph_taps(const Inputs& a, const Inputs& b,
                                                   KernelRequest what,
                                                   const std::string& caller) const {
  if (!steps_->graph.active) throw_error(caller, ": the composition has no graph part");
  const graph::Plan p = graph::compile(*steps_);
  const bool symmetric = &a == &b;
  const std::size_t taps = p.taps.size();
  std::vector<Kernels> out(taps);
  std::vector<graph::SelfPair> self_a, self_b;
  graph::for_each_pair(
      p, a, b, what.ntk, double(taps) * (double(what.nngp) + double(what.ntk)), caller,
      [&](arma::uword n1, arma::uword n2) {
        for (Kernels& k : out) {
          if (what.nngp) k.nngp.set_size(n1, n2);
          if (what.ntk) k.ntk.set_size(n1, n2);
        }
      },
      self_a, self_b,
      [&](arma::uword i, arma::uword j, const double* s, const double* th) {
        for (std::size_t t = 0; t < taps; ++t) {
          if (what.nngp) out[t].nngp(i, j) = s[t];
          if (what.ntk) out[t].ntk(i, j) = th[t];
        }
      },
      ProgressSpan{what.progress});
  if (symmetric)
    for (Kernels& k : out) {
      if (what.nngp) layers::mirror_upper(k.nngp);
      if (what.ntk) layers::mirror_upper(k.ntk);
    }
  return out;
}

}  // namespace ntk::sdk
