// BLAS calls of the finite layers' workspace forms (layer.hpp, forward_into/backward_into):
// C = α·op(A)·op(B) + β·C written into C's memory, transposes passed to dgemm as flags, so
// that neither a product nor a transpose is materialised as an Armadillo temporary.
#pragma once

#include <cblas.h>

#include <armadillo>
#include <climits>

#include "ntk/sdk/error.hpp"

namespace ntk::sdk::finite {

// Column-major: op(A) is m × k, op(B) is k × n, C is m × n; ld* are the leading dimensions.
inline void gemm(bool transpose_a, bool transpose_b, arma::uword m, arma::uword n, arma::uword k,
                 double alpha, const double* a, arma::uword lda, const double* b, arma::uword ldb,
                 double beta, double* c, arma::uword ldc) {
  if (m == 0 || n == 0) return;
  if (m > INT_MAX || n > INT_MAX || k > INT_MAX || lda > INT_MAX || ldb > INT_MAX || ldc > INT_MAX)
    throw_error("finite network: a product of ", m, " x ", k, " by ", k, " x ", n,
                " exceeds the BLAS index range (2^31 - 1); use fewer examples per call");
  if (k == 0) {  // op(A)·op(B) = 0
    for (arma::uword j = 0; j < n; ++j)
      for (arma::uword i = 0; i < m; ++i) c[j * ldc + i] = beta == 0 ? 0.0 : beta * c[j * ldc + i];
    return;
  }
  cblas_dgemm(CblasColMajor, transpose_a ? CblasTrans : CblasNoTrans,
              transpose_b ? CblasTrans : CblasNoTrans, int(m), int(n), int(k), alpha, a, int(lda),
              b, int(ldb), beta, c, int(ldc));
}

// The whole-matrix form: C = α·op(A)·op(B) + β·C, C already m × n.
inline void gemm(double alpha, const arma::mat& a, bool transpose_a, const arma::mat& b,
                 bool transpose_b, double beta, arma::mat& c) {
  const arma::uword m = transpose_a ? a.n_cols : a.n_rows, k = transpose_a ? a.n_rows : a.n_cols;
  const arma::uword n = transpose_b ? b.n_rows : b.n_cols;
  gemm(transpose_a, transpose_b, m, n, k, alpha, a.memptr(), a.n_rows, b.memptr(), b.n_rows, beta,
       c.memptr(), c.n_rows);
}

// An empty matrix whose address callers may keep (backward_into without need_input).
inline const arma::mat& no_signal() {
  static const arma::mat empty;
  return empty;
}

}  // namespace ntk::sdk::finite
