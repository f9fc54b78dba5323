// k-fold splits: disjoint, covering, balanced, seeded; explicit folds; the CV driver.
#include <catch2/catch.hpp>

#include <armadillo>
#include <vector>

#include "core/solve/cross_validation.hpp"
#include "core/solve/kernel_ridge.hpp"
#include "ntk/sdk/error.hpp"

using namespace ntk::core::solve;

namespace {

void check_partition(const std::vector<Split>& splits, arma::uword n) {
  arma::uvec count(n, arma::fill::zeros);
  for (const Split& s : splits) {
    // Train and test of one split partition {0..n-1}.
    const arma::uvec both = arma::sort(arma::join_cols(s.train, s.test));
    REQUIRE(both.n_elem == n);
    CHECK(arma::all(both == arma::regspace<arma::uvec>(0, n - 1)));
    for (arma::uword i : s.test) ++count[i];
  }
  CHECK(arma::all(count == 1));  // every example is in exactly one test fold
}

}  // namespace

TEST_CASE("kfold partitions 0..n-1 into balanced, seeded folds", "[solve]") {
  for (arma::uword n : {10u, 23u, 100u})
    for (arma::uword k : {2u, 3u, 5u, 10u}) {
      const std::vector<Split> splits = kfold(n, k, 7);
      REQUIRE(splits.size() == k);
      check_partition(splits, n);
      arma::uvec sizes(k);
      for (arma::uword j = 0; j < k; ++j) sizes[j] = splits[j].test.n_elem;
      CHECK(sizes.max() - sizes.min() <= 1);
    }
  const std::vector<Split> a = kfold(50, 5, 1), b = kfold(50, 5, 1), c = kfold(50, 5, 2);
  bool same_seed_equal = true, other_seed_equal = true;
  for (arma::uword j = 0; j < 5; ++j) {
    same_seed_equal = same_seed_equal && arma::all(a[j].test == b[j].test);
    other_seed_equal = other_seed_equal && arma::approx_equal(a[j].test, c[j].test, "absdiff", 0);
  }
  CHECK(same_seed_equal);
  CHECK_FALSE(other_seed_equal);
  CHECK_THROWS_AS(kfold(5, 1, 0), ntk::Error);
  CHECK_THROWS_AS(kfold(5, 6, 0), ntk::Error);
}

TEST_CASE("stratified kfold balances every class across folds", "[solve]") {
  arma::vec labels(47);
  for (arma::uword i = 0; i < labels.n_elem; ++i) labels[i] = (i * 7) % 3 == 0 ? 2.0 : (i % 2);
  const arma::uword k = 4;
  const std::vector<Split> splits = stratified_kfold(labels, k, 3);
  check_partition(splits, labels.n_elem);
  for (double c : {0.0, 1.0, 2.0}) {
    arma::uvec per_fold(k);
    for (arma::uword j = 0; j < k; ++j)
      per_fold[j] = arma::accu(labels.elem(splits[j].test) == c);
    CHECK(per_fold.max() - per_fold.min() <= 1);
  }
}

TEST_CASE("explicit folds become splits and are validated", "[solve]") {
  const std::vector<arma::uvec> folds = {{0, 3}, {1, 4}, {2}};
  const std::vector<Split> splits = splits_from_test_folds(folds, 6);  // 5 is in no fold
  REQUIRE(splits.size() == 3);
  CHECK(arma::all(splits[0].test == arma::uvec{0, 3}));
  CHECK(arma::all(splits[0].train == arma::uvec{1, 2, 4, 5}));
  CHECK_THROWS_WITH(splits_from_test_folds({{0, 1}, {1, 2}}, 3), Catch::Contains("disjoint"));
  CHECK_THROWS_WITH(splits_from_test_folds({{0, 7}, {1}}, 3), Catch::Contains("out of range"));
  CHECK_THROWS_WITH(check_splits({Split{{0, 1}, {1, 2}}}, 3), Catch::Contains("both train and"));
}

TEST_CASE("cross_validate calls the solver once per split and summarises", "[solve]") {
  // Ridge regression on a linear kernel, scored by test MSE; checked against a manual loop.
  arma::arma_rng::set_seed(5);
  const arma::uword n = 40;
  const arma::mat x = arma::randn(3, n);
  const arma::mat y = arma::vec{1.0, -2.0, 0.5}.t() * x + 0.1 * arma::randn(1, n);
  const arma::mat K = x.t() * x;
  const auto fit_and_score = [&](const Split& s) {
    const RidgeSolution fit = kernel_ridge(K.submat(s.train, s.train), y.cols(s.train), 0.1);
    const arma::mat predicted = predict(K.submat(s.test, s.train), fit.alpha);
    return arma::mean(arma::square(arma::vectorise(predicted - y.cols(s.test))));
  };
  const CrossValidation cv = cross_validate(n, 5, 9, fit_and_score);
  const std::vector<Split> splits = kfold(n, 5, 9);
  arma::vec manual(5);
  for (arma::uword j = 0; j < 5; ++j) manual[j] = fit_and_score(splits[j]);
  CHECK(arma::approx_equal(cv.scores, manual, "absdiff", 0));
  CHECK(cv.mean == Approx(arma::mean(manual)));
  CHECK(cv.stddev == Approx(arma::stddev(manual)));
  CHECK(cv.mean < 0.05);  // the noise is 0.01 in variance: ridge fits the linear target
  CHECK_THROWS_AS(cross_validate(splits, [](const Split&) { return arma::datum::nan; }), ntk::Error);
}
