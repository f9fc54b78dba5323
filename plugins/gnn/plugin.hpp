// The gnn plugin's entry points, also used directly by tests (through ntk_gnn_objects).
#pragma once

#include <memory>

#include "config.hpp"
#include "ntk/sdk/architecture.hpp"
#include "ntk/sdk/options.hpp"
#include "ntk/sdk/plugin.hpp"

namespace ntk::gnn {

sdk::PluginInfo plugin_info();
// Validated options (unknown keys, ranges, choices → ntk::Error).
Config read_config(const sdk::Options& options);
std::unique_ptr<sdk::Architecture> make_architecture(const sdk::Options& options);

}  // namespace ntk::gnn
