#include "core/train/metrics.hpp"

#include <cmath>
#include <limits>

#include "ntk/sdk/error.hpp"

namespace ntk::core::train {

namespace {
void check_same_shape(const char* where, const arma::mat& f, const arma::mat& y) {
  if (f.n_rows != y.n_rows || f.n_cols != y.n_cols)
    throw_error(where, ": predictions are ", f.n_rows, " x ", f.n_cols, " but targets are ",
                y.n_rows, " x ", y.n_cols);
  if (f.n_cols == 0) throw_error(where, ": no examples (0 columns)");
}

constexpr arma::uword kNoLabel = arma::uword(-1);

// Row of the largest entry of column j (first on ties), or kNoLabel if the column has a NaN.
arma::uword column_argmax(const arma::mat& m, arma::uword j) {
  arma::uword best = 0;
  for (arma::uword i = 0; i < m.n_rows; ++i) {
    if (std::isnan(m(i, j))) return kNoLabel;
    if (m(i, j) > m(best, j)) best = i;
  }
  return best;
}
}  // namespace

double mse(const arma::mat& f, const arma::mat& y) {
  check_same_shape("mse()", f, y);
  return arma::accu(arma::square(f - y)) / double(f.n_cols);
}

double squared_loss(const arma::mat& f, const arma::mat& y) {
  check_same_shape("squared_loss()", f, y);
  return 0.5 * mse(f, y);
}

bool has_accuracy(const arma::mat& y) {
  if (y.n_rows > 1) return true;
  return y.n_elem > 0 && arma::all(arma::abs(arma::vectorise(y)) == 1.0);
}

arma::uvec argmax_labels(const arma::mat& f) {
  if (f.n_rows == 0) throw_error("argmax_labels(): predictions have no rows (0 x ", f.n_cols, ")");
  arma::uvec labels(f.n_cols);
  for (arma::uword j = 0; j < f.n_cols; ++j) {
    labels(j) = column_argmax(f, j);
    if (labels(j) == kNoLabel)
      throw_error("argmax_labels(): column ", j + 1, " of the ", f.n_rows, " x ", f.n_cols,
                  " predictions holds a NaN");
  }
  return labels;
}

double accuracy(const arma::mat& f, const arma::mat& y) {
  check_same_shape("accuracy()", f, y);
  if (!has_accuracy(y)) return std::numeric_limits<double>::quiet_NaN();
  arma::uword right = 0;
  for (arma::uword j = 0; j < y.n_cols; ++j) {
    if (y.n_rows == 1) {
      if (f(0, j) * y(0, j) > 0) ++right;  // false for f = 0 and for NaN
    } else {
      const arma::uword predicted = column_argmax(f, j);
      if (predicted != kNoLabel && predicted == column_argmax(y, j)) ++right;
    }
  }
  return double(right) / double(y.n_cols);
}

double label_accuracy(const arma::mat& f, const arma::uvec& labels) {
  if (labels.n_elem != f.n_cols)
    throw_error("label_accuracy(): ", labels.n_elem, " labels for ", f.n_rows, " x ", f.n_cols,
                " predictions (one label per column)");
  if (f.n_cols == 0) throw_error("label_accuracy(): no examples (0 columns)");
  arma::uword right = 0;
  for (arma::uword j = 0; j < f.n_cols; ++j) {
    if (labels(j) >= f.n_rows)
      throw_error("label_accuracy(): label ", labels(j), " of column ", j + 1,
                  " is out of range for ", f.n_rows, " outputs (0-based rows)");
    if (column_argmax(f, j) == labels(j)) ++right;
  }
  return double(right) / double(f.n_cols);
}

}  // namespace ntk::core::train
