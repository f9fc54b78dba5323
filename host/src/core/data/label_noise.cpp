#include "core/data/label_noise.hpp"

#include <algorithm>
#include <cmath>

#include "core/data/labels.hpp"
#include "core/data/random.hpp"
#include "core/data/transforms.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::data {

namespace {

// The class index (position in data.classes) of every example; throws for a data set without
// class labels or encoded targets.
std::vector<arma::uword> class_indices(const Dataset& data, const std::string& who) {
  check_dataset(data, who);
  if (data.labels.n_elem != data.size())
    throw_error(who, ": the data set has no class labels; use filter_classes/encode first");
  encoding_of(data, who);  // throws unless y is ±1 / one-hot for data.classes
  std::vector<arma::uword> index(data.size());
  for (arma::uword j = 0; j < data.size(); ++j) {
    const auto it = std::find(data.classes.begin(), data.classes.end(), data.labels(j));
    if (it == data.classes.end())
      throw_error(who, ": example ", j + 1, " has label ", data.labels(j),
                  ", which is not one of the data set's classes");
    index[j] = static_cast<arma::uword>(it - data.classes.begin());
  }
  return index;
}

Dataset with_noisy_labels(const Dataset& data, const std::vector<arma::uword>& noisy,
                          const std::string& who) {
  Dataset out = data;
  if (out.clean_labels.is_empty()) {
    out.clean_labels = data.labels;
    out.clean_y = data.y;
  }
  for (arma::uword j = 0; j < noisy.size(); ++j) out.labels(j) = data.classes[noisy[j]];
  out.y = encode_labels(out.labels, out.classes, encoding_of(data, who), who);
  return out;
}

}  // namespace

Dataset symmetric_noise(const Dataset& data, double p, std::uint64_t seed) {
  const char* who = "symmetric_noise()";
  if (!(p >= 0.0 && p <= 1.0))
    throw_error(who, ": flip probability p = ", p, " is not in [0, 1]");
  std::vector<arma::uword> label = class_indices(data, who);
  const arma::uword k = data.classes.size();
  Random random(seed);
  for (auto& c : label) {
    // Draw both numbers for every example, so example j's fate does not depend on the others.
    const double u = random.uniform();
    const arma::uword other = random.index(k - 1);
    if (u < p) c = other < c ? other : other + 1;  // uniform over the k-1 classes != c
  }
  return with_noisy_labels(data, label, who);
}

Dataset transition_noise(const Dataset& data, const arma::mat& P, std::uint64_t seed) {
  const char* who = "transition_noise()";
  std::vector<arma::uword> label = class_indices(data, who);
  const arma::uword k = data.classes.size();
  if (P.n_rows != k || P.n_cols != k)
    throw_error(who, ": the transition matrix is ", P.n_rows, " x ", P.n_cols, ", the data set has ",
                k, " classes (expected ", k, " x ", k, ")");
  for (arma::uword i = 0; i < k; ++i) {
    for (arma::uword j = 0; j < k; ++j)
      if (!(P(i, j) >= 0.0 && P(i, j) <= 1.0))
        throw_error(who, ": P(", i + 1, ", ", j + 1, ") = ", P(i, j), " is not a probability");
    const double row_sum = arma::accu(P.row(i));
    if (std::abs(row_sum - 1.0) > 1e-9)
      throw_error(who, ": row ", i + 1, " of the transition matrix sums to ", row_sum,
                  ", not 1 (P(i, j) = probability that class i becomes class j)");
  }
  const arma::mat cumulative = arma::cumsum(P, 1);
  Random random(seed);
  for (auto& c : label) {
    const double u = random.uniform();
    arma::uword j = 0;
    while (j + 1 < k && u >= cumulative(c, j)) ++j;
    // Rows summing to 1 - 1e-10 could let u pass the last non-zero entry: never pick a class
    // of probability zero.
    while (j > 0 && P(c, j) == 0.0) --j;
    c = j;
  }
  return with_noisy_labels(data, label, who);
}

}  // namespace ntk::core::data
