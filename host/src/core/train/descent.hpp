// The gradient-descent loop shared by the network trainer and the linearised trainer.
//
// A DescentModel is anything with flat parameters, predictions at the current parameters and a
// vector–Jacobian product; run_descent minimises
//   1/(2n) Σ_i ‖f(x_i) (+ √λ b_i for AUX) − y_i‖²  (+ λ/2 ‖w − w0‖² for RDI)
// by full-batch GD: w ← w − η (vjp(X, r/n) [+ λ(w − w0)]), b ← b − η √λ r/n, with r the
// residual above. Divergence (objective NaN/inf, or above 10⁶ × its reference value) stops the
// loop with status "diverged" and restores the last parameters before the blow-up.
#pragma once

#include <armadillo>

#include "core/train/labelled.hpp"
#include "core/train/train_result.hpp"
#include "ntk/sdk/network.hpp"

namespace ntk::core::train {

class DescentModel {
 public:
  virtual ~DescentModel() = default;
  virtual const arma::vec& params() const = 0;
  virtual void set_params(const arma::vec& params) = 0;
  // Predictions at the current parameters, k × n.
  virtual arma::mat predict(const sdk::Inputs& x) = 0;
  // Jᵀ vec(cotangent) at the current parameters (the linearised model: at its checkpoint).
  virtual arma::vec vjp(const sdk::Inputs& x, const arma::mat& cotangent) = 0;
  // The same into the caller's vector (its memory reused across steps when the size matches).
  virtual void vjp_into(const sdk::Inputs& x, const arma::mat& cotangent, arma::vec& gradient) {
    gradient = vjp(x, cotangent);
  }
  // The network whose NTK sets the "auto" step and the probe snapshots.
  virtual const sdk::Network& network() const = 0;
};

// `where` names the caller in error messages, e.g. "train.gd()".
TrainResult run_descent(const char* where, DescentModel& model, const Labelled& train,
                        const TrainOptions& options, const Labelled* test);

// Throws ntk::Error for options out of range (naming `where`).
void check_options(const char* where, const TrainOptions& options);

}  // namespace ntk::core::train
