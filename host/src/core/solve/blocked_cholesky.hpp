// Cholesky factorisation A = L Lᵀ of a symmetric positive definite matrix, lower triangle, in
// place — what LAPACK's ?potrf('L') computes, in the same storage — by a right-looking blocked
// driver that can say how far it is (issue 14: spotrf of a 60,000² float32 kernel runs for
// minutes and prints nothing, so a working run looks like a hung one).
//
// For each panel of `panel` columns starting at column j (Golub & Van Loan, "Matrix
// Computations", 4th ed., Algorithm 4.2.4, with the trailing update as one SYRK):
//   A₁₁ = L₁₁ L₁₁ᵀ          ?potrf on the panel's diagonal block
//   L₂₁ = A₂₁ L₁₁⁻ᵀ         ?trsm on the rows below it
//   A₂₂ ← A₂₂ − L₂₁ L₂₁ᵀ    ?syrk on the trailing lower triangle
// After the panel ending at column e, the flops left are those of factorising the trailing
// (n − e)² matrix, so the fraction done is 1 − ((n − e)/n)³ (n³/3 flops in all); within a
// panel's trailing update, the share of its lower triangle already updated.
//
// Only the lower triangle (with the diagonal) is read or written: the strict upper triangle
// keeps what it held, as with ?potrf. The panel width is chosen by measurement against one
// ?potrf call (bench/cholesky_progress_benchmark.cpp, docs/benchmarks.md, "Factorisation
// progress (issue 14)").
#pragma once

#include "ntk/sdk/progress.hpp"

namespace ntk::core::solve {

// Panel width measured as within noise of one spotrf/dpotrf call at n = 12,000-16,000 on two
// threads (docs/benchmarks.md). Wide panels keep almost all flops in one large SYRK per panel.
constexpr int kCholeskyPanel = 2048;
// The trailing update in column slabs of this width (SYRK on the slab's diagonal block, GEMM
// below it), each followed by a progress report: with one SYRK per panel the first report of a
// 60,000² factorisation would come after ~6 TFLOP (20-40 s).
constexpr int kCholeskyUpdateColumns = 8192;

struct CholeskyBlocking {
  int panel = kCholeskyPanel;                   // ≤ 0: kCholeskyPanel
  int update_columns = kCholeskyUpdateColumns;  // ≤ 0: the whole trailing matrix in one SYRK
};

// LAPACK's info convention: 0 on success; j > 0 when the leading minor of order j (1-based,
// global column) is not positive definite — then A(j-1, j-1) holds the non-positive pivot (the
// Schur complement), as ?potrf leaves it, and columns ≥ j are partly updated. `progress` (may be
// null) receives the flop-weighted fraction after each panel and update slab, non-decreasing,
// and exactly 1 at the end of a successful factorisation.
int cholesky_lower_blocked(float* a, int n, int lda, sdk::ProgressSink* progress = nullptr,
                           CholeskyBlocking blocking = {});
int cholesky_lower_blocked(double* a, int n, int lda, sdk::ProgressSink* progress = nullptr,
                           CholeskyBlocking blocking = {});

// The fraction of the n³/3 flops of a Cholesky factorisation done once its first `columns`
// columns are final: 1 − ((n − columns)/n)³.
double cholesky_fraction_done(double columns, double n);

}  // namespace ntk::core::solve
