// The BLAS/LAPACK routines of the float32 ridge solver (ridge_float32.hpp), Fortran ABI with the
// hidden string lengths last. Declared here because the solver works on the caller's float32
// kernel in place; Armadillo's wrappers would copy it.
#pragma once

#include <cstddef>

extern "C" {
// Cholesky factorisation of a symmetric positive definite matrix, in place (one triangle).
void spotrf_(const char* uplo, const int* n, float* a, const int* lda, int* info, std::size_t);
// Higham's 1-norm estimator in reverse communication (the core of spocon).
void slacn2_(const int* n, float* v, float* x, int* isgn, float* est, int* kase, int* isave);
// Triangular solve with several right-hand sides, and float32 GEMM.
void strsm_(const char* side, const char* uplo, const char* transa, const char* diag, const int* m,
            const int* n, const float* alpha, const float* a, const int* lda, float* b,
            const int* ldb, std::size_t, std::size_t, std::size_t, std::size_t);
void sgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k,
            const float* alpha, const float* a, const int* lda, const float* b, const int* ldb,
            const float* beta, float* c, const int* ldc, std::size_t, std::size_t);
// C ← αAAᵀ + βC on one triangle of C (the trailing update of the blocked Cholesky driver,
// blocked_cholesky.hpp).
void ssyrk_(const char* uplo, const char* trans, const int* n, const int* k, const float* alpha,
            const float* a, const int* lda, const float* beta, float* c, const int* ldc,
            std::size_t, std::size_t);
}
