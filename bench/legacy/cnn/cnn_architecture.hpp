// The convolutional (CNN) architecture: serial(Conv(w, b, q×q, SAME|CIRCULAR), φ, …,
// Flatten | GlobalAvgPool | AvgPool+Flatten, Dense(readout_w, readout_b)) in the
// neural-tangents stax convention — the CNTK of Arora et al. 2019 — and its finite networks.
// Options and the parameter layout are documented in plugins/cnn/README.md.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "cnn_config.hpp"
#include "ntk/sdk/architecture.hpp"
#include "ntk/sdk/options.hpp"
#include "ntk/sdk/plugin.hpp"

namespace ntk::legacy_cnn {

sdk::PluginInfo plugin_info();

// Reads and checks the options; throws ntk::Error on an unknown key, a wrong type, an even
// filter, a circular filter larger than input_shape, a malformed input_shape.
CnnConfig read_config(const sdk::Options& options);

std::unique_ptr<sdk::Architecture> make_architecture(const sdk::Options& options);

// Random images for the conformance kit: input_shape if given, else {2, 5, 5}.
sdk::Inputs sample_images(const sdk::Options& options, arma::uword n, std::uint64_t seed);

// The image shape of `in`: its own shape (images) or input_shape (dense columns); refuses
// graphs, a row count other than C·H·W, and a shape that disagrees with input_shape.
sdk::ImageShape resolve_shape(const CnnConfig& config, const sdk::Inputs& in,
                              const std::string& caller);

class CnnArchitecture : public sdk::Architecture {
 public:
  explicit CnnArchitecture(const CnnConfig& config) : config_(config) {}

  // Analytic NNGP / NTK between the images a and b (one triangle when &a == &b).
  sdk::Kernels kernels(const sdk::Inputs& a, const sdk::Inputs& b,
                       sdk::KernelRequest what) const override;
  std::unique_ptr<sdk::Network> network(const sdk::NetworkSpec& spec) const override;
  std::string describe() const override;

  const CnnConfig& config() const { return config_; }

 private:
  CnnConfig config_;
};

}  // namespace ntk::legacy_cnn
