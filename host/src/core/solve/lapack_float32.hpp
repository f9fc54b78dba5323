// The BLAS/LAPACK routines of the float32 ridge solver (ridge_float32.hpp), Fortran ABI with the
// hidden string lengths last. Declared here because the solver works on the caller's float32
// kernel in place; Armadillo's wrappers would copy it.
#pragma once

#include <cstddef>

extern "C" {
// Cholesky factorisation of a symmetric positive definite matrix, in place (one triangle).
void spotrf_(const char* uplo, const int* n, float* a, const int* lda, int* info, std::size_t);
// Solves A X = B with the factor from spotrf.
void spotrs_(const char* uplo, const int* n, const int* nrhs, const float* a, const int* lda,
             float* b, const int* ldb, int* info, std::size_t);
// Reciprocal condition number (1-norm) estimate from the Cholesky factor, O(n²).
void spocon_(const char* uplo, const int* n, const float* a, const int* lda, const float* anorm,
             float* rcond, float* work, int* iwork, int* info, std::size_t);
// C = alpha op(A) op(B) + beta C.
void dgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k,
            const double* alpha, const double* a, const int* lda, const double* b, const int* ldb,
            const double* beta, double* c, const int* ldc, std::size_t, std::size_t);
// OpenBLAS's own thread count (the project links OpenBLAS directly, see CMakeLists.txt).
void openblas_set_num_threads(int);
int openblas_get_num_threads(void);
}
