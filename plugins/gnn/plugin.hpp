// The gnn plugin: Du et al. 2019's graph neural tangent kernel and the finite GIN-style
// network that converges to it, as a composition of the SDK's graph layers (stax_graph.hpp).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "ntk/sdk/sdk.hpp"
#include "ntk/sdk/stax_graph.hpp"

namespace ntk::gnn {

struct Config {
  arma::uword blocks = 2;          // BLOCK operations (the authors' num_layers - 1)
  arma::uword mlp_layers = 2;      // ReLU layers per BLOCK (the authors' num_mlp_layers)
  sdk::GraphScale scale = sdk::GraphScale::uniform;
  bool jumping_knowledge = true;   // readout sums the input and every BLOCK's output
  arma::uword features = 0;        // node-feature dimension f of the finite network (0: unset)
};

sdk::PluginInfo plugin_info();
Config read_config(const sdk::Options& options);
// The options as a layer list (plugin.cpp explains the mapping to the authors' formulas).
std::vector<sdk::LayerPtr> gnn_layers(const Config& config);
std::unique_ptr<sdk::Architecture> make_architecture(const sdk::Options& options);
// Random graphs for the conformance kit: 1–6 nodes, edges with probability 0.4, N(0, 1) features.
sdk::Inputs sample_graphs(const sdk::Options& options, arma::uword n, std::uint64_t seed);

}  // namespace ntk::gnn
