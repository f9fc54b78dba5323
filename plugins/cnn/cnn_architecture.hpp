// The convolutional architecture (CNTK): serial(Conv, φ, …, Conv, φ, readout, Dense) as a
// composition of SDK layers (ntk/sdk/stax.hpp): its analytic NNGP/NTK by the conv tile engine
// and its finite CNNs. Options and the parameter layout are documented in plugins/cnn/README.md.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cnn_config.hpp"
#include "ntk/sdk/architecture.hpp"
#include "ntk/sdk/options.hpp"
#include "ntk/sdk/plugin.hpp"

namespace ntk::cnn {

sdk::PluginInfo plugin_info();

// Reads and checks the options; throws ntk::Error on an unknown key, a wrong type, an even
// filter, a circular filter larger than input_shape, a malformed input_shape.
CnnConfig read_config(const sdk::Options& options);

// The options as a layer list: (Conv, φ) × depth (the first fixed_layers convs frozen), the
// readout (Flatten, GlobalAvgPool or AvgPool), Dense(readout_w_std, readout_b_std).
std::vector<sdk::LayerPtr> layers(const CnnConfig& config);

std::unique_ptr<sdk::Architecture> make_architecture(const sdk::Options& options);

// Random images for the conformance kit: input_shape if given, else {2, 5, 5}.
sdk::Inputs sample_images(const sdk::Options& options, arma::uword n, std::uint64_t seed);

// The image shape of `in`: its own shape (images) or input_shape (dense columns); refuses
// graphs, a row count other than C·H·W, a shape that disagrees with input_shape, and images
// smaller than a circular filter or the pooling window (`caller` prefixes the message).
sdk::ImageShape resolve_shape(const CnnConfig& config, const sdk::Inputs& in,
                              const std::string& caller);

class CnnArchitecture : public sdk::Architecture {
 public:
  explicit CnnArchitecture(const CnnConfig& config);

  // Analytic NNGP / NTK between the images a and b (one triangle when &a == &b); the NTK is
  // the scalar Θ (the k-output kernel is Θ ⊗ I_k).
  sdk::Kernels kernels(const sdk::Inputs& a, const sdk::Inputs& b,
                       sdk::KernelRequest what) const override;
  // The composition's finite CNN behind cnn's input checks (cnn_network.hpp).
  std::unique_ptr<sdk::Network> network(const sdk::NetworkSpec& spec) const override;
  std::string describe() const override;
  arma::uword outputs() const override { return config_.outputs; }

  const CnnConfig& config() const { return config_; }

 private:
  CnnConfig config_;
  std::shared_ptr<const sdk::Architecture> composition_;
};

}  // namespace ntk::cnn
