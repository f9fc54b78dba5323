#include "core/train/descent.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include "core/progress/reporter.hpp"
#include "core/train/learning_rate.hpp"
#include "core/train/metrics.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::train {

const char* status_name(Status s) {
  switch (s) {
    case Status::converged: return "converged";
    case Status::diverged: return "diverged";
    default: return "max_steps";
  }
}

void check_options(const char* where, const TrainOptions& o) {
  if (o.lr && !(*o.lr > 0 && std::isfinite(*o.lr)))
    throw_error(where, ": lr = ", *o.lr, " must be a positive number or \"auto\"");
  if (o.until_loss && !(*o.until_loss >= 0))
    throw_error(where, ": until_loss = ", *o.until_loss, " must be >= 0");
  if (o.record_every == 0) throw_error(where, ": record_every must be >= 1");
  if (o.probe && o.snapshot_every == 0) throw_error(where, ": snapshot_every must be >= 1");
  if (!(o.lambda >= 0 && std::isfinite(o.lambda)))
    throw_error(where, ": lambda = ", o.lambda, " must be a finite number >= 0");
  if (o.regularizer != Regularizer::none && o.lambda == 0)
    throw_error(where, ": regularizer \"", regularizer_name(o.regularizer),
                "\" needs lambda > 0");
}

namespace {

// "1.23e-03": three significant digits for the progress line.
std::string short_number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2e", value);
  return text;
}

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Growth of the objective over its reference that counts as divergence.
constexpr double kBlowUp = 1e6;

struct Evaluation {
  arma::mat train_f, test_f;
  double train_loss = kNaN, test_loss = kNaN, train_accuracy = kNaN, test_accuracy = kNaN;
};

Evaluation evaluate(DescentModel& model, const Labelled& train, const Labelled* test,
                    arma::mat train_f) {
  Evaluation e;
  e.train_f = std::move(train_f);
  e.train_loss = squared_loss(e.train_f, train.y);
  e.train_accuracy = accuracy(e.train_f, train.y);
  if (test) {
    e.test_f = model.predict(test->x);
    e.test_loss = squared_loss(e.test_f, test->y);
    e.test_accuracy = accuracy(e.test_f, test->y);
  }
  return e;
}

}  // namespace

TrainResult run_descent(const char* where, DescentModel& model, const Labelled& train,
                        const TrainOptions& options, const Labelled* test) {
  check_options(where, options);
  const sdk::Network& net = model.network();
  check_labelled(where, "data", train, net);
  if (test) check_labelled(where, "record.test", *test, net);
  if (options.probe && options.probe->size() == 0) throw_error(where, ": probe has no examples");

  const arma::uword n = train.size();
  const double nn = double(n);
  const bool rdi = options.regularizer == Regularizer::rdi;
  const bool aux = options.regularizer == Regularizer::aux;
  const double lambda = options.lambda, root_lambda = std::sqrt(options.lambda);

  // Started before the "auto" step's eigenvalue, which then counts in the elapsed time.
  progress::Reporter reporter = progress::Reporter::on_stderr(
      where, double(options.max_steps), /*show_counts=*/true, options.progress);
  TrainResult result;
  result.lr = options.lr ? *options.lr
                         : stable_learning_rate(largest_kernel_eigenvalue(net, train.x), n,
                                                options.regularizer, lambda,
                                                options.auto_fraction);
  const double lr = result.lr;

  // w0 is read after the first prediction: some plugins draw their parameters lazily, at the
  // first input they see (e.g. fc with input_dim = 0).
  arma::vec w0, w, w_prev;
  arma::mat b, b_prev;
  if (aux) b.zeros(train.y.n_rows, n);
  // Divergence is growth relative to the larger of the initial objective and the loss of the
  // zero predictor, so a start that already fits well does not make tiny growth "divergence".
  double reference = 0;

  arma::vec gradient;
  arma::uword step = 0;
  for (;; ++step) {
    arma::mat f = model.predict(train.x);
    if (step == 0) w = w0 = model.params();
    arma::mat residual = f - train.y;
    if (aux) residual += root_lambda * b;
    double objective = arma::accu(arma::square(residual)) / (2.0 * nn);
    if (rdi) objective += 0.5 * lambda * arma::accu(arma::square(w - w0));
    if (step == 0)
      reference = std::max({objective, arma::accu(arma::square(train.y)) / (2.0 * nn), 1e-300});

    const bool diverged = !std::isfinite(objective) || objective > kBlowUp * reference;
    const bool converged = !diverged && options.until_loss && objective <= *options.until_loss;
    const bool budget = step >= options.max_steps;
    const bool stop = diverged || converged || budget;
    reporter.update(double(step), "objective " + short_number(objective));

    // ∇_w objective = Jᵀ r / n (+ λ (w − w0));  ∇_b objective = √λ r / n. Taken before the
    // test set's predictions below: a network that keeps its last forward pass (the
    // compositions do) then reuses the one on the training set instead of recomputing it.
    // One gradient vector for the whole run (declared above the loop): a fresh P-vector each
    // step is a fresh mapping above glibc's 32 MB mmap threshold, i.e. page faults every step.
    if (!stop) model.vjp_into(train.x, residual / nn, gradient);

    if (step % options.record_every == 0 || stop) {
      const Evaluation e = evaluate(model, train, test, f);
      result.history.push_back(
          {step, objective, e.train_loss, e.test_loss, e.train_accuracy, e.test_accuracy});
    }
    if (options.probe && !diverged && (step % options.snapshot_every == 0 || stop))
      result.kernel.add(step, model.network().ntk(*options.probe, *options.probe));

    if (stop) {
      std::ostringstream message;
      result.steps = step;
      if (diverged) {
        result.status = Status::diverged;
        message << where << ": diverged at step " << step << " (objective " << objective
                << ", initial " << result.history.front().objective << ", lr " << lr
                << "); parameters are left at step " << (step == 0 ? 0 : step - 1)
                << "; try a smaller lr or lr = \"auto\"";
        if (step > 0) {
          w = w_prev;
          b = b_prev;
          model.set_params(w);
          f = model.predict(train.x);
          residual = f - train.y;
          if (aux) residual += root_lambda * b;
          objective = arma::accu(arma::square(residual)) / (2.0 * nn);
          if (rdi) objective += 0.5 * lambda * arma::accu(arma::square(w - w0));
        }
      } else if (converged) {
        result.status = Status::converged;
        message << "objective " << objective << " <= until_loss " << *options.until_loss
                << " after " << step << " steps";
      } else {
        result.status = Status::max_steps;
        message << "stopped after max_steps = " << step << " steps at objective " << objective;
      }
      result.message = message.str();
      reporter.finish(std::string(status_name(result.status)) + ", objective " +
                      short_number(objective));
      Evaluation e = evaluate(model, train, test, std::move(f));
      result.objective = objective;
      result.train_loss = e.train_loss;
      result.test_loss = e.test_loss;
      result.train_accuracy = e.train_accuracy;
      result.test_accuracy = e.test_accuracy;
      result.train_predictions = std::move(e.train_f);
      result.test_predictions = std::move(e.test_f);
      break;
    }

    if (rdi) {
      double* g = gradient.memptr();
      for (arma::uword i = 0; i < gradient.n_elem; ++i) g[i] += lambda * (w[i] - w0[i]);
    }
    // The new parameters are written into w_prev's buffer, which then trades places with w:
    // w_prev keeps the parameters before the step (for the divergence rollback) without a
    // copy, and no P-sized buffer is allocated after the first step.
    w_prev = w - lr * gradient;
    w.swap(w_prev);
    model.set_params(w);
    if (aux) {
      b_prev = b;
      b -= (lr * root_lambda / nn) * residual;
    }
  }
  result.params = w;
  result.aux = b;
  return result;
}

}  // namespace ntk::core::train
