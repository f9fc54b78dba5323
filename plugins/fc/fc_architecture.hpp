// The fully connected (FC) architecture: Dense, φ, …, Dense in the neural-tangents stax
// convention, as a composition of SDK layers (ntk/sdk/stax.hpp): its analytic NNGP/NTK and
// its finite networks. Options and the parameter layout are documented in plugins/fc/README.md.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "fc_config.hpp"
#include "ntk/sdk/architecture.hpp"
#include "ntk/sdk/options.hpp"
#include "ntk/sdk/plugin.hpp"
#include "ntk/sdk/stax.hpp"

namespace ntk::fc {

// Name "fc", version "1.0.0", the options with defaults and one-line docs.
sdk::PluginInfo plugin_info();

// Reads and checks the options; throws ntk::Error on an unknown key (listing the known ones),
// a wrong type or a value out of range.
FcConfig read_config(const sdk::Options& options);

// The options as a layer list: Dense, φ, …, Dense (depth + 1 dense layers, the first
// fixed_layers of them frozen).
std::vector<sdk::LayerPtr> layers(const FcConfig& config);

std::unique_ptr<sdk::Architecture> make_architecture(const sdk::Options& options);

class FcArchitecture : public sdk::Architecture {
 public:
  explicit FcArchitecture(const FcConfig& config);

  // Analytic kernels between the columns of a and b (d × n1, d × n2), by the composition's
  // fused pass. When &a == &b only one triangle is computed. The NTK is the scalar kernel Θ
  // (the k-output kernel is Θ ⊗ I_k).
  sdk::Kernels kernels(const sdk::Inputs& a, const sdk::Inputs& b,
                       sdk::KernelRequest what) const override;
  // Every depth d ≤ L (select.depths narrows it) × every F = 0..d fixed layers from one pass
  // (fc_family.cpp); member settings {depth = d, fixed_layers = F}, in that order (d outer).
  // Memory: (number of members) × n1 × n2 doubles, plus one depth's NNGP per selected depth
  // when nngp is requested (copied into each of its members).
  std::vector<sdk::FamilyMember> kernel_family(const sdk::Inputs& a, const sdk::Inputs& b,
                                               const sdk::FamilyRequest& request) const override;
  // The composition's finite network behind fc's input checks (fc_network.hpp).
  std::unique_ptr<sdk::Network> network(const sdk::NetworkSpec& spec) const override;
  std::string describe() const override;
  arma::uword outputs() const override { return config_.outputs; }

  const FcConfig& config() const { return config_; }

 private:
  FcConfig config_;
  std::shared_ptr<const sdk::Architecture> composition_;
};

}  // namespace ntk::fc
