// Losses and accuracies of predictions F (k × n) against targets Y (k × n): one column per
// example, one row per output. These are the only definitions in ntklab: the trainers
// (descent.cpp, linearized.cpp) report them and ntk.metrics (lua/metrics.cpp) binds them.
//
// mse, the mean squared error, is the mean over examples of the squared Euclidean error,
//   mse(F, Y) = 1/n · Σ_i ‖f_i − y_i‖² = ‖F − Y‖²_F / n,
// the test loss of the NTK papers (Jacot et al. 2018; Lee et al. 2019, L = ‖f(X) − Y‖²/N).
// It is NOT averaged over the k outputs: with one-hot targets it is k times the mean over
// entries.
//
// The training loss of ntklab is half of it,
//   L = 1/(2n) · Σ_i ‖f(x_i) − y_i‖² = mse / 2,
// so its gradient is Jᵀ(f − y)/n and gradient flow on it moves the training predictions as
// du/dt = −Θ(u − y)/n (Θ = J Jᵀ, the unaveraged empirical NTK on the training set).
#pragma once

#include <armadillo>

namespace ntk::core::train {

// ‖F − Y‖²_F / n with n = number of columns. Throws on different shapes or no columns.
double mse(const arma::mat& f, const arma::mat& y);

// The training loss mse(F, Y) / 2 = 1/(2n) ‖F − Y‖²_F.
double squared_loss(const arma::mat& f, const arma::mat& y);

// True when accuracy is meaningful for these targets: one output with every target ±1
// (sign agreement), or several outputs (argmax agreement, e.g. one-hot).
bool has_accuracy(const arma::mat& y);

// The predicted class of each column: the 0-based row of its largest entry (the first one on
// ties). Throws when F has no rows or a column holds a NaN (naming the entry).
arma::uvec argmax_labels(const arma::mat& f);

// Fraction of examples classified right: for k = 1, f·y > 0 (sign agreement with ±1 targets;
// f = 0 is no decision and counts as wrong); for k > 1, the argmax of f equals the argmax of y
// in the column (first index on ties). A NaN prediction is never right. NaN when
// has_accuracy(y) is false (regression targets have no accuracy); callers report that as
// "absent", never as a number. Throws on different shapes or no columns.
double accuracy(const arma::mat& f, const arma::mat& y);

// Fraction of columns of F (k × n) whose argmax is the class in `labels` (n entries, 0-based
// rows of F). A NaN prediction is never right. Throws on a count mismatch or a label >= k.
double label_accuracy(const arma::mat& f, const arma::uvec& labels);

}  // namespace ntk::core::train
