#include "core/data/transforms.hpp"

#include <cmath>

#include "core/data/random.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::data {

namespace {

void check_columns(const std::string& who, const char* field, arma::uword cols, arma::uword n,
                   bool present) {
  if (present && cols != n)
    throw_error(who, ": field '", field, "' has ", cols, " columns but x has ", n,
                " examples (columns)");
}

arma::mat take(const arma::mat& m, const arma::uvec& columns) {
  return m.is_empty() ? arma::mat() : arma::mat(m.cols(columns));
}

arma::rowvec take(const arma::rowvec& v, const arma::uvec& columns) {
  return v.is_empty() ? arma::rowvec() : arma::rowvec(v.cols(columns));
}

}  // namespace

void check_dataset(const Dataset& data, const std::string& who) {
  const arma::uword n = data.x.n_cols;
  if (data.x.is_empty()) throw_error(who, ": the data set has no examples (x is empty)");
  check_columns(who, "y", data.y.n_cols, n, !data.y.is_empty());
  check_columns(who, "labels", data.labels.n_cols, n, !data.labels.is_empty());
  check_columns(who, "clean_y", data.clean_y.n_cols, n, !data.clean_y.is_empty());
  check_columns(who, "clean_labels", data.clean_labels.n_cols, n, !data.clean_labels.is_empty());
}

Dataset select(const Dataset& data, const std::vector<arma::uword>& columns) {
  const arma::uvec idx(columns);
  for (arma::uword j : columns)
    if (j >= data.size())
      throw_error("select(): example index ", j + 1, " out of range (the data set has ",
                  data.size(), " examples)");
  Dataset out;
  out.x = take(data.x, idx);
  out.y = take(data.y, idx);
  out.labels = take(data.labels, idx);
  out.clean_y = take(data.clean_y, idx);
  out.clean_labels = take(data.clean_labels, idx);
  out.classes = data.classes;
  out.shape = data.shape;
  return out;
}

std::pair<std::vector<arma::uword>, std::vector<arma::uword>> split_indices(
    arma::uword available, arma::uword n_train, arma::uword n_test, std::uint64_t seed,
    const std::string& who) {
  if (n_train + n_test > available)
    throw_error(who, ": n_train + n_test = ", n_train, " + ", n_test, " = ", n_train + n_test,
                " examples requested, only ", available, " available");
  const std::vector<arma::uword> perm = Random(seed).permutation(available);
  std::vector<arma::uword> train(perm.begin(), perm.begin() + n_train);
  std::vector<arma::uword> test(perm.end() - n_test, perm.end());
  return {std::move(train), std::move(test)};
}

Split split(const Dataset& data, arma::uword n_train, arma::uword n_test, std::uint64_t seed) {
  check_dataset(data, "split()");
  const auto [train, test] = split_indices(data.size(), n_train, n_test, seed, "split()");
  return {select(data, train), select(data, test)};
}

Dataset subsample(const Dataset& data, arma::uword n, std::uint64_t seed) {
  check_dataset(data, "subsample()");
  if (n > data.size())
    throw_error("subsample(): n = ", n, " examples requested, the data set has ", data.size());
  std::vector<arma::uword> perm = Random(seed).permutation(data.size());
  perm.resize(n);
  return select(data, perm);
}

Dataset unit_norm(const Dataset& data) {
  check_dataset(data, "unit_norm()");
  Dataset out = data;
  for (arma::uword j = 0; j < out.x.n_cols; ++j) {
    const double norm = arma::norm(out.x.col(j));
    if (!(norm > 0) || !std::isfinite(norm))
      throw_error("unit_norm(): example ", j + 1, " has norm ", norm,
                  " and cannot be scaled to norm 1");
    out.x.col(j) /= norm;
  }
  return out;
}

Standardizer fit_standardizer(const arma::mat& x) {
  if (x.n_cols == 0) throw_error("standardize(): the training set has no examples");
  Standardizer s;
  s.mean = arma::mean(x, 1);
  s.scale = arma::stddev(x, 1, 1);  // norm_type 1: divide by n
  // Constant features: relative to the feature's magnitude, a spread of rounding size is zero.
  for (arma::uword i = 0; i < s.scale.n_elem; ++i)
    if (!(s.scale(i) > 1e-12 * std::max(1.0, std::abs(s.mean(i))))) s.scale(i) = 1.0;
  return s;
}

arma::mat apply_standardizer(const Standardizer& s, const arma::mat& x) {
  if (x.n_rows != s.mean.n_elem)
    throw_error("standardize(): data have ", x.n_rows, " features, the statistics were fitted on ",
                s.mean.n_elem);
  arma::mat out = x.each_col() - s.mean;
  out.each_col() /= s.scale;
  return out;
}

void standardize(Dataset& train, Dataset& test) {
  check_dataset(train, "standardize()");
  const Standardizer s = fit_standardizer(train.x);
  train.x = apply_standardizer(s, train.x);
  if (!test.x.is_empty()) test.x = apply_standardizer(s, test.x);
}

void standardize(Dataset& train) {
  Dataset none;
  standardize(train, none);
}

void normalize(Split& split, const std::string& method, const std::string& who) {
  if (method == "none") return;
  if (method == "unit") {
    if (split.train.size() > 0) split.train = unit_norm(split.train);
    if (split.test.size() > 0) split.test = unit_norm(split.test);
    return;
  }
  if (method == "standardize") {
    if (split.train.size() == 0)
      throw_error(who, ": normalize = \"standardize\" needs training examples (n_train = 0)");
    standardize(split.train, split.test);
    return;
  }
  throw_error(who, ": unknown normalize = '", method,
              "' (accepted: \"none\", \"unit\", \"standardize\")");
}

}  // namespace ntk::core::data
