#include "graph_plan.hpp"

#include <algorithm>

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
  g.start_label = position_;
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
  // Labelled by position, "layer 1, readout 3", as the graph part numbers its readouts (its
  // full name would list every block).
  const auto taps = std::count_if(g.events.begin(), g.events.end(), [](const GraphEvent& e) {
    return e.kind == GraphEvent::Kind::tap;
  });
  g.events.push_back({GraphEvent::Kind::tap, steps_->rules.size(), {}, reduce,
                      position_ + ", readout " + std::to_string(taps + 1)});
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

namespace graph {
namespace {

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

}  // namespace

Plan compile(const KernelProgramSteps& s) {
  const GraphProgram& g = s.graph;
  if (g.open) throw_error("graph kernel: the node program was not ended (graph_end())");
  Plan p;
  p.feature_scale = g.feature_scale;
  p.label = g.start_label;
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
    step.label = label;
    step.keeps_positive = r.kind == K::dense || r.kind == K::relu || r.kind == K::erf;
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
        step.label = e.label;
        p.steps.push_back(step);  // linear: a Gaussian state stays Gaussian
        break;
      }
      case GraphEvent::Kind::tap: {
        NodeStep step;
        step.kind = NodeStep::Kind::tap;
        step.index = p.taps.size();
        step.ntk_live = live;
        step.label = e.label;
        p.steps.push_back(step);
        p.taps.push_back({e.reduce, {}, e.label});
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

}  // namespace graph
}  // namespace ntk::sdk
