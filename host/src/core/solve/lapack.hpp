// The few LAPACK routines the solvers call directly (Fortran ABI, hidden string lengths last).
//
// Armadillo's chol()/solve() copy their argument; kernel_ridge_in_place factorises the caller's
// matrix itself, so it talks to LAPACK without a wrapper (see kernel_ridge.hpp).
#pragma once

#include <cstddef>

extern "C" {
// Cholesky factorisation of a symmetric positive definite matrix (lower or upper triangle).
void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info, std::size_t);
// Solves A X = B with the factor from dpotrf.
void dpotrs_(const char* uplo, const int* n, const int* nrhs, const double* a, const int* lda,
             double* b, const int* ldb, int* info, std::size_t);
// Reciprocal condition number (1-norm) estimate from the Cholesky factor, O(n²).
void dpocon_(const char* uplo, const int* n, const double* a, const int* lda, const double* anorm,
             double* rcond, double* work, int* iwork, int* info, std::size_t);
// 1-norm (and others) of a symmetric matrix, reading one triangle.
double dlansy_(const char* norm, const char* uplo, const int* n, const double* a, const int* lda,
               double* work, std::size_t, std::size_t);
}
