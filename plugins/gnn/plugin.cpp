// Registration of the gnn plugin: options, the Architecture, the factory.
#include <memory>
#include <random>
#include <sstream>

#include "conformance.hpp"

#include "config.hpp"
#include "gnn_network.hpp"
#include "gntk.hpp"
#include "ntk/sdk/sdk.hpp"
#include "plugin.hpp"

namespace ntk::gnn {

namespace {

class GnnArchitecture : public sdk::Architecture {
 public:
  explicit GnnArchitecture(const Config& config) : config_(config) {}

  sdk::Kernels kernels(const sdk::Inputs& a, const sdk::Inputs& b,
                       sdk::KernelRequest what) const override {
    return gntk_kernels(a, b, what, config_);
  }

  // Every block count ≤ blocks and both readouts from one pass (gntk.hpp, gntk_family).
  std::vector<sdk::FamilyMember> kernel_family(const sdk::Inputs& a, const sdk::Inputs& b,
                                               const sdk::FamilyRequest& request) const override {
    return gntk_family(a, b, request, config_);
  }

  std::unique_ptr<sdk::Network> network(const sdk::NetworkSpec& spec) const override {
    return std::make_unique<GnnNetwork>(config_, spec.width, spec.seed);
  }

  std::string describe() const override {
    std::ostringstream out;
    out << "gnn: graph neural network (GIN-style sum aggregation, Du et al. 2019 GNTK) with "
        << config_.blocks << " BLOCK(s) of aggregation over N(u) and u (scale = "
        << scale_name(config_.scale) << ") followed by " << config_.mlp_layers
        << " ReLU layer(s) (c_sigma = 2), sum readout"
        << (config_.jumping_knowledge ? " over the input and every BLOCK (jumping knowledge)"
                                      : " of the last BLOCK")
        << ", times 2; no biases; NTK parametrisation; features = " << config_.features;
    return out.str();
  }

 private:
  Config config_;
};

}  // namespace

sdk::PluginInfo plugin_info() {
  return {"gnn", "1.0.0",
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
  c.scale = reader.choice("scale", {"uniform", "degree"}) == "uniform" ? Scale::uniform
                                                                       : Scale::degree;
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
    g.features.set_size(f, nodes);
    for (auto& x : g.features) x = normal(rng);
  }
  return sdk::Inputs::graphs(std::move(graphs));
}

}  // namespace ntk::gnn

#ifndef NTK_PLUGIN_NO_REGISTER
NTK_REGISTER_PLUGIN(ntk::gnn::plugin_info, ntk::gnn::make_architecture)
NTK_REGISTER_CONFORMANCE_INPUTS(ntk::gnn::sample_graphs)
#endif
