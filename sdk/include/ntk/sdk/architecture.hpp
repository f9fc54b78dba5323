// An architecture: the infinite-width kernels and a factory for finite networks.
#pragma once

#include <armadillo>
#include <cstdint>
#include <memory>
#include <string>

#include "ntk/sdk/inputs.hpp"
#include "ntk/sdk/network.hpp"
#include "ntk/sdk/options.hpp"

namespace ntk::sdk {

// Which kernels to compute; ask only for what you need (the NTK needs the NNGP internally).
struct KernelRequest {
  bool nngp = false;
  bool ntk = true;
};

struct Kernels {
  arma::mat nngp;  // n1 × n2, empty if not requested
  arma::mat ntk;   // n1 × n2, empty if not requested
};

struct NetworkSpec {
  arma::uword width = 0;   // hidden width m (channels C for convolutional nets)
  std::uint64_t seed = 0;  // the only source of randomness of the initialisation
};

class Architecture {
 public:
  virtual ~Architecture() = default;

  // Analytic kernels between the columns of a and b. When &a == &b the result is symmetric
  // and implementations compute one triangle.
  virtual Kernels kernels(const Inputs& a, const Inputs& b, KernelRequest what) const = 0;

  // A randomly initialised finite network in the same parametrisation.
  virtual std::unique_ptr<Network> network(const NetworkSpec& spec) const = 0;

  // One paragraph: the configured architecture, its options' values and its layer sequence.
  virtual std::string describe() const = 0;

  // Number of outputs k of the networks (kernels are Θ ⊗ I_k).
  virtual arma::uword outputs() const { return 1; }
};

}  // namespace ntk::sdk
