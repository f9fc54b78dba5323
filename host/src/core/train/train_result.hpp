// Options and results shared by gradient descent on a network and on its linearisation.
#pragma once

#include <armadillo>
#include <optional>
#include <string>
#include <vector>

#include "core/train/kernel_trace.hpp"
#include "core/train/regularizer.hpp"
#include "ntk/sdk/inputs.hpp"

namespace ntk::core::train {

struct TrainOptions {
  // Step size η; empty means "auto": η = auto_fraction · (stable limit)/2, see learning_rate.hpp
  // (η = auto_fraction · n/λ_max without regulariser).
  std::optional<double> lr;
  double auto_fraction = 1.0;
  // Stop when the objective (see below) is ≤ until_loss ("converged") or after max_steps
  // updates ("max_steps"), whichever comes first.
  std::optional<double> until_loss;
  arma::uword max_steps = 10000;
  // A history row every record_every steps, plus one at the last step.
  arma::uword record_every = 1;
  Regularizer regularizer = Regularizer::none;
  double lambda = 0.0;
  // Empirical-NTK snapshots on `probe` every snapshot_every steps and at the last step
  // (no snapshots when probe is null). The probe must outlive the call.
  const sdk::Inputs* probe = nullptr;
  arma::uword snapshot_every = 100;
  // A progress bar (or plain lines) on stderr for runs longer than a few seconds: step of
  // max_steps and the objective. Also off when progress is switched off for the process
  // (NTKLAB_PROGRESS=0, ntk.progress(false): core/progress/switch.hpp).
  bool progress = true;
};

enum class Status { converged, max_steps, diverged };
// "converged" | "max_steps" | "diverged"
const char* status_name(Status s);

// Losses are 1/(2n) Σ ‖f − y‖² of the network's own predictions f (without AUX outputs and
// without the RDI penalty); `objective` is what gradient descent minimises (with them).
// Accuracies and test values are NaN when they do not exist (regression targets, no test set).
struct HistoryRow {
  arma::uword step = 0;
  double objective = 0, train_loss = 0, test_loss = 0, train_accuracy = 0, test_accuracy = 0;
};

struct TrainResult {
  Status status = Status::max_steps;
  std::string message;   // one line: why training stopped
  arma::uword steps = 0;  // updates made (on divergence: the step where it was detected)
  double lr = 0;          // the step size used (resolved when "auto")
  // At the final parameters (on divergence: the last parameters before the blow-up).
  double objective = 0, train_loss = 0, test_loss = 0, train_accuracy = 0, test_accuracy = 0;
  arma::mat train_predictions, test_predictions;  // k × n, k × n_test (empty without test)
  std::vector<HistoryRow> history;
  KernelTrace kernel;
  arma::vec params;  // final parameters w
  arma::mat aux;     // AUX variables b (k × n) for regularizer aux, else empty
};

}  // namespace ntk::core::train
