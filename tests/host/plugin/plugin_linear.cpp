// A valid test plugin around the linear toy (tests/sdk/conformance/linear_toy.hpp).
// Built several times by CMakeLists.txt: TOY_NAME sets the plugin name (two builds share the
// name "twin" to test duplicates), TOY_NTK_FACTOR plants a wrong analytic NTK and
// TOY_SAMPLE_INPUTS exports the plugin's own conformance inputs (d = its input_dim option).
#include "linear_toy.hpp"

#ifndef TOY_NTK_FACTOR
#define TOY_NTK_FACTOR 1.0
#endif

namespace {

ntk::sdk::PluginInfo toy_info() {
  return {TOY_NAME, "0.1.0", "test plugin: two-layer linear network with exact kernels",
          ntk::test::linear_toy_options()};
}

std::unique_ptr<ntk::sdk::Architecture> make_toy(const ntk::sdk::Options& options) {
  ntk::test::ToyFaults faults;
  faults.ntk_factor = TOY_NTK_FACTOR;
  return std::make_unique<ntk::test::LinearToyArchitecture>(
      ntk::test::linear_toy_config(TOY_NAME, options, faults));
}

}  // namespace

NTK_REGISTER_PLUGIN(toy_info, make_toy)

#ifdef TOY_SAMPLE_INPUTS
#include "conformance.hpp"

namespace {
ntk::sdk::Inputs toy_samples(const ntk::sdk::Options& options, arma::uword n, std::uint64_t seed) {
  return ntk::sdk::dense_gaussian_inputs(ntk::test::linear_toy_config(TOY_NAME, options).input_dim,
                                         n, seed);
}
}  // namespace

NTK_REGISTER_CONFORMANCE_INPUTS(toy_samples)
#endif
