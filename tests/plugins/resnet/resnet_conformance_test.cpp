// The SDK conformance kit on the resnet plugin: in-process for both kinds (with the plugin's
// own inputs), and through the built binary as a user runs it (`ntklab check-plugin resnet`).
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "conformance.hpp"
#include "resnet_architecture.hpp"

using namespace ntk;

TEST_CASE("resnet conformance kit passes", "[resnet_conformance]") {
  const std::vector<sdk::Options> settings = {
      {{"blocks", 2.0}, {"alpha", 0.7}, {"b_std", 0.2}},
      {{"kind", std::string("conv")}, {"blocks", 1.0}, {"input_shape", std::vector<double>{2, 4, 4}}},
      {{"kind", std::string("conv")}, {"readout", std::string("gap")}, {"activation", std::string("erf")},
       {"padding", std::string("circular")}, {"outputs", 2.0}},
  };
  for (const auto& options : settings) {
    const bool monte_carlo = &options != &settings.back();
    const bool conv = &options != &settings.front();
    const auto arch = resnet::make_architecture(options);
    sdk::ConformanceOptions kit;
    kit.monte_carlo = monte_carlo;
    if (conv) {
      kit.width = 4;
      kit.ntk_width = 96;
      kit.ntk_seeds = 24;
      kit.nngp_width = 16;
      kit.nngp_seeds = 600;
    }
    kit.inputs = [options](arma::uword n, std::uint64_t seed) {
      return resnet::sample_inputs(options, n, seed);
    };
    const sdk::ConformanceReport report = sdk::run_conformance(resnet::plugin_info(), *arch, kit);
    INFO(report.text());
    CHECK(report.passed());
  }
}

namespace {

std::pair<int, std::string> ntklab(const std::string& args) {
  const char* build = std::getenv("NTKLAB_BUILD_DIR");
  REQUIRE(build != nullptr);
  const std::string binary = std::string(build) + "/bin/ntklab";
  REQUIRE(std::filesystem::exists(binary));
  const std::string command = "OMP_NUM_THREADS=1 '" + binary + "' --plugin-path '" +
                              std::string(build) + "/plugins' " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string output;
  char buffer[512];
  while (fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
  const int status = pclose(pipe);
  return {status, output};
}

}  // namespace

TEST_CASE("ntklab check-plugin resnet passes for both kinds", "[resnet_conformance]") {
  for (const std::string args : {"check-plugin resnet --no-monte-carlo",
                                 "check-plugin resnet --no-monte-carlo --option kind=conv "
                                 "--option readout=gap --option blocks=1"}) {
    const auto [status, output] = ntklab(args);
    INFO(args << "\n" << output);
    CHECK(status == 0);
    CHECK_THAT(output, Catch::Contains("0 failed"));
  }
  const auto [status, output] = ntklab("plugins");
  INFO(output);
  CHECK(status == 0);
  CHECK_THAT(output, Catch::Contains("resnet"));
  CHECK_THAT(output, Catch::Contains("branch_depth"));
}
