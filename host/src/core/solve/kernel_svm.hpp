// C-SVM classification on a precomputed kernel, through libsvm (Chang & Lin; Debian libsvm-dev).
//
// libsvm's PRECOMPUTED kernel type reads, for training example i, the row
//   (0: serial number i, 1: K(x_i, x_1), ..., n: K(x_i, x_n))
// and for a test point the row (0: ignored, 1: K(x, x_1), ..., n: K(x, x_n)). Multi-class
// problems are handled by libsvm's one-vs-one voting. libsvm's progress printing is silenced.
//
// After training only the support vectors' serial numbers are kept (that is all a precomputed
// prediction reads), so the model holds no copy of the kernel.
#pragma once

#include <armadillo>
#include <memory>

struct svm_model;
struct svm_node;

namespace ntk::core::solve {

struct SvmOptions {
  double C = 1.0;            // box constraint, > 0
  double tolerance = 1e-3;   // libsvm's stopping tolerance (eps)
  double cache_mb = 100.0;   // libsvm's kernel cache
  bool shrinking = true;
};

// libsvm's training problem for one kernel and one training set: the n × (n + 2) node array
// (the costliest part of a fit's set-up: 16 bytes per kernel entry). Built once, it serves
// every C of a grid (svm_grid.hpp). `train` selects rows and columns of K (0-based), `labels`
// are those examples' labels.
class SvmProblem {
 public:
  SvmProblem(const arma::mat& K, const arma::uvec& train, const arma::vec& labels);
  ~SvmProblem();
  SvmProblem(const SvmProblem&) = delete;
  SvmProblem& operator=(const SvmProblem&) = delete;
  arma::uword size() const;
  // Bytes a problem of n training examples takes (for allocation checks before building).
  static double bytes(arma::uword n);

 private:
  friend class KernelSvm;
  struct Data;
  std::unique_ptr<Data> data_;
};

class KernelSvm {
 public:
  // K_train: n × n symmetric kernel; labels: n class labels (any finite numbers, e.g. ±1, 0..9).
  KernelSvm(const arma::mat& K_train, const arma::vec& labels, const SvmOptions& options = {});
  // A fit on a prebuilt problem (options.C and the rest apply to this fit only).
  KernelSvm(const SvmProblem& problem, const SvmOptions& options);
  ~KernelSvm();
  KernelSvm(KernelSvm&&) noexcept;
  KernelSvm& operator=(KernelSvm&&) noexcept;

  // Predicted labels of the m test points from the m × n test-train kernel.
  arma::vec predict(const arma::mat& K_test_train) const;
  // One-vs-one decision values, (#classes·(#classes−1)/2) × m, in libsvm's pair order; for two
  // classes the single row is positive for classes()[0].
  arma::mat decision_values(const arma::mat& K_test_train) const;

  arma::vec classes() const;              // in libsvm's order (first appearance in the labels)
  arma::uvec support_indices() const;     // 0-based training indices of the support vectors
  arma::uword num_train() const { return num_train_; }

  // Whether some dual coefficient sits at its bound C (in any one-vs-one sub-problem). When none
  // does, the dual solution is also optimal for every larger C (it stays feasible and its KKT
  // conditions do not involve C), so a C grid can stop fitting there: svm_grid.hpp.
  bool reaches_bound() const { return reaches_bound_; }

 private:
  struct ModelDeleter {
    void operator()(svm_model* model) const;
  };
  std::unique_ptr<svm_model, ModelDeleter> model_;
  // Two libsvm nodes per support vector: {0, serial number}, {-1, terminator}.
  std::unique_ptr<::svm_node[]> support_nodes_;
  arma::uword num_train_ = 0;
  bool reaches_bound_ = true;
  void train(const SvmProblem& problem, const SvmOptions& options);
};

}  // namespace ntk::core::solve
