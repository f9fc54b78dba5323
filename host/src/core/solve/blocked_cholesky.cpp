#include "core/solve/blocked_cholesky.hpp"

#include <algorithm>
#include <cstddef>

#include "core/solve/lapack.hpp"
#include "core/solve/lapack_float32.hpp"

// The double-precision level-3 BLAS the driver needs (lapack.hpp declares only what the float64
// ridge solver calls itself). Fortran ABI, hidden string lengths last.
extern "C" {
void dtrsm_(const char* side, const char* uplo, const char* transa, const char* diag, const int* m,
            const int* n, const double* alpha, const double* a, const int* lda, double* b,
            const int* ldb, std::size_t, std::size_t, std::size_t, std::size_t);
void dsyrk_(const char* uplo, const char* trans, const int* n, const int* k, const double* alpha,
            const double* a, const int* lda, const double* beta, double* c, const int* ldc,
            std::size_t, std::size_t);
void dgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k,
            const double* alpha, const double* a, const int* lda, const double* b, const int* ldb,
            const double* beta, double* c, const int* ldc, std::size_t, std::size_t);
}

namespace ntk::core::solve {
namespace {

// The three routines of one precision, so that one driver serves float and double.
void potrf(const int* n, float* a, const int* lda, int* info) { spotrf_("L", n, a, lda, info, 1); }
void potrf(const int* n, double* a, const int* lda, int* info) { dpotrf_("L", n, a, lda, info, 1); }

// B ← B L⁻ᵀ for the m × n block B below the diagonal block L.
void trsm(const int* m, const int* n, const float* L, const int* lda, float* B) {
  const float one = 1;
  strsm_("R", "L", "T", "N", m, n, &one, L, lda, B, lda, 1, 1, 1, 1);
}
void trsm(const int* m, const int* n, const double* L, const int* lda, double* B) {
  const double one = 1;
  dtrsm_("R", "L", "T", "N", m, n, &one, L, lda, B, lda, 1, 1, 1, 1);
}

// C ← C − A Aᵀ on C's lower triangle (C: n × n, A: n × k).
void syrk(const int* n, const int* k, const float* A, const int* lda, float* C) {
  const float minus_one = -1, one = 1;
  ssyrk_("L", "N", n, k, &minus_one, A, lda, &one, C, lda, 1, 1);
}
void syrk(const int* n, const int* k, const double* A, const int* lda, double* C) {
  const double minus_one = -1, one = 1;
  dsyrk_("L", "N", n, k, &minus_one, A, lda, &one, C, lda, 1, 1);
}

// General matrix product C ← C − A Bᵀ (C: m × n, A: m × k, B: n × k).
void gemm_nt(const int* m, const int* n, const int* k, const float* A, const float* B,
             const int* lda, float* C) {
  const float minus_one = -1, one = 1;
  sgemm_("N", "T", m, n, k, &minus_one, A, lda, B, lda, &one, C, lda, 1, 1);
}
void gemm_nt(const int* m, const int* n, const int* k, const double* A, const double* B,
             const int* lda, double* C) {
  const double minus_one = -1, one = 1;
  dgemm_("N", "T", m, n, k, &minus_one, A, lda, B, lda, &one, C, lda, 1, 1);
}

template <typename T>
int factorise(T* a, int n, int lda, sdk::ProgressSink* progress, CholeskyBlocking blocking) {
  const int panel = blocking.panel > 0 ? blocking.panel : kCholeskyPanel;
  const auto at = [a, lda](int i, int j) {
    return a + static_cast<std::size_t>(i) + static_cast<std::size_t>(j) * lda;
  };
  for (int j = 0; j < n; j += panel) {
    const int width = std::min(panel, n - j), below = n - j - width;
    int info = 0;
    potrf(&width, at(j, j), &lda, &info);
    // The panel's info counts from its first column; the caller needs the matrix's column.
    if (info != 0) return info > 0 ? j + info : info;
    const double before = cholesky_fraction_done(j, n), after = cholesky_fraction_done(j + width, n);
    if (below > 0) {
      T* panel_below = at(j + width, j);
      trsm(&below, &width, at(j, j), &lda, panel_below);
      // The trailing update A₂₂ ← A₂₂ − L₂₁L₂₁ᵀ, in column slabs when asked: SYRK on a slab's
      // diagonal block and GEMM below it, with progress after each slab (its share of the
      // update is the share of the lower triangle's area it completes).
      const int slab = blocking.update_columns > 0 ? blocking.update_columns : below;
      for (int s = 0; s < below; s += slab) {
        const int cols = std::min(slab, below - s), rows = below - s - cols;
        syrk(&cols, &width, panel_below + s, &lda, at(j + width + s, j + width + s));
        if (rows > 0)
          gemm_nt(&rows, &cols, &width, panel_below + s + cols, panel_below + s, &lda,
                  at(j + width + s + cols, j + width + s));
        if (progress != nullptr && s + cols < below) {
          const double left = static_cast<double>(below - s - cols) / below;
          progress->progress(before + (after - before) * (1 - left * left));
        }
      }
    }
    if (progress != nullptr) progress->progress(after);
  }
  return 0;
}

}  // namespace

int cholesky_lower_blocked(float* a, int n, int lda, sdk::ProgressSink* progress,
                           CholeskyBlocking blocking) {
  return factorise(a, n, lda, progress, blocking);
}

int cholesky_lower_blocked(double* a, int n, int lda, sdk::ProgressSink* progress,
                           CholeskyBlocking blocking) {
  return factorise(a, n, lda, progress, blocking);
}

double cholesky_fraction_done(double columns, double n) {
  if (n <= 0) return 1;
  const double left = std::clamp((n - columns) / n, 0.0, 1.0);
  return 1 - left * left * left;
}

}  // namespace ntk::core::solve
