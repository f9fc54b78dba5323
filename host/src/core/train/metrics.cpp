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
  if (f.n_cols == 0) throw_error(where, ": no examples");
}
}  // namespace

double squared_loss(const arma::mat& f, const arma::mat& y) {
  check_same_shape("squared_loss()", f, y);
  return arma::accu(arma::square(f - y)) / (2.0 * double(f.n_cols));
}

bool has_accuracy(const arma::mat& y) {
  if (y.n_rows > 1) return true;
  return y.n_elem > 0 && arma::all(arma::abs(arma::vectorise(y)) == 1.0);
}

double accuracy(const arma::mat& f, const arma::mat& y) {
  check_same_shape("accuracy()", f, y);
  if (!has_accuracy(y)) return std::numeric_limits<double>::quiet_NaN();
  arma::uword right = 0;
  if (y.n_rows == 1) {
    for (arma::uword i = 0; i < y.n_cols; ++i)
      if (f(0, i) * y(0, i) > 0) ++right;
  } else {
    for (arma::uword i = 0; i < y.n_cols; ++i)
      if (f.col(i).index_max() == y.col(i).index_max()) ++right;
  }
  return double(right) / double(y.n_cols);
}

}  // namespace ntk::core::train
