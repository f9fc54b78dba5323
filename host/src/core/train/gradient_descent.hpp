// Full-batch gradient descent on a finite network with the squared loss
//   L(w) = 1/(2n) Σ_i ‖f(x_i; w) − y_i‖²      (n training examples, k outputs)
// and optional RDI/AUX regularisers (regularizer.hpp). The gradient is Jᵀ(f − y)/n, computed
// by net.vjp(x, (f − y)/n); the Jacobian is never formed.
//
// Under this normalisation gradient flow dw/dt = −∇L moves the training predictions as
// du/dt = −Θ(u − y)/n, so in the kernel regime u(t) = y + e^{−tΘ/n}(u0 − y), and η steps of GD
// give u_s = y + (I − ηΘ/n)^s (u0 − y) (Θ = J Jᵀ on the training set; see linearized.hpp).
// The solver's gradient-flow time τ for the kernel K = Θ/n is τ = η · steps.
#pragma once

#include "core/train/labelled.hpp"
#include "core/train/train_result.hpp"
#include "ntk/sdk/network.hpp"

namespace ntk::core::train {

// Trains `net` in place: on return its parameters are result.params (on divergence, the
// last parameters before the blow-up). `test` (optional) is only evaluated, every
// options.record_every steps.
TrainResult gradient_descent(sdk::Network& net, const Labelled& train, const TrainOptions& options,
                             const Labelled* test = nullptr);

}  // namespace ntk::core::train
