#include "core/analysis/kernel_statistics.hpp"

#include <cmath>
#include <string>

#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::analysis {
namespace {

void check_square(const char* fn, const arma::mat& K) {
  if (K.n_rows == 0 || K.n_rows != K.n_cols)
    throw_error(fn, ": the kernel must be square and non-empty, got ", K.n_rows, " x ", K.n_cols);
  sdk::check_finite(std::string(fn) + " kernel", K);
}

void check_same_size(const char* fn, const arma::mat& A, const arma::mat& B) {
  if (arma::size(A) != arma::size(B) || A.is_empty())
    throw_error(fn, ": kernels are ", A.n_rows, " x ", A.n_cols, " and ", B.n_rows, " x ", B.n_cols,
                "; they must have the same non-empty size");
  sdk::check_finite(std::string(fn) + " first kernel", A);
  sdk::check_finite(std::string(fn) + " second kernel", B);
}

}  // namespace

ClassRatios class_ratios(const arma::mat& K, const arma::vec& labels) {
  const char* fn = "class_ratios()";
  check_square(fn, K);
  const arma::uword n = K.n_rows;
  if (labels.n_elem != n) throw_error(fn, ": ", labels.n_elem, " labels for a ", n, " x ", n, " kernel");
  double same = 0, different = 0;
  double same_count = 0, different_count = 0;
  for (arma::uword j = 0; j < n; ++j)
    for (arma::uword i = 0; i < n; ++i) {
      if (i == j) continue;
      if (labels[i] == labels[j]) {
        same += K(i, j);
        ++same_count;
      } else {
        different += K(i, j);
        ++different_count;
      }
    }
  ClassRatios out;
  const double nan = arma::datum::nan;
  out.diagonal = arma::mean(K.diag());
  out.same_class = same_count > 0 ? same / same_count : nan;
  out.different_class = different_count > 0 ? different / different_count : nan;
  out.same_over_diagonal = out.same_class / out.diagonal;
  out.different_over_diagonal = out.different_class / out.diagonal;
  out.same_over_different = out.same_class / out.different_class;
  return out;
}

double alignment(const arma::mat& K, const arma::mat& Y) {
  const char* fn = "alignment()";
  check_square(fn, K);
  if (Y.n_cols != K.n_rows || Y.n_rows == 0)
    throw_error(fn, ": targets are ", Y.n_rows, " x ", Y.n_cols, "; expected k x ", K.n_rows);
  sdk::check_finite(std::string(fn) + " targets", Y);
  const double k_norm = arma::norm(K, "fro");
  const double y_norm = arma::norm(Y * Y.t(), "fro");
  if (k_norm == 0 || y_norm == 0)
    throw_error(fn, ": alignment is undefined for a zero kernel or zero targets");
  return arma::trace(Y * K * Y.t()) / (k_norm * y_norm);
}

double kernel_distance(const arma::mat& A, const arma::mat& B) {
  check_same_size("kernel_distance()", A, B);
  const double a = arma::norm(A, "fro"), b = arma::norm(B, "fro");
  if (a == 0 || b == 0) throw_error("kernel_distance(): undefined for a zero kernel");
  return 1.0 - arma::accu(A % B) / (a * b);
}

double relative_distance(const arma::mat& A, const arma::mat& B) {
  check_same_size("relative_distance()", A, B);
  const double b = arma::norm(B, "fro");
  if (b == 0) throw_error("relative_distance(): the reference kernel (second) is zero");
  return arma::norm(A - B, "fro") / b;
}

}  // namespace ntk::core::analysis
