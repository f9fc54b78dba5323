// The SDK conformance kit (what `ntklab check-plugin cnn` runs) on the cnn plugin with its own
// random images, for each readout and padding; Monte-Carlo checks for the default only.
#include <catch2/catch.hpp>

#include "cnn_architecture.hpp"
#include "conformance.hpp"

using namespace ntk;

TEST_CASE("cnn conformance kit passes", "[cnn_conformance]") {
  const std::vector<sdk::Options> settings = {
      {{"input_shape", std::vector<double>{2, 5, 5}}, {"depth", 1.0}},
      {{"readout", std::string("gap")}, {"padding", std::string("circular")}, {"b_std", 0.2}},
      {{"readout", std::string("pool")}, {"activation", std::string("erf")},
       {"input_shape", std::vector<double>{1, 4, 5}}, {"readout_b_std", 0.5}},
  };
  for (const auto& options : settings) {
    const bool first = &options == &settings.front();
    const auto arch = cnn::make_architecture(options);
    sdk::ConformanceOptions kit;
    kit.monte_carlo = first;
    kit.width = 4;
    kit.ntk_width = 128;
    kit.ntk_seeds = 24;
    kit.nngp_width = 32;
    kit.nngp_seeds = 600;
    kit.inputs = [options](arma::uword n, std::uint64_t seed) {
      return cnn::sample_images(options, n, seed);
    };
    const sdk::ConformanceReport report = sdk::run_conformance(cnn::plugin_info(), *arch, kit);
    INFO(report.text());
    CHECK(report.passed());
  }
}
