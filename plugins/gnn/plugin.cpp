// The gnn plugin as a composition. Du et al. 2019's GNTK (the authors' code, gntk.py):
//   Σ = Θ = X₁X₂ᵀ (no 1/f); per BLOCK Σ ← M₁ΣM₂ᵀ, Θ alike, then `mlp_layers` ReLU layers with
//   c_σ = 2; NTK = 2·Σ_{u,u'} Θ of the last BLOCK (jumping knowledge: of the input + every BLOCK).
// In stax terms the authors' ReLU layer (Σ ← 2E[relu relu], Θ ← 2ΘE[relu' relu'] + Σ_new) is
// relu followed by Dense(W_std = √2), and Θ₀ = Σ₀ is the first BLOCK's dense layer with
// W_std = 1 on the input read without 1/f (features = "sum"). So a BLOCK is
//   aggregate(scale), Dense(1 for the first BLOCK, √2 after), relu, {Dense(√2), relu} × (mlp − 1)
// and the readout 2·Σ_{u,u'} is a node sum followed by Dense(W_std = 2) (√c_σ · √2); with jumping
// knowledge the input's own readout is Dense(√2) (its values carry no c_σ). The finite network
// of the same layers converges to exactly these kernels.
#include "plugin.hpp"

#include <cmath>
#include <random>
#include <sstream>

#include "conformance.hpp"

namespace ntk::gnn {
namespace st = sdk::stax;

std::vector<sdk::LayerPtr> gnn_layers(const Config& c) {
  const double root2 = std::sqrt(2.0);
  std::vector<sdk::LayerPtr> blocks;
  for (arma::uword b = 0; b < c.blocks; ++b) {
    std::vector<sdk::LayerPtr> block = {st::aggregate(c.scale), st::dense(b == 0 ? 1.0 : root2),
                                        st::activation("relu")};
    for (arma::uword r = 1; r < c.mlp_layers; ++r) {
      block.push_back(st::dense(root2));
      block.push_back(st::activation("relu"));
    }
    blocks.push_back(st::serial(std::move(block)));
  }
  const st::GraphReadoutOptions o{sdk::GraphReduce::sum, sdk::GraphReduce::sum};
  if (!c.jumping_knowledge) return {st::graph_readout(std::move(blocks), o), st::dense(2.0)};
  std::vector<std::vector<sdk::LayerPtr>> readouts = {{st::dense(root2)}};
  for (arma::uword b = 0; b < c.blocks; ++b) readouts.push_back({st::dense(2.0)});
  return {st::jumping_knowledge(std::move(blocks), std::move(readouts), o)};
}

namespace {

// The block counts and readouts a kernel_family request selects.
void family_selection(const sdk::Options& select, arma::uword max_blocks,
                      std::vector<arma::uword>& blocks, std::vector<bool>& readouts) {
  const char* fn = "gnn kernel_family()";
  std::vector<char> wanted(max_blocks + 1, 0);
  bool any_block = false;
  readouts = {true, false};
  for (const auto& [key, value] : select.values()) {
    if (key == "jumping_knowledge") {
      const bool* flag = std::get_if<bool>(&value);
      if (flag == nullptr)
        throw_error(fn, ": 'jumping_knowledge' must be a boolean, got a ",
                    sdk::option_type_name(value));
      readouts = {*flag};
      continue;
    }
    if (key != "blocks")
      throw_error(fn, ": unknown selection key '", key, "' (known: blocks, jumping_knowledge)");
    const std::vector<double>* list = std::get_if<std::vector<double>>(&value);
    const double* one = std::get_if<double>(&value);
    if (list == nullptr && one == nullptr)
      throw_error(fn, ": 'blocks' must be a number or a list of numbers, got a ",
                  sdk::option_type_name(value));
    for (const double c : list ? *list : std::vector<double>{*one}) {
      if (c != double(arma::uword(c)) || c < 1 || c > double(max_blocks))
        throw_error(fn, ": blocks ", c, " is not an integer in 1..", max_blocks,
                    " (the architecture's option blocks bounds the family)");
      wanted[arma::uword(c)] = 1;
      any_block = true;
    }
  }
  blocks.clear();
  for (arma::uword c = 1; c <= max_blocks; ++c)
    if (wanted[c] || !any_block) blocks.push_back(c);
}

class GnnArchitecture : public sdk::Architecture {
 public:
  explicit GnnArchitecture(const Config& c)
      : config_(c), composition_(st::composition(gnn_layers(c), {.name = "gnn"})) {}

  sdk::Kernels kernels(const sdk::Inputs& a, const sdk::Inputs& b,
                       sdk::KernelRequest what) const override {
    check_graphs(a, "gnn kernels()");
    if (&a != &b) check_graphs(b, "gnn kernels()");
    return composition_->kernels(a, b, what);
  }

  // Every block count ≤ blocks and both readouts from the taps of one jumping-knowledge pass:
  // {blocks = c, jumping_knowledge = false} is tap c, with jumping knowledge taps 0..c summed.
  std::vector<sdk::FamilyMember> kernel_family(const sdk::Inputs& a, const sdk::Inputs& b,
                                               const sdk::FamilyRequest& request) const override {
    std::vector<arma::uword> blocks;
    std::vector<bool> readouts;
    family_selection(request.select, config_.blocks, blocks, readouts);
    check_graphs(a, "gnn kernel_family()");
    if (&a != &b) check_graphs(b, "gnn kernel_family()");
    Config jk = config_;
    jk.jumping_knowledge = true;
    const std::vector<sdk::Kernels> taps = st::graph_tap_kernels(
        gnn_layers(jk), 1, a, b, {request.nngp, request.ntk, request.progress},
        "gnn kernel_family()");
    std::vector<sdk::FamilyMember> members;
    for (const arma::uword c : blocks)
      for (const bool with_jk : readouts) {
        sdk::FamilyMember m;
        m.settings.set("blocks", double(c));
        m.settings.set("jumping_knowledge", with_jk);
        auto member = [&](arma::mat sdk::Kernels::*which) {
          arma::mat k = taps[with_jk ? 0 : c].*which;
          if (with_jk)
            for (arma::uword t = 1; t <= c; ++t) k += taps[t].*which;
          return k;
        };
        if (request.nngp) m.nngp = member(&sdk::Kernels::nngp);
        if (request.ntk) m.ntk = member(&sdk::Kernels::ntk);
        members.push_back(std::move(m));
      }
    return members;
  }

  // features > 0: the parameters are drawn at once (a one-node graph fixes the input shape).
  std::unique_ptr<sdk::Network> network(const sdk::NetworkSpec& spec) const override {
    auto net = composition_->network(spec);
    if (config_.features > 0) {
      sdk::Graph g{arma::sp_mat(1, 1), arma::sp_mat(config_.features, 1)};
      net->forward(sdk::Inputs::graphs({g}));
    }
    return net;
  }

  std::string describe() const override {
    std::ostringstream out;
    out << "gnn: Du et al. 2019 GNTK / GIN-style network with " << config_.blocks
        << " BLOCK(s) (aggregation over N(u) and u, scale = "
        << (config_.scale == sdk::GraphScale::uniform ? "uniform" : "degree") << ", then "
        << config_.mlp_layers << " ReLU layer(s), c_sigma = 2), sum readout"
        << (config_.jumping_knowledge ? " over the input and every BLOCK" : " of the last BLOCK")
        << ", times 2; features = " << config_.features << "; as layers: "
        << composition_->describe();
    return out.str();
  }

 private:
  static void check_graphs(const sdk::Inputs& x, const std::string& where) {
    if (x.kind() != sdk::Inputs::Kind::graphs)
      throw_error(where, ": the inputs are ",
                  x.kind() == sdk::Inputs::Kind::dense ? "dense vectors" : "images",
                  "; the gnn plugin takes graphs (Inputs::graphs, or ntk.data.tu in Lua)");
  }
  Config config_;
  std::unique_ptr<sdk::Architecture> composition_;
};

}  // namespace

sdk::PluginInfo plugin_info() {
  return {"gnn", "2.0.0",
          "Graph neural tangent kernel (Du et al. 2019) and the finite GIN-style network",
          {
              {"blocks", 2.0, "number of BLOCK operations (aggregation + MLP); the authors' num_layers - 1"},
              {"mlp_layers", 2.0, "ReLU layers per BLOCK (c_sigma = 2)"},
              {"scale", std::string("uniform"),
               "neighbourhood scaling c_u: \"uniform\" (sum) or \"degree\" (1/(|N(u)|+1))"},
              {"jumping_knowledge", true,
               "readout sums the input and every BLOCK's output (else the last BLOCK's)"},
              {"features", 0.0,
               "node-feature dimension f, needed by network() only (kernels do not need it)"},
          }};
}

Config read_config(const sdk::Options& options) {
  const sdk::PluginInfo info = plugin_info();
  const sdk::OptionReader reader("gnn options", info.options, options);
  Config c;
  c.blocks = static_cast<arma::uword>(reader.integer("blocks", 1, 1000));
  c.mlp_layers = static_cast<arma::uword>(reader.integer("mlp_layers", 1, 1000));
  c.scale = reader.choice("scale", {"uniform", "degree"}) == "uniform" ? sdk::GraphScale::uniform
                                                                       : sdk::GraphScale::degree;
  c.jumping_knowledge = reader.flag("jumping_knowledge");
  c.features = static_cast<arma::uword>(reader.integer("features", 0, 1000000000));
  return c;
}

std::unique_ptr<sdk::Architecture> make_architecture(const sdk::Options& options) {
  return std::make_unique<GnnArchitecture>(read_config(options));
}

sdk::Inputs sample_graphs(const sdk::Options& options, arma::uword n, std::uint64_t seed) {
  const Config c = read_config(options);
  const arma::uword f = c.features > 0 ? c.features : 3;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<sdk::Graph> graphs(n);
  for (auto& g : graphs) {
    const arma::uword nodes = 1 + rng() % 6;
    arma::mat a(nodes, nodes, arma::fill::zeros);
    for (arma::uword i = 0; i < nodes; ++i)
      for (arma::uword j = i + 1; j < nodes; ++j)
        if (unit(rng) < 0.4) a(i, j) = a(j, i) = 1.0;
    g.adjacency = arma::sp_mat(a);
    arma::mat x(f, nodes);
    for (auto& v : x) v = normal(rng);
    g.features = arma::sp_mat(x);
  }
  return sdk::Inputs::graphs(std::move(graphs));
}

}  // namespace ntk::gnn

#ifndef NTK_PLUGIN_NO_REGISTER
NTK_REGISTER_PLUGIN(ntk::gnn::plugin_info, ntk::gnn::make_architecture)
NTK_REGISTER_CONFORMANCE_INPUTS(ntk::gnn::sample_graphs)
#endif
