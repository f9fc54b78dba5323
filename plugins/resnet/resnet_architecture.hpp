// The residual architecture: a stem layer, B residual blocks x ↦ x + α·branch(x) and a readout,
// over vectors (kind = "mlp") or images (kind = "conv"), in the neural-tangents stax
// convention, as a composition of SDK layers (ntk/sdk/stax.hpp): its analytic NNGP/NTK and its
// finite networks. Options and the parameter layout are documented in plugins/resnet/README.md.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ntk/sdk/architecture.hpp"
#include "ntk/sdk/options.hpp"
#include "ntk/sdk/plugin.hpp"
#include "resnet_config.hpp"

namespace ntk::resnet {

sdk::PluginInfo plugin_info();

// Reads and checks the options; throws ntk::Error on an unknown key, a wrong type, a value out
// of range, an even filter, or a conv-only option (input_shape, filter, padding, readout)
// given with kind = "mlp".
ResnetConfig read_config(const sdk::Options& options);

// The options as a layer list: stem, residual(alpha, (φ, Dense|Conv) × branch_depth) × blocks,
// φ, [Flatten | GlobalAvgPool,] Dense(readout); the first fixed_layers of the stem and branch
// layers (in that order) frozen.
std::vector<sdk::LayerPtr> layers(const ResnetConfig& config);

std::unique_ptr<sdk::Architecture> make_architecture(const sdk::Options& options);

// Inputs for the conformance kit: standard-normal vectors (mlp, d = 5) or images of
// input_shape, {2, 5, 5} if not given (conv).
sdk::Inputs sample_inputs(const sdk::Options& options, arma::uword n, std::uint64_t seed);

// kind = "conv": the image shape of `in` (its own, or input_shape for plain matrices); refuses
// graphs, a wrong row count and a shape that disagrees with input_shape.
// kind = "mlp": {d, 1, 1} for any d × n input (images are read as vectors); refuses graphs.
sdk::ImageShape resolve_shape(const ResnetConfig& config, const sdk::Inputs& in,
                              const std::string& caller);

class ResnetArchitecture : public sdk::Architecture {
 public:
  explicit ResnetArchitecture(const ResnetConfig& config);

  // Analytic NNGP / NTK (the scalar Θ; the k-output kernel is Θ ⊗ I_k); one triangle when
  // &a == &b.
  sdk::Kernels kernels(const sdk::Inputs& a, const sdk::Inputs& b,
                       sdk::KernelRequest what) const override;
  // The composition's finite network behind resnet's input checks (resnet_network.hpp).
  std::unique_ptr<sdk::Network> network(const sdk::NetworkSpec& spec) const override;
  std::string describe() const override;
  arma::uword outputs() const override { return config_.outputs; }

  const ResnetConfig& config() const { return config_; }

 private:
  ResnetConfig config_;
  std::shared_ptr<const sdk::Architecture> composition_;
};

}  // namespace ntk::resnet
