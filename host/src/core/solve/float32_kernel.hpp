// Blocked passes over a float32 kernel for the in-place float32 ridge solver (ridge_float32.hpp).
//
// The solver keeps K in one n × n float32 array: spotrf overwrites the lower triangle and the
// diagonal with the Cholesky factor, the strict upper triangle keeps K, and the diagonal of K is
// saved in a float64 vector. These passes read K from that upper triangle and the saved
// diagonal only, so they work while the factor is in place; none of them forms a second n × n
// matrix. Products with float64 matrices read K a kTile × kTile tile at a time, convert its
// entries in registers and accumulate in float64 (mixed_precision_kernels.hpp), so every
// product is exact in the float32 entries. OpenMP threads share blocks of output rows; each
// block sums its tiles in a fixed order, so results do not depend on the thread count.
#pragma once

#include <armadillo>

namespace ntk::core::solve::float32_kernel {

// Tile edge of the products (a 256 × 256 float32 tile is 256 KB: it stays in a core's L2).
inline constexpr arma::uword kTile = 256;

struct Scan {
  double one_norm = 0;       // ‖K + λI‖₁ of the symmetric matrix read from the upper triangle
  double max_asymmetry = 0;  // max |K(i,j) − K(j,i)| / (|K(i,j)| + |K(j,i)|); 0: bit-exact symmetric
  arma::uword asymmetry_row = 0, asymmetry_col = 0;  // where (0-based), when max_asymmetry > 0
};

// One blocked pass over both triangles: throws ntk::Error naming `fn` and the first non-finite
// entry in column-major order (1-based (i, j)) or, when |K(i,j) − K(j,i)| exceeds
// symmetry_tolerance·(|K(i,j)| + |K(j,i)|), the first such pair; returns the 1-norm of K + λI
// and the largest asymmetry.
Scan scan(const char* fn, const arma::fmat& K, double ridge, double symmetry_tolerance);

// Gives K back after the factorisation: the strict lower triangle from the upper one, the
// diagonal from `diagonal` (float values held exactly in double). Bit-exact for a symmetric K.
void restore(arma::fmat& K, const arma::vec& diagonal);

// R = B − (K + λI) X in float64, K symmetric from its strict upper triangle and `diagonal`
// (the lower triangle is not read). X, B: n × k. R is resized to n × k.
void residual(const arma::fmat& K, const arma::vec& diagonal, double ridge, const arma::mat& X,
              const arma::mat& B, arma::mat& R);

// A X for a float32 A (m × n, all of it) and a float64 X (n × k), in float64: m × k.
arma::mat times(const arma::fmat& A, const arma::mat& X);

// Working memory of residual() / times() besides their arguments and result, in bytes: the
// rows × k float64 product and one float32 tile (for diagonal tiles) per thread.
double workspace_bytes(arma::uword rows, arma::uword k, int threads);

}  // namespace ntk::core::solve::float32_kernel
