// Linearised (tangent-space) training from a checkpoint w* (Lee et al. 2019, "Wide neural
// networks of any depth evolve as linear models under gradient descent"):
//   f_lin(x; w) = f(x; w*) + J(x; w*)(w − w*).
//
// linearized_gd trains f_lin by the same gradient descent as gradient_descent (same loss
// 1/(2n) Σ ‖f − y‖², same options), with predictions f(x; w*) + net.jvp(x, w − w*) and gradients
// net.vjp at w*; the n × P Jacobian is never formed.
//
// linearized_closed_form gives the exact result through the empirical NTK Θ = J Jᵀ at w*
// ((n·k) × (n·k), learning_rate.hpp). With u0 = f(X; w*), after s steps of size η
//   u_s  = y + (I − ηΘ/n)^s (u0 − y)                                   (training set)
//   f_s(x) = f(x; w*) + Θ(x, X) G (y − u0),  G = Θ⁻¹ (I − (I − ηΘ/n)^s)  (any x)
// and for gradient flow of duration η·t, (I − ηΘ/n)^s becomes e^{−ηtΘ/n}. G is evaluated on
// Θ's eigenvalues as the geometric sum (η/n) Σ_{j<s} (1 − ηλ/n)^j (→ sη/n as λ → 0), so a
// singular Θ needs no inverse: it is the exact result of GD, whose iterates stay in the row
// space of J.
#pragma once

#include <optional>
#include <string>

#include "core/train/labelled.hpp"
#include "core/train/train_result.hpp"
#include "ntk/sdk/network.hpp"

namespace ntk::core::train {

// GD on f_lin around w* = net.params(). The network is left at w* unless update_network is
// true, in which case it is set to the trained w = result.params (the *nonlinear* network at
// those parameters then differs from f_lin).
TrainResult linearized_gd(sdk::Network& net, const Labelled& train, const TrainOptions& options,
                          const Labelled* test = nullptr, bool update_network = false);

struct ClosedFormOptions {
  std::optional<double> lr;  // empty: "auto", auto_fraction · n/λ_max(Θ)
  double auto_fraction = 1.0;
  std::optional<arma::uword> steps;  // discrete GD: exactly one of steps and time
  std::optional<double> time;        // gradient flow for duration lr · time
};

struct ClosedFormResult {
  // "ok", or "diverged" as gradient descent reports it: the train loss is not finite or grew
  // over 1e6 times its reference (max of the initial loss and ‖y‖²/(2n)); `message` then names
  // the steps or time, the first non-finite quantity and the stable limit of lr.
  std::string status = "ok";
  std::string message;
  double lr = 0;
  arma::mat train_predictions;  // k × n
  arma::mat test_predictions;   // k × n_test, empty without test inputs
  double train_loss = 0;        // 1/(2n) ‖u − y‖²
  arma::vec eigenvalues;        // of Θ, ascending
};

// `test` may be null. Throws ntk::Error for bad options and for a non-finite NTK; a run that
// blows up is a result with status "diverged" (its predictions are kept as computed).
ClosedFormResult linearized_closed_form(const sdk::Network& net, const Labelled& train,
                                        const ClosedFormOptions& options,
                                        const sdk::Inputs* test = nullptr);

}  // namespace ntk::core::train
