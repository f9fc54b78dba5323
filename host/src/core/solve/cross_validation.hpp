// k-fold cross-validation that works with any solver: seeded fold assignment (plain or
// stratified by class), explicit folds (index lists read from a data set's fold files), and a
// driver that calls a fit-and-score function once per split.
//
// Indices are 0-based here; the Lua binding converts to and from 1-based lists.
#pragma once

#include <armadillo>
#include <cstdint>
#include <functional>
#include <vector>

namespace ntk::core::solve {

struct Split {
  arma::uvec train;  // sorted ascending
  arma::uvec test;   // sorted ascending
};

// k folds of {0..n-1} from a seeded random permutation; fold sizes differ by at most one.
// Fold j's test set is fold j, its train set the other k − 1 folds. Requires 2 ≤ k ≤ n.
std::vector<Split> kfold(arma::uword n, arma::uword k, std::uint64_t seed);

// As kfold, but each class (distinct label value) is spread over the folds as evenly as
// possible: the examples of each class, in seeded random order, are dealt round-robin, the
// deal continuing from class to class.
std::vector<Split> stratified_kfold(const arma::vec& labels, arma::uword k, std::uint64_t seed);

// Splits from explicit test folds: fold j is the test set, the rest of {0..n-1} the train set.
// Checks every index is < n and the folds are disjoint (they need not cover all n).
std::vector<Split> splits_from_test_folds(const std::vector<arma::uvec>& test_folds, arma::uword n);

// Checks explicit train/test pairs: indices < n, train and test disjoint, no repeats.
void check_splits(const std::vector<Split>& splits, arma::uword n);

struct CrossValidation {
  arma::vec scores;    // one per split
  double mean = 0;
  double stddev = 0;   // sample standard deviation (n − 1); 0 for one split
};

using FitAndScore = std::function<double(const Split&)>;

CrossValidation cross_validate(const std::vector<Split>& splits, const FitAndScore& fit_and_score);
CrossValidation cross_validate(arma::uword n, arma::uword k, std::uint64_t seed,
                               const FitAndScore& fit_and_score);

}  // namespace ntk::core::solve
