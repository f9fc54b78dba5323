// The SDK conformance kit on the fc plugin, as `ntklab check-plugin fc --option input_dim=5`
// runs it (the kit's default inputs are 5-dimensional and it asks for num_params() before
// any forward pass, so the network's input dimension is given up front).
#include <catch2/catch.hpp>
#include <iostream>

#include "conformance.hpp"
#include "fc_architecture.hpp"

TEST_CASE("fc passes the SDK conformance kit", "[fc]") {
  for (const char* act : {"relu", "erf"}) {
    const ntk::sdk::Options options{{"input_dim", 5.0}, {"depth", 2.0}, {"b_std", 0.2},
                                    {"outputs", 2.0}, {"activation", std::string(act)}};
    const auto arch = ntk::fc::make_architecture(options);
    const ntk::sdk::ConformanceOptions kit;  // the kit's defaults, as check-plugin uses them
    const auto report = ntk::sdk::run_conformance(ntk::fc::plugin_info(), *arch, kit);
    std::cout << report.text();
    CHECK(report.passed());
  }
}
