// An optional addition to sdk::Network (SDK 4, additive): a vjp that writes into the caller's
// vector, so that a training loop keeps one P-sized gradient across steps. vjp() returns a new
// P-vector each call; above glibc's 32 MB mmap threshold every step maps it fresh (a 5 M
// parameter resnet: ~9,800 page faults, ~110 ms of a 157 ms step; docs/benchmarks.md,
// "Finite networks (issue 14)").
//
// It is a separate interface, not a new virtual of Network, so that the vtable of Network —
// and every plugin built against SDK 4.0 — stays as it is: sdk::vjp_into() below asks for it by
// dynamic_cast and falls back to vjp() for networks that do not offer it.
#pragma once

#include <armadillo>

#include "ntk/sdk/network.hpp"

namespace ntk::sdk {

class VjpInto {
 public:
  virtual ~VjpInto() = default;
  // gradient = Jᵀ vec(cotangent), resized to num_params() when its size differs (its memory is
  // reused otherwise). The same checks and results as Network::vjp.
  virtual void vjp_into(const Inputs& x, const arma::mat& cotangent, arma::vec& gradient) const = 0;
};

inline void vjp_into(const Network& net, const Inputs& x, const arma::mat& cotangent,
                     arma::vec& gradient) {
  if (const auto* into = dynamic_cast<const VjpInto*>(&net)) into->vjp_into(x, cotangent, gradient);
  else gradient = net.vjp(x, cotangent);
}

}  // namespace ntk::sdk
