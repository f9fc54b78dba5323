// The C-SVM grid (core/solve/svm_grid.hpp) against one independent KernelSvm fit per
// (kernel, split, C): the same accuracies; cells filled from a smaller C's fit equal refits;
// thread counts do not change anything; bad input is refused naming what is wrong.
#include <catch2/catch.hpp>

#include <armadillo>
#include <vector>

#include "core/solve/svm_grid.hpp"
#include "ntk/sdk/error.hpp"

using namespace ntk::core::solve;

namespace {

// Gaussian clusters in 2-D, one per class; `spread` decides how much they overlap.
struct Data {
  arma::mat K;  // Gaussian kernel exp(−‖x − x'‖² / 2)
  arma::mat linear;
  arma::vec labels;
};

Data make_data(arma::uword classes, arma::uword per_class, double spread, unsigned seed) {
  arma::arma_rng::set_seed(seed);
  const arma::uword n = classes * per_class;
  arma::mat x(2, n);
  Data d;
  d.labels.set_size(n);
  for (arma::uword i = 0; i < n; ++i) {
    const arma::uword c = i % classes;  // interleaved, so any contiguous split sees every class
    const double angle = 2.0 * arma::datum::pi * static_cast<double>(c) / static_cast<double>(classes);
    x.col(i) = 3.0 * arma::vec{std::cos(angle), std::sin(angle)} + spread * arma::randn(2);
    d.labels[i] = static_cast<double>(c);
  }
  d.linear = x.t() * x;
  d.K.set_size(n, n);
  for (arma::uword j = 0; j < n; ++j)
    for (arma::uword i = 0; i < n; ++i)
      d.K(i, j) = std::exp(-0.5 * arma::accu(arma::square(x.col(i) - x.col(j))));
  return d;
}

std::vector<SvmSplit> kfold(arma::uword n, arma::uword k) {
  std::vector<SvmSplit> out;
  for (arma::uword f = 0; f < k; ++f) {
    std::vector<arma::uword> train, test;
    for (arma::uword i = 0; i < n; ++i) (i % k == f ? test : train).push_back(i);
    out.push_back({arma::uvec(train), arma::uvec(test)});
  }
  return out;
}

// The accuracy of one independent fit on copied train / test blocks.
double direct_accuracy(const arma::mat& K, const arma::vec& labels, const SvmSplit& s, double C) {
  SvmOptions o;
  o.C = C;
  const KernelSvm model(K.submat(s.train, s.train), labels.elem(s.train), o);
  const arma::vec predicted = model.predict(K.submat(s.test, s.train));
  return static_cast<double>(arma::accu(predicted == labels.elem(s.test))) /
         static_cast<double>(s.test.n_elem);
}

}  // namespace

TEST_CASE("svm_grid equals one fit per (kernel, split, C)", "[svm_grid]") {
  const std::vector<double> C = {1e3, 0.01, 1, 0.1, 10, 100};  // any order
  for (arma::uword classes : {2u, 3u}) {
    const Data d = make_data(classes, 30, 1.6, 7 + classes);  // overlapping: bounded SVs
    const std::vector<SvmSplit> splits = kfold(d.labels.n_elem, 4);
    const SvmGridResult r = svm_grid({&d.K, &d.linear}, d.labels, splits, C, {}, 2);
    REQUIRE(r.accuracy.size() == 2);
    const std::vector<const arma::mat*> kernels = {&d.K, &d.linear};
    for (std::size_t k = 0; k < 2; ++k) {
      REQUIRE(r.accuracy[k].n_rows == splits.size());
      REQUIRE(r.accuracy[k].n_cols == C.size());
      for (std::size_t s = 0; s < splits.size(); ++s)
        for (std::size_t c = 0; c < C.size(); ++c) {
          INFO("classes " << classes << " kernel " << k << " split " << s << " C " << C[c]);
          CHECK(r.accuracy[k](s, c) == direct_accuracy(*kernels[k], d.labels, splits[s], C[c]));
        }
    }
    CHECK(r.fits + r.fits_saved == 2 * splits.size() * C.size());
  }
}

TEST_CASE("svm_grid: past a fit without bounded coefficients, larger C are not refit", "[svm_grid]") {
  // Well-separated clusters: the hard-margin solution has α well below 1e2, so from there on
  // every C gives the same model.
  const Data d = make_data(2, 25, 0.3, 3);
  const std::vector<SvmSplit> splits = kfold(d.labels.n_elem, 5);
  const std::vector<double> C = {1e-2, 1e-1, 1, 10, 1e2, 1e3, 1e4};
  const SvmGridResult r = svm_grid({&d.linear}, d.labels, splits, C, {}, 1);
  CHECK(r.fits_saved > 0);
  CHECK(r.fits + r.fits_saved == splits.size() * C.size());
  for (std::size_t s = 0; s < splits.size(); ++s)
    for (std::size_t c = 0; c < C.size(); ++c)
      CHECK(r.accuracy[0](s, c) == direct_accuracy(d.linear, d.labels, splits[s], C[c]));

  SvmOptions small, large;
  small.C = 1e-3;
  large.C = 1e4;
  const SvmSplit& s = splits[0];
  CHECK(KernelSvm(d.linear.submat(s.train, s.train), d.labels.elem(s.train), small).reaches_bound());
  CHECK_FALSE(KernelSvm(d.linear.submat(s.train, s.train), d.labels.elem(s.train), large).reaches_bound());
}

TEST_CASE("svm_grid: one thread and several give the same grid", "[svm_grid]") {
  const Data d = make_data(3, 20, 1.2, 11);
  const std::vector<SvmSplit> splits = kfold(d.labels.n_elem, 3);
  const std::vector<double> C = {0.1, 1, 10};
  const SvmGridResult one = svm_grid({&d.K}, d.labels, splits, C, {}, 1);
  const SvmGridResult two = svm_grid({&d.K}, d.labels, splits, C, {}, 2);
  CHECK(arma::approx_equal(one.accuracy[0], two.accuracy[0], "absdiff", 0.0));
  CHECK(one.fits == two.fits);
}

TEST_CASE("svm_grid refuses bad input with a clear message", "[svm_grid]") {
  const Data d = make_data(2, 10, 1.0, 5);
  std::vector<SvmSplit> splits = kfold(d.labels.n_elem, 2);
  using Catch::Contains;
  CHECK_THROWS_WITH(svm_grid({&d.K}, d.labels, splits, {}, {}, 1), Contains("C grid is empty"));
  CHECK_THROWS_WITH(svm_grid({&d.K}, d.labels, splits, {1.0, -1.0}, {}, 1),
                    Contains("C must be finite and > 0, got -1"));
  const arma::mat wrong(5, 5, arma::fill::eye);
  CHECK_THROWS_WITH(svm_grid({&wrong}, d.labels, splits, {1.0}, {}, 1),
                    Contains("kernel 1 is 5 x 5 for 20 labels"));
  splits[1].test(0) = 20;
  CHECK_THROWS_WITH(svm_grid({&d.K}, d.labels, splits, {1.0}, {}, 1),
                    Contains("split 2 has index 21 but there are 20 examples"));
  arma::mat with_nan = d.K;
  with_nan(3, 4) = arma::datum::nan;
  CHECK_THROWS_WITH(svm_grid({&with_nan}, d.labels, kfold(20, 2), {1.0}, {}, 1), Contains("kernel 1"));
  // A fold whose training labels have one class: the error names it (libsvm would need two).
  const arma::vec one_class(20, arma::fill::zeros);
  CHECK_THROWS_WITH(svm_grid({&d.K}, one_class, kfold(20, 2), {1.0}, {}, 1),
                    Contains("single class"));
}
