#include "core/solve/kernel_svm.hpp"

#include <libsvm/svm.h>

#include <cmath>
#include <vector>

#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::solve {
namespace {

void silent_print(const char*) {}

// libsvm row for kernel row `row` of K (1-based feature indices 1..n, serial number in node 0).
void fill_row(std::vector<svm_node>& nodes, std::size_t offset, const arma::mat& K, arma::uword row,
              double serial) {
  const arma::uword n = K.n_cols;
  nodes[offset] = {0, serial};
  for (arma::uword j = 0; j < n; ++j) nodes[offset + 1 + j] = {static_cast<int>(j + 1), K(row, j)};
  nodes[offset + 1 + n] = {-1, 0.0};
}

void check_test_kernel(const char* fn, const arma::mat& K_test_train, arma::uword n) {
  if (K_test_train.n_cols != n)
    throw_error(fn, ": the test-train kernel is ", K_test_train.n_rows, " x ", K_test_train.n_cols,
                "; it needs one column per training example (", n, ")");
  sdk::check_finite(std::string(fn) + " test-train kernel", K_test_train);
}

}  // namespace

void KernelSvm::ModelDeleter::operator()(svm_model* model) const {
  svm_free_and_destroy_model(&model);
}

KernelSvm::KernelSvm(const arma::mat& K_train, const arma::vec& labels, const SvmOptions& options) {
  const char* fn = "svm()";
  const arma::uword n = K_train.n_rows;
  if (n == 0 || K_train.n_cols != n)
    throw_error(fn, ": the train kernel must be square and non-empty, got ", K_train.n_rows, " x ",
                K_train.n_cols);
  if (labels.n_elem != n)
    throw_error(fn, ": ", labels.n_elem, " labels for a ", n, " x ", n, " kernel");
  for (arma::uword i = 0; i < n; ++i)
    if (!std::isfinite(labels[i]) || labels[i] != std::round(labels[i]))
      throw_error(fn, ": label ", i + 1, " is ", labels[i],
                  "; libsvm classification needs integer labels (e.g. -1/1 or 0..9)");
  if (arma::unique(labels).eval().n_elem < 2)
    throw_error(fn, ": the labels have a single class; a classifier needs at least two");
  if (!(options.C > 0) || !std::isfinite(options.C))
    throw_error(fn, ": C must be a finite number > 0, got ", options.C);
  if (!(options.tolerance > 0)) throw_error(fn, ": tolerance must be > 0, got ", options.tolerance);
  sdk::check_finite(std::string(fn) + " train kernel", K_train);
  sdk::check_allocation("svm(): libsvm's copy of the kernel", n, n + 2, sizeof(svm_node));

  // The training problem: n rows of n + 2 nodes. libsvm keeps pointers into it until we
  // replace the support vectors' pointers below.
  std::vector<svm_node> nodes(n * (n + 2));
  std::vector<svm_node*> rows(n);
  std::vector<double> y(labels.begin(), labels.end());
  for (arma::uword i = 0; i < n; ++i) {
    fill_row(nodes, i * (n + 2), K_train, i, static_cast<double>(i + 1));
    rows[i] = &nodes[i * (n + 2)];
  }
  svm_problem problem{static_cast<int>(n), y.data(), rows.data()};

  svm_parameter param{};
  param.svm_type = C_SVC;
  param.kernel_type = PRECOMPUTED;
  param.cache_size = options.cache_mb;
  param.eps = options.tolerance;
  param.C = options.C;
  param.nr_weight = 0;
  param.shrinking = options.shrinking ? 1 : 0;
  param.probability = 0;
  if (const char* problem_text = svm_check_parameter(&problem, &param))
    throw_error(fn, ": libsvm rejected the parameters: ", problem_text);

  svm_set_print_string_function(&silent_print);
  model_.reset(svm_train(&problem, &param));
  if (!model_) throw_error(fn, ": libsvm's svm_train returned no model");

  // A precomputed prediction reads only node 0 (the serial number) of each support vector.
  const int l = model_->l;
  support_nodes_ = std::make_unique<svm_node[]>(2 * static_cast<std::size_t>(l));
  for (int s = 0; s < l; ++s) {
    support_nodes_[2 * s] = {0, model_->SV[s][0].value};
    support_nodes_[2 * s + 1] = {-1, 0.0};
    model_->SV[s] = &support_nodes_[2 * s];
  }
  model_->free_sv = 0;
  num_train_ = n;
}

KernelSvm::~KernelSvm() = default;
KernelSvm::KernelSvm(KernelSvm&&) noexcept = default;
KernelSvm& KernelSvm::operator=(KernelSvm&&) noexcept = default;

arma::vec KernelSvm::predict(const arma::mat& K_test_train) const {
  check_test_kernel("svm predict()", K_test_train, num_train_);
  const arma::uword m = K_test_train.n_rows, n = num_train_;
  arma::vec out(m);
  std::vector<svm_node> row(n + 2);
  for (arma::uword i = 0; i < m; ++i) {
    fill_row(row, 0, K_test_train, i, 0.0);
    out[i] = svm_predict(model_.get(), row.data());
  }
  return out;
}

arma::mat KernelSvm::decision_values(const arma::mat& K_test_train) const {
  check_test_kernel("svm decision_values()", K_test_train, num_train_);
  const arma::uword m = K_test_train.n_rows, n = num_train_;
  const arma::uword c = static_cast<arma::uword>(model_->nr_class);
  arma::mat out(c * (c - 1) / 2, m);
  std::vector<svm_node> row(n + 2);
  for (arma::uword i = 0; i < m; ++i) {
    fill_row(row, 0, K_test_train, i, 0.0);
    svm_predict_values(model_.get(), row.data(), out.colptr(i));
  }
  return out;
}

arma::vec KernelSvm::classes() const {
  arma::vec out(static_cast<arma::uword>(model_->nr_class));
  for (arma::uword c = 0; c < out.n_elem; ++c) out[c] = model_->label[c];
  return out;
}

arma::uvec KernelSvm::support_indices() const {
  arma::uvec out(static_cast<arma::uword>(model_->l));
  for (arma::uword s = 0; s < out.n_elem; ++s)
    out[s] = static_cast<arma::uword>(model_->sv_indices[s] - 1);
  return out;
}

}  // namespace ntk::core::solve
