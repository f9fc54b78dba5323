#include "core/solve/kernel_svm.hpp"

#include <libsvm/svm.h>

#include <cmath>
#include <vector>

#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::solve {
namespace {

void silent_print(const char*) {}

// libsvm's print hook is a global: set it once, before any fit (fits may run on several threads).
void silence_libsvm() {
  static const bool once = [] {
    svm_set_print_string_function(&silent_print);
    return true;
  }();
  (void)once;
}

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

struct SvmProblem::Data {
  arma::uword n = 0;
  // n rows of n + 2 nodes, left uninitialised until filled (zeroing 16 bytes per kernel entry
  // first cost 8 % of a fit on NCI1).
  std::unique_ptr<svm_node[]> nodes;
  std::vector<svm_node*> rows;
  std::vector<double> y;
};

double SvmProblem::bytes(arma::uword n) {
  return static_cast<double>(n) * static_cast<double>(n + 2) * sizeof(svm_node) +
         static_cast<double>(n) * (sizeof(svm_node*) + sizeof(double));
}

SvmProblem::SvmProblem(const arma::mat& K, const arma::uvec& train, const arma::vec& labels)
    : data_(std::make_unique<Data>()) {
  const char* fn = "svm()";
  const arma::uword n = train.n_elem;
  if (n == 0) throw_error(fn, ": the training set is empty");
  if (labels.n_elem != n) throw_error(fn, ": ", labels.n_elem, " labels for ", n, " training examples");
  if (K.n_rows != K.n_cols)
    throw_error(fn, ": the kernel must be square, got ", K.n_rows, " x ", K.n_cols);
  if (train.max() >= K.n_rows)
    throw_error(fn, ": training index ", train.max() + 1, " is outside the ", K.n_rows, " x ",
                K.n_rows, " kernel");
  for (arma::uword i = 0; i < n; ++i)
    if (!std::isfinite(labels[i]) || labels[i] != std::round(labels[i]))
      throw_error(fn, ": label ", i + 1, " is ", labels[i],
                  "; libsvm classification needs integer labels (e.g. -1/1 or 0..9)");
  if (arma::unique(labels).eval().n_elem < 2)
    throw_error(fn, ": the labels have a single class; a classifier needs at least two");
  sdk::check_allocation("svm(): libsvm's copy of the kernel", n, n + 2, sizeof(svm_node));

  Data& d = *data_;
  d.n = n;
  d.nodes.reset(new svm_node[n * (n + 2)]);
  d.rows.resize(n);
  d.y.assign(labels.begin(), labels.end());
  for (arma::uword i = 0; i < n; ++i) {
    svm_node* row = &d.nodes[i * (n + 2)];
    row[0] = {0, static_cast<double>(i + 1)};
    const arma::uword ki = train[i];
    for (arma::uword j = 0; j < n; ++j) {
      const double v = K.at(ki, train[j]);
      if (!std::isfinite(v))
        throw_error(fn, ": the kernel entry (", ki + 1, ", ", train[j] + 1, ") is ", v,
                    "; a kernel for an SVM must be finite");
      row[1 + j] = {static_cast<int>(j + 1), v};
    }
    row[1 + n] = {-1, 0.0};
    d.rows[i] = row;
  }
}

SvmProblem::~SvmProblem() = default;
arma::uword SvmProblem::size() const { return data_->n; }

KernelSvm::KernelSvm(const arma::mat& K_train, const arma::vec& labels, const SvmOptions& options) {
  const char* fn = "svm()";
  const arma::uword n = K_train.n_rows;
  if (n == 0 || K_train.n_cols != n)
    throw_error(fn, ": the train kernel must be square and non-empty, got ", K_train.n_rows, " x ",
                K_train.n_cols);
  if (labels.n_elem != n)
    throw_error(fn, ": ", labels.n_elem, " labels for a ", n, " x ", n, " kernel");
  if (!(options.C > 0) || !std::isfinite(options.C))
    throw_error(fn, ": C must be a finite number > 0, got ", options.C);
  if (!(options.tolerance > 0)) throw_error(fn, ": tolerance must be > 0, got ", options.tolerance);
  const SvmProblem problem(K_train, arma::regspace<arma::uvec>(0, n - 1), labels);
  train(problem, options);
}

KernelSvm::KernelSvm(const SvmProblem& problem, const SvmOptions& options) {
  if (!(options.C > 0) || !std::isfinite(options.C))
    throw_error("svm(): C must be a finite number > 0, got ", options.C);
  if (!(options.tolerance > 0))
    throw_error("svm(): tolerance must be > 0, got ", options.tolerance);
  train(problem, options);
}

void KernelSvm::train(const SvmProblem& problem_data, const SvmOptions& options) {
  const char* fn = "svm()";
  SvmProblem::Data& d = *problem_data.data_;
  const arma::uword n = d.n;
  // libsvm reads the problem but takes non-const pointers; it does not write through them.
  svm_problem problem{static_cast<int>(n), d.y.data(), d.rows.data()};

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

  silence_libsvm();
  model_.reset(svm_train(&problem, &param));
  if (!model_) throw_error(fn, ": libsvm's svm_train returned no model");

  // sv_coef holds y·α per sub-problem; libsvm clips a bounded α to exactly C.
  const int l = model_->l;
  reaches_bound_ = false;
  for (int c = 0; c + 1 < model_->nr_class && !reaches_bound_; ++c)
    for (int s = 0; s < l; ++s)
      if (std::fabs(model_->sv_coef[c][s]) >= options.C * (1.0 - 1e-12)) {
        reaches_bound_ = true;
        break;
      }

  // A precomputed prediction reads only node 0 (the serial number) of each support vector.
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
