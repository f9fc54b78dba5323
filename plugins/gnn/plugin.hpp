// The gnn plugin's entry points, also used directly by tests (through ntk_gnn_objects).
#pragma once

#include <memory>

#include "config.hpp"
#include "ntk/sdk/architecture.hpp"
#include "ntk/sdk/inputs.hpp"
#include "ntk/sdk/options.hpp"
#include "ntk/sdk/plugin.hpp"

namespace ntk::gnn {

sdk::PluginInfo plugin_info();
// Validated options (unknown keys, ranges, choices → ntk::Error).
Config read_config(const sdk::Options& options);
std::unique_ptr<sdk::Architecture> make_architecture(const sdk::Options& options);
// Random graphs for the conformance kit (ntklab check-plugin gnn): 1–6 nodes, edges with
// probability 0.4, standard-normal features (option `features`, else 3 per node).
sdk::Inputs sample_graphs(const sdk::Options& options, arma::uword n, std::uint64_t seed);

}  // namespace ntk::gnn
