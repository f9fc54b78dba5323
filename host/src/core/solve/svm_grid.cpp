#include "core/solve/svm_grid.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <numeric>

#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::solve {
namespace {

const char* kFn = "svm_grid()";

void check_inputs(const std::vector<const arma::mat*>& kernels, const arma::vec& labels,
                  const std::vector<SvmSplit>& splits, const std::vector<double>& C) {
  if (kernels.empty()) throw_error(kFn, ": no kernel given");
  if (splits.empty()) throw_error(kFn, ": no split given");
  if (C.empty()) throw_error(kFn, ": the C grid is empty");
  for (double c : C)
    if (!(c > 0) || !std::isfinite(c)) throw_error(kFn, ": C must be finite and > 0, got ", c);
  const arma::uword n = labels.n_elem;
  for (std::size_t k = 0; k < kernels.size(); ++k) {
    const arma::mat& K = *kernels[k];
    if (K.n_rows != n || K.n_cols != n)
      throw_error(kFn, ": kernel ", k + 1, " is ", K.n_rows, " x ", K.n_cols, " for ", n,
                  " labels; it must be the n x n kernel of all examples");
    sdk::check_finite(std::string(kFn) + " kernel " + std::to_string(k + 1), K);
  }
  for (std::size_t s = 0; s < splits.size(); ++s) {
    const SvmSplit& split = splits[s];
    if (split.train.is_empty() || split.test.is_empty())
      throw_error(kFn, ": split ", s + 1, " has an empty training or test set");
    const arma::uword top = std::max(split.train.max(), split.test.max());
    if (top >= n)
      throw_error(kFn, ": split ", s + 1, " has index ", top + 1, " but there are ", n,
                  " examples");
  }
}

// One (kernel, split) task: every C in ascending order on one prebuilt problem.
void run_task(const arma::mat& K, const arma::vec& labels, const SvmSplit& split,
              const std::vector<double>& C, const std::vector<std::size_t>& ascending,
              const SvmOptions& options, double* row_out, arma::uword row_stride,
              std::size_t& fits, std::size_t& saved) {
  const arma::vec y_train = labels.elem(split.train);
  const arma::vec y_test = labels.elem(split.test);
  const SvmProblem problem(K, split.train, y_train);
  const arma::mat K_test = K.submat(split.test, split.train);
  bool settled = false;  // a fit without bounded coefficients: larger C give the same model
  double settled_accuracy = 0;
  for (std::size_t i : ascending) {
    double accuracy;
    if (settled) {
      accuracy = settled_accuracy;
      ++saved;
    } else {
      SvmOptions fit = options;
      fit.C = C[i];
      const KernelSvm model(problem, fit);
      accuracy = static_cast<double>(arma::accu(model.predict(K_test) == y_test)) /
                 static_cast<double>(y_test.n_elem);
      ++fits;
      if (!model.reaches_bound()) {
        settled = true;
        settled_accuracy = accuracy;
      }
    }
    row_out[i * row_stride] = accuracy;
  }
}

}  // namespace

SvmGridResult svm_grid(const std::vector<const arma::mat*>& kernels, const arma::vec& labels,
                       const std::vector<SvmSplit>& splits, const std::vector<double>& C,
                       const SvmOptions& options, int threads) {
  const auto start = std::chrono::steady_clock::now();
  check_inputs(kernels, labels, splits, C);
  if (threads <= 0) threads = omp_get_max_threads();
  const std::size_t tasks = kernels.size() * splits.size();
  threads = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(threads), tasks));

  // Each running task holds its problem and its test block: refuse before allocating.
  arma::uword largest_train = 0, largest_test = 0;
  for (const SvmSplit& s : splits) {
    largest_train = std::max(largest_train, s.train.n_elem);
    largest_test = std::max(largest_test, s.test.n_elem);
  }
  const double per_task = SvmProblem::bytes(largest_train) +
                          8.0 * static_cast<double>(largest_test) * static_cast<double>(largest_train);
  sdk::check_allocation("svm_grid(): libsvm problems of the running tasks (one per thread)",
                        static_cast<double>(threads), per_task, 1);

  std::vector<std::size_t> ascending(C.size());
  std::iota(ascending.begin(), ascending.end(), 0);
  std::stable_sort(ascending.begin(), ascending.end(),
                   [&](std::size_t a, std::size_t b) { return C[a] < C[b]; });

  SvmGridResult result;
  result.accuracy.assign(kernels.size(), arma::mat(splits.size(), C.size()));
  std::vector<std::size_t> fits(tasks, 0), saved(tasks, 0);
  std::vector<std::exception_ptr> errors(tasks);
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
  for (std::size_t t = 0; t < tasks; ++t) {
    const std::size_t k = t / splits.size(), s = t % splits.size();
    try {
      arma::mat& out = result.accuracy[k];
      run_task(*kernels[k], labels, splits[s], C, ascending, options, out.memptr() + s,
               out.n_rows, fits[t], saved[t]);
    } catch (...) {
      errors[t] = std::current_exception();
    }
  }
  for (const std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);
  result.fits = std::accumulate(fits.begin(), fits.end(), std::size_t{0});
  result.fits_saved = std::accumulate(saved.begin(), saved.end(), std::size_t{0});
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace ntk::core::solve
