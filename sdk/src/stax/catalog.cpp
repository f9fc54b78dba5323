// Layers from specs ({"dense", w_std = 1.5}, as ntk.arch("stax", {layers = {...}}) gives them)
// and the catalog `ntklab plugins` prints: every layer name with its keys and docs.
#include <cmath>
#include <sstream>
#include <utility>
#include <variant>

#include "ntk/sdk/stax.hpp"
#include "ntk/sdk/stax_graph.hpp"

namespace ntk::sdk::stax {
namespace {

const std::vector<LayerInfo>& structural_layers() {
  static const std::vector<LayerInfo> layers = {
      {"dense",
       {{"w_std", 1.0, "weight standard deviation W_std > 0"},
        {"b_std", 0.0, "bias standard deviation b_std >= 0"},
        {"width", 0.0, "output width of a hidden layer; 0 = the network's width (the last "
                       "dense layer is the readout: its width is `outputs`)"},
        {"trainable", true, "false freezes the layer: no gradient, no NTK term"}},
       "Dense(W_std, b_std): Sigma <- W^2 Sigma + b^2, Theta <- W^2 Theta + Sigma_new; images "
       "are read as their flattened vectors"},
      {"conv",
       {{"w_std", 1.0, "weight standard deviation W_std > 0"},
        {"b_std", 0.0, "bias standard deviation b_std >= 0"},
        {"filter", 3.0, "odd filter size: q (q x q) or {qh, qw} (qh = 1: a 1-D convolution)"},
        {"padding", std::string("same"), "\"same\", \"circular\" or \"valid\" (the image "
                                         "shrinks by q - 1 per axis)"},
        {"stride", 1.0, "1 (or {1, 1}); other strides are not supported"},
        {"width", 0.0, "output channels; 0 = the network's width"},
        {"trainable", true, "false freezes the layer: no gradient, no NTK term"}},
       "Conv(W_std, b_std, (qh, qw), stride 1, SAME|CIRCULAR|VALID) on images: the CNTK rule of "
       "Arora et al. 2019"},
      {"flatten", {}, "Flatten: images -> vectors; the analytic kernel needs a dense layer next"},
      {"global_avg_pool", {}, "GlobalAvgPool: images -> one value per channel"},
      {"avg_pool",
       {{"window", 2.0, "pooling window p (p x p)"},
        {"stride", 0.0, "stride s; 0 = the window (non-overlapping)"}},
       "AvgPool(p, s, VALID): images -> smaller images; flatten or a dense layer must follow"},
      {"layer_norm", {}, "LayerNorm over features: Sigma <- Sigma/sqrt(Sigma11 Sigma22), Theta "
                         "scaled alike"},
      {"residual",
       {{"alpha", 1.0, "branch scale: x -> x + alpha * branch(x)"},
        {"branch", std::vector<LayerSpec>{}, "the branch's layers, a list of layer tables"}},
       "Residual: FanOut(2), parallel(branch, Identity), FanInSum with the branch scaled by alpha"},
      {"serial", {{"layers", std::vector<LayerSpec>{}, "the layers, a list of layer tables"}},
       "serial: the layers one after another"},
      // Graph layers (stax_graph.hpp).
      {"aggregate", {{"scale", std::string("uniform"), "\"uniform\" (sum over N(u) and u) or \"degree\" (mean)"}},
       "Aggregate (Du et al. 2019 BLOCK): h_u <- c_u sum_{v in N(u)+u} h_v; inside a graph part"},
      {"graph_readout",
       {{"layers", std::vector<LayerSpec>{}, "the node layers (dense, activations, aggregate)"},
        {"reduce", std::string("sum"), "readout over each graph's nodes: \"sum\" or \"mean\""},
        {"features", std::string("mean"), "input node kernel: \"mean\" x.x'/f or \"sum\" x.x'"}},
       "GraphReadout: graphs -> vectors; the node layers on every node, then sum/mean over nodes"},
      {"jumping_knowledge",
       {{"blocks", std::vector<LayerSpec>{}, "the blocks, a list of layer tables"},
        {"readouts", std::vector<LayerSpec>{}, "one readout layer per tap (input, each block)"},
        {"reduce", std::string("sum"), "readout over each graph's nodes: \"sum\" or \"mean\""},
        {"features", std::string("mean"), "input node kernel: \"mean\" x.x'/f or \"sum\" x.x'"}},
       "JumpingKnowledge: sum over taps (input, every block) of each tap's readout of its nodes"},
  };
  return layers;
}

// A key whose value is a number n (read as {n, n}) or a list {a, b} of whole numbers in
// [lo, hi]: the conv's filter {qh, qw} and stride. OptionReader reads one type per key, so the
// raw value decides which.
std::pair<arma::uword, arma::uword> number_or_pair(const OptionReader& read, const LayerSpec& spec,
                                                   const std::string& key, long long lo,
                                                   long long hi) {
  const auto it = spec.options.values().find(key);
  if (it == spec.options.values().end() || std::holds_alternative<double>(it->second)) {
    const arma::uword n = arma::uword(read.integer(key, lo, hi));
    return {n, n};
  }
  const auto* list = std::get_if<std::vector<double>>(&it->second);
  if (list == nullptr || list->size() != 2)
    throw_error("option '", key, "' = ", option_value_text(it->second), " must be a number or a "
                "list of two numbers {height, width}");
  for (double v : *list)
    if (!std::isfinite(v) || v != std::floor(v) || v < double(lo) || v > double(hi))
      throw_error("option '", key, "' = ", option_value_text(it->second), " must hold whole "
                  "numbers in [", lo, ", ", hi, "]");
  return {arma::uword((*list)[0]), arma::uword((*list)[1])};
}

std::string known_names() {
  std::ostringstream out;
  bool first = true;
  for (const LayerInfo& l : layer_catalog()) {
    out << (first ? "" : ", ") << l.name;
    first = false;
  }
  return out.str();
}

LayerPtr from_spec(const LayerSpec& spec, const std::string& where);

std::vector<LayerPtr> from_specs(const std::vector<LayerSpec>& specs, const std::string& where,
                                 const std::string& item) {
  std::vector<LayerPtr> out;
  for (std::size_t i = 0; i < specs.size(); ++i)
    out.push_back(from_spec(specs[i], where + ", " + item + " " + std::to_string(i + 1)));
  return out;
}

LayerPtr from_spec(const LayerSpec& spec, const std::string& where) {
  for (const LayerInfo& info : structural_layers()) {
    if (info.name != spec.name) continue;
    const std::string context = where + " (\"" + spec.name + "\")";
    const OptionReader read(context, info.options, spec.options);
    try {
      if (spec.name == "dense") {
        DenseOptions o;
        o.w_std = read.number("w_std");
        o.b_std = read.number("b_std");
        o.width = arma::uword(read.integer("width", 0, 1LL << 32));
        o.trainable = read.flag("trainable");
        return dense(o);
      }
      if (spec.name == "conv") {
        ConvOptions o;
        o.w_std = read.number("w_std");
        o.b_std = read.number("b_std");
        const auto [qh, qw] = number_or_pair(read, spec, "filter", 1, 1001);
        o.filter = qh == qw ? qh : 3;
        if (qh != qw) {
          o.filter_height = qh;
          o.filter_width = qw;
        }
        const std::string padding = read.choice("padding", {"same", "circular", "valid"});
        o.padding = padding == "same" ? Padding::same
                    : padding == "circular" ? Padding::circular
                                            : Padding::valid;
        const auto [sh, sw] = number_or_pair(read, spec, "stride", 1, 1 << 20);
        if (sh != 1 || sw != 1)
          throw_error("option 'stride' = ", option_value_text(spec.options.values().at("stride")),
                      ": only stride 1 is supported (the convolutional kernel engine keeps the "
                      "input's pixel grid; a strided conv would subsample it); use stride 1 "
                      "followed by avg_pool{window, stride} to downsample");
        o.width = arma::uword(read.integer("width", 0, 1LL << 32));
        o.trainable = read.flag("trainable");
        return conv(o);
      }
      if (spec.name == "flatten") return flatten();
      if (spec.name == "global_avg_pool") return global_avg_pool();
      if (spec.name == "avg_pool") {
        const arma::uword window = arma::uword(read.integer("window", 1, 1 << 20));
        const arma::uword stride = arma::uword(read.integer("stride", 0, 1 << 20));
        return avg_pool(window, stride == 0 ? window : stride);
      }
      if (spec.name == "layer_norm") return layer_norm();
      if (spec.name == "residual")
        return residual(read.finite("alpha"), from_specs(read.tables("branch"), where, "branch layer"));
      if (spec.name == "serial") return serial(from_specs(read.tables("layers"), where, "layer"));
      if (spec.name == "aggregate")
        return aggregate(read.choice("scale", {"uniform", "degree"}) == "uniform" ? GraphScale::uniform
                                                                                 : GraphScale::degree);
      if (spec.name == "graph_readout" || spec.name == "jumping_knowledge") {
        GraphReadoutOptions o;
        o.reduce = read.choice("reduce", {"sum", "mean"}) == "sum" ? GraphReduce::sum : GraphReduce::mean;
        o.features = read.choice("features", {"mean", "sum"}) == "sum" ? GraphReduce::sum : GraphReduce::mean;
        if (spec.name == "graph_readout")
          return graph_readout(from_specs(read.tables("layers"), where, "layer"), o);
        std::vector<std::vector<LayerPtr>> readouts;
        for (auto& l : from_specs(read.tables("readouts"), where, "readout")) readouts.push_back({l});
        return jumping_knowledge(from_specs(read.tables("blocks"), where, "block"), readouts, o);
      }
    } catch (const Error& e) {
      const std::string what = e.what();
      if (what.rfind(where, 0) == 0) throw;  // already names the position
      throw Error(context + ": " + what);
    }
  }
  for (const ActivationInfo& a : activation_catalog())
    if (a.name == spec.name) {
      try {
        return activation(make_activation(spec.name, spec.options));
      } catch (const Error& e) {
        throw Error(where + " (\"" + spec.name + "\"): " + e.what());
      }
    }
  throw_error(where, ": unknown layer \"", spec.name, "\"; known layers are: ", known_names());
}

}  // namespace

std::vector<LayerInfo> layer_catalog() {
  std::vector<LayerInfo> out = structural_layers();
  for (const ActivationInfo& a : activation_catalog()) out.push_back({a.name, a.options, a.doc});
  return out;
}

std::vector<LayerPtr> layers_from_specs(const std::vector<LayerSpec>& specs,
                                        const std::string& where) {
  return from_specs(specs, where, "layer");
}

}  // namespace ntk::sdk::stax
