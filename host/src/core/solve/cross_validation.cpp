#include "core/solve/cross_validation.hpp"

#include <cmath>
#include <map>

#include "core/data/random.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::solve {
namespace {

void check_k(const char* fn, arma::uword n, arma::uword k) {
  if (k < 2 || k > n) throw_error(fn, ": k must be between 2 and n = ", n, ", got ", k);
}

// Splits from a fold assignment (fold[i] in 0..k-1 for every example).
std::vector<Split> splits_from_assignment(const arma::uvec& fold, arma::uword k) {
  std::vector<Split> out(k);
  for (arma::uword j = 0; j < k; ++j) {
    out[j].test = arma::find(fold == j);
    out[j].train = arma::find(fold != j);
  }
  return out;
}

}  // namespace

std::vector<Split> kfold(arma::uword n, arma::uword k, std::uint64_t seed) {
  check_k("kfold()", n, k);
  data::Random random(seed);
  const std::vector<arma::uword> order = random.permutation(n);
  arma::uvec fold(n);
  for (arma::uword position = 0; position < n; ++position) fold[order[position]] = position % k;
  return splits_from_assignment(fold, k);
}

std::vector<Split> stratified_kfold(const arma::vec& labels, arma::uword k, std::uint64_t seed) {
  const arma::uword n = labels.n_elem;
  check_k("stratified_kfold()", n, k);
  std::map<double, std::vector<arma::uword>> by_class;
  for (arma::uword i = 0; i < n; ++i) {
    if (!std::isfinite(labels[i]))
      throw_error("stratified_kfold(): label ", i + 1, " is ", labels[i], "; labels must be finite");
    by_class[labels[i]].push_back(i);
  }
  data::Random random(seed);
  arma::uvec fold(n);
  arma::uword dealt = 0;
  for (const auto& [label, members] : by_class) {
    const std::vector<arma::uword> order = random.permutation(members.size());
    for (arma::uword position : order) fold[members[position]] = dealt++ % k;
  }
  return splits_from_assignment(fold, k);
}

void check_splits(const std::vector<Split>& splits, arma::uword n) {
  if (splits.empty()) throw_error("cross_validate(): no splits given");
  for (std::size_t j = 0; j < splits.size(); ++j) {
    std::vector<char> seen(n, 0);
    const auto mark = [&](const arma::uvec& indices, const char* part, char tag) {
      for (arma::uword i : indices) {
        if (i >= n)
          throw_error("cross_validate(): split ", j + 1, " ", part, " index ", i + 1,
                      " is out of range 1..", n);
        if (seen[i])
          throw_error("cross_validate(): split ", j + 1, " has index ", i + 1,
                      seen[i] == tag ? " twice in its " : " in both train and ", part);
        seen[i] = tag;
      }
    };
    mark(splits[j].train, "train", 1);
    mark(splits[j].test, "test", 2);
    if (splits[j].test.is_empty() || splits[j].train.is_empty())
      throw_error("cross_validate(): split ", j + 1, " has an empty train or test set");
  }
}

std::vector<Split> splits_from_test_folds(const std::vector<arma::uvec>& test_folds, arma::uword n) {
  if (test_folds.size() < 2)
    throw_error("splits_from_test_folds(): need at least 2 folds, got ", test_folds.size());
  arma::uvec owner(n);
  owner.fill(test_folds.size());  // "in no fold"
  for (std::size_t j = 0; j < test_folds.size(); ++j)
    for (arma::uword i : test_folds[j]) {
      if (i >= n)
        throw_error("splits_from_test_folds(): fold ", j + 1, " has index ", i + 1,
                    ", out of range 1..", n);
      if (owner[i] != test_folds.size())
        throw_error("splits_from_test_folds(): index ", i + 1, " is in folds ", owner[i] + 1,
                    " and ", j + 1, "; folds must be disjoint");
      owner[i] = j;
    }
  std::vector<Split> out(test_folds.size());
  for (std::size_t j = 0; j < test_folds.size(); ++j) {
    out[j].test = arma::find(owner == j);
    out[j].train = arma::find(owner != j);
  }
  check_splits(out, n);
  return out;
}

CrossValidation cross_validate(const std::vector<Split>& splits, const FitAndScore& fit_and_score) {
  if (splits.empty()) throw_error("cross_validate(): no splits given");
  CrossValidation out;
  out.scores.set_size(splits.size());
  for (std::size_t j = 0; j < splits.size(); ++j) {
    const double score = fit_and_score(splits[j]);
    if (!std::isfinite(score))
      throw_error("cross_validate(): the score of split ", j + 1, " is ", score,
                  "; fit_and_score must return a finite number");
    out.scores[j] = score;
  }
  out.mean = arma::mean(out.scores);
  out.stddev = splits.size() > 1 ? arma::stddev(out.scores) : 0.0;
  return out;
}

CrossValidation cross_validate(arma::uword n, arma::uword k, std::uint64_t seed,
                               const FitAndScore& fit_and_score) {
  return cross_validate(kfold(n, k, seed), fit_and_score);
}

}  // namespace ntk::core::solve
