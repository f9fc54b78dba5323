// Losses and accuracies of predictions f (k × n) against targets y (k × n).
//
// The training loss of ntklab is the squared loss normalised by the number of examples,
//   L = 1/(2n) · Σ_i ‖f(x_i) − y_i‖²,
// so its gradient is Jᵀ(f − y)/n and gradient flow on it moves the training predictions as
// du/dt = −Θ(u − y)/n (Θ = J Jᵀ, the unaveraged empirical NTK on the training set).
#pragma once

#include <armadillo>

namespace ntk::core::train {

// 1/(2n) ‖f − y‖²_F with n = number of columns.
double squared_loss(const arma::mat& f, const arma::mat& y);

// True when accuracy is meaningful for these targets: one output with every target ±1
// (sign agreement), or several outputs (argmax agreement, e.g. one-hot).
bool has_accuracy(const arma::mat& y);

// Fraction of examples classified right: sign(f) == y for ±1 targets (k = 1; f = 0 counts as
// wrong), argmax_o f == argmax_o y for k > 1. NaN when has_accuracy(y) is false (regression
// targets have no accuracy); callers report that as "absent", never as a number.
double accuracy(const arma::mat& f, const arma::mat& y);

}  // namespace ntk::core::train
