// An architecture: the infinite-width kernels and a factory for finite networks.
#pragma once

#include <armadillo>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ntk/sdk/error.hpp"
#include "ntk/sdk/inputs.hpp"
#include "ntk/sdk/layer.hpp"
#include "ntk/sdk/network.hpp"
#include "ntk/sdk/options.hpp"
#include "ntk/sdk/progress.hpp"

namespace ntk::sdk {

// Which kernels to compute; ask only for what you need (the NTK needs the NNGP internally).
struct KernelRequest {
  bool nngp = false;
  bool ntk = true;
  // Optional (SDK 3.1): told how far the computation is (see progress.hpp); must outlive the
  // call. The SDK's kernel engines report to it; null reports nothing.
  ProgressSink* progress = nullptr;
  // SDK 4.0: accept a common scale. Deep or badly scaled networks can have kernels whose
  // entries lie beyond the double range (≈1e±308) although their ratios — the normalised
  // kernel K12/√(K11K22), what a ridge solve with λ = 0 or a correlation study reads — are
  // ordinary numbers. With log_scale the engine may return K·2^-s and s (Kernels::log2_scale);
  // without it such a kernel is refused with an ntk::Error naming the layer where its values
  // left the range.
  bool log_scale = false;
  // SDK 4.0: the element type of the returned kernels. float32 fills Kernels::nngp32 / ntk32
  // (and leaves nngp / ntk empty), so that an n × n kernel of a whole data set exists once, in
  // 4n² bytes (60,000 examples: 14.4 GB), never as a float64 copy. How the engine computes it
  // (float32 tiles, float64 accumulation where accuracy needs it) is the engine's choice.
  Precision output = Precision::float64;
};

struct Kernels {
  arma::mat nngp;  // n1 × n2, empty if not requested
  arma::mat ntk;   // n1 × n2, empty if not requested
  // The true kernels are nngp·2^log2_scale and ntk·2^log2_scale. Always 0 unless the request
  // asked for log_scale (and then 0 whenever the kernels are doubles).
  int log2_scale = 0;
  // The float32 kernels, when the request's output is float32 (nngp / ntk are then empty).
  arma::fmat nngp32;
  arma::fmat ntk32;
};

// A kernel family: many related kernels from one recursion pass (e.g. an FC net's kernels for
// every depth ≤ L and every number of fixed layers, which share their layer-by-layer NNGP).
// `select` narrows the family with architecture-defined keys (fc: depths = {…}); an empty
// Options is the whole family. Every returned matrix is n1 × n2; all of them exist at once, so
// the memory is (number of members) × n1 × n2 × 8 bytes: select a part when n is large.
struct FamilyRequest {
  bool nngp = false;
  bool ntk = true;
  Options select;
  ProgressSink* progress = nullptr;  // as KernelRequest::progress (SDK 3.1)
};

// One member: the option values that single it out (e.g. {depth = 3, fixed_layers = 1}; the
// architecture with these options set computes the same kernels with kernels()) and its kernels.
struct FamilyMember {
  Options settings;
  arma::mat nngp;  // empty if not requested
  arma::mat ntk;   // empty if not requested
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

  // Optional (SDK 2.0): the kernel family of this configuration from one pass (see
  // FamilyRequest). When &a == &b implementations compute one triangle. The default refuses.
  virtual std::vector<FamilyMember> kernel_family(const Inputs& a, const Inputs& b,
                                                  const FamilyRequest& request) const {
    (void)a, (void)b, (void)request;
    throw_error("kernel_family(): not supported by this architecture (", describe(),
                "); only some plugins return kernel families (e.g. fc)");
  }
};

}  // namespace ntk::sdk
