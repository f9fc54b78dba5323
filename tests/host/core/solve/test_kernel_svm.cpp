// C-SVM on a precomputed kernel: separable toy sets, and agreement with libsvm's own linear
// kernel on the same data (precomputed XᵀX vs built-in LINEAR).
#include <catch2/catch.hpp>

#include <libsvm/svm.h>

#include <armadillo>
#include <vector>

#include "core/solve/kernel_svm.hpp"
#include "ntk/sdk/error.hpp"

using namespace ntk::core::solve;

namespace {

void quiet(const char*) {}

// Blobs of `per_class` points in 2-D around the given centres; labels 0, 1, 2, ... or ±1.
struct Blobs {
  arma::mat x;  // 2 × n, examples are columns
  arma::vec labels;
};

Blobs make_blobs(const std::vector<arma::vec>& centres, const std::vector<double>& labels,
                 arma::uword per_class, unsigned seed) {
  arma::arma_rng::set_seed(seed);
  Blobs b;
  b.x.set_size(2, centres.size() * per_class);
  b.labels.set_size(b.x.n_cols);
  for (std::size_t c = 0; c < centres.size(); ++c)
    for (arma::uword i = 0; i < per_class; ++i) {
      b.x.col(c * per_class + i) = centres[c] + 0.5 * arma::randn(2);
      b.labels[c * per_class + i] = labels[c];
    }
  return b;
}

// libsvm with its built-in linear kernel on the raw features; returns decision values and labels.
struct Reference {
  arma::mat decision;
  arma::vec predicted;
};

Reference libsvm_linear(const Blobs& train, const arma::mat& test, double C) {
  const arma::uword n = train.x.n_cols;
  std::vector<svm_node> nodes(3 * n);
  std::vector<svm_node*> rows(n);
  std::vector<double> y(train.labels.begin(), train.labels.end());
  for (arma::uword i = 0; i < n; ++i) {
    nodes[3 * i] = {1, train.x(0, i)};
    nodes[3 * i + 1] = {2, train.x(1, i)};
    nodes[3 * i + 2] = {-1, 0.0};
    rows[i] = &nodes[3 * i];
  }
  svm_problem problem{static_cast<int>(n), y.data(), rows.data()};
  svm_parameter param{};
  param.svm_type = C_SVC;
  param.kernel_type = LINEAR;
  param.cache_size = 100;
  param.eps = 1e-3;
  param.C = C;
  param.shrinking = 1;
  svm_set_print_string_function(&quiet);
  svm_model* model = svm_train(&problem, &param);
  const int c = model->nr_class;
  Reference out;
  out.decision.set_size(c * (c - 1) / 2, test.n_cols);
  out.predicted.set_size(test.n_cols);
  for (arma::uword j = 0; j < test.n_cols; ++j) {
    svm_node x[3] = {{1, test(0, j)}, {2, test(1, j)}, {-1, 0.0}};
    out.predicted[j] = svm_predict_values(model, x, out.decision.colptr(j));
  }
  svm_free_and_destroy_model(&model);
  return out;
}

}  // namespace

TEST_CASE("precomputed SVM separates two blobs and matches libsvm's linear kernel", "[solve]") {
  const std::vector<arma::vec> centres = {{3.0, 3.0}, {-3.0, -2.0}};
  const Blobs train = make_blobs(centres, {1, -1}, 30, 21);
  const Blobs test = make_blobs(centres, {1, -1}, 25, 22);
  const arma::mat K = train.x.t() * train.x;
  const arma::mat K_test = test.x.t() * train.x;
  const KernelSvm svm(K, train.labels, SvmOptions{});
  CHECK(arma::all(svm.predict(K) == train.labels));
  CHECK(arma::all(svm.predict(K_test) == test.labels));  // 100 % on separable data
  CHECK(svm.classes().n_elem == 2);
  CHECK(svm.support_indices().n_elem >= 2);
  CHECK(svm.support_indices().max() < train.x.n_cols);

  const Reference reference = libsvm_linear(train, test.x, 1.0);
  const arma::mat decision = svm.decision_values(K_test);
  CHECK(arma::all(svm.predict(K_test) == reference.predicted));
  CHECK(arma::norm(decision - reference.decision, "inf") <
        1e-6 * arma::norm(reference.decision, "inf"));
}

TEST_CASE("precomputed SVM handles several classes (one-vs-one)", "[solve]") {
  const std::vector<arma::vec> centres = {{4.0, 0.0}, {-4.0, 0.0}, {0.0, 5.0}};
  const Blobs train = make_blobs(centres, {0, 1, 2}, 20, 23);
  const Blobs test = make_blobs(centres, {0, 1, 2}, 15, 24);
  // Linear kernel plus a constant (an affine feature map) so each pair is separable.
  const arma::mat K = train.x.t() * train.x + 1.0;
  const arma::mat K_test = test.x.t() * train.x + 1.0;
  SvmOptions options;
  options.C = 10.0;
  const KernelSvm svm(K, train.labels, options);
  CHECK(svm.classes().n_elem == 3);
  CHECK(svm.decision_values(K_test).n_rows == 3);
  CHECK(arma::all(svm.predict(K_test) == test.labels));
}

TEST_CASE("precomputed SVM rejects malformed input", "[solve]") {
  const arma::mat K = arma::eye(4, 4);
  CHECK_THROWS_AS(KernelSvm(K, arma::vec{1, -1, 1}), ntk::Error);
  CHECK_THROWS_WITH(KernelSvm(K, arma::vec{1, -1, 0.5, 1}), Catch::Contains("integer labels"));
  CHECK_THROWS_WITH(KernelSvm(K, arma::vec{1, 1, 1, 1}), Catch::Contains("single class"));
  SvmOptions bad;
  bad.C = 0;
  CHECK_THROWS_AS(KernelSvm(K, arma::vec{1, -1, 1, -1}, bad), ntk::Error);
  const KernelSvm svm(K, arma::vec{1, -1, 1, -1});
  CHECK_THROWS_AS(svm.predict(arma::ones(2, 3)), ntk::Error);
}
