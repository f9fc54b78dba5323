// The SDK conformance kit (what `ntklab check-plugin gnn` runs) on the gnn plugin, for both
// readouts and both scalings, with the plugin's own random graphs as inputs. The Monte-Carlo
// checks run for the default setting only (they take most of the time).
#include <catch2/catch.hpp>

#include <iostream>

#include "conformance.hpp"
#include "plugin.hpp"

using namespace ntk;

TEST_CASE("gnn conformance kit passes", "[gnn_conformance]") {
  // `features` is given so the kit's first calls (num_params, params) find the parameters
  // drawn; without it they are drawn on the first input (see gnn_network.hpp).
  const std::vector<sdk::Options> settings = {
      {{"features", 3.0}},
      {{"jumping_knowledge", false}, {"scale", std::string("degree")}, {"blocks", 1.0}},
      {{"mlp_layers", 1.0}, {"blocks", 3.0}, {"features", 2.0}},
  };
  for (const auto& options : settings) {
    const bool first = &options == &settings.front();
    const auto arch = gnn::make_architecture(options);
    sdk::ConformanceOptions kit;
    kit.monte_carlo = first;
    kit.inputs = [options](arma::uword n, std::uint64_t seed) {
      return gnn::sample_graphs(options, n, seed);
    };
    const sdk::ConformanceReport report = sdk::run_conformance(gnn::plugin_info(), *arch, kit);
    INFO(report.text());
    CHECK(report.passed());
  }
}
