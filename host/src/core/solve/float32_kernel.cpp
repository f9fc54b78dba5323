#include "core/solve/float32_kernel.hpp"

#include <omp.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#include "core/solve/mixed_precision_kernels.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::solve::float32_kernel {
namespace {

// Block edge of restore()'s transposed copy: a 64 × 64 float block and its transpose stay in L1
// while one is read by columns and the other written by rows.
constexpr arma::uword kBlock = 64;

// splitmix64 (Steele, Lea & Flood, OOPSLA 2014): well-spread weights for the symmetry hashes.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::uint64_t bits(float v) {
  std::uint32_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

// Serial search for the first non-finite entry in column-major order (the error path only).
void throw_first_non_finite(const char* fn, const arma::fmat& K) {
  for (arma::uword j = 0; j < K.n_cols; ++j)
    for (arma::uword i = 0; i < K.n_rows; ++i)
      if (!std::isfinite(K(i, j)))
        throw_error(fn, ": the float32 kernel has a non-finite entry K(", i + 1, ", ", j + 1,
                    ") = ", K(i, j), " (first in column-major order; the solve was not started)");
  throw_error(fn, ": the float32 kernel has a non-finite entry (internal error: not found again)");
}

}  // namespace

Scan scan(const char* fn, const arma::fmat& K, double ridge, double symmetry_tolerance) {
  const arma::uword n = K.n_rows;
  const auto threads = static_cast<arma::uword>(omp_get_max_threads());
  // Symmetry by two exact hashes read column by column (no transposed access): the pair p > q
  // weighs K(p, q) and K(q, p) by the same odd number A_p·C_q; integer sums modulo 2^64 do not
  // depend on the order, and a single differing pair always changes the sum (an odd weight
  // times a non-zero difference of bit patterns is not 0 modulo 2^64).
  std::vector<std::uint64_t> row_weight(n), column_weight(n);
  for (arma::uword i = 0; i < n; ++i) {
    row_weight[i] = mix(2 * i) | 1u;
    column_weight[i] = mix(2 * i + 1) | 1u;
  }
  arma::mat column_sums(n, threads, arma::fill::zeros);
  std::vector<std::uint64_t> lower_hash(threads, 0), upper_hash(threads, 0);
  bool non_finite = false;
#pragma omp parallel reduction(|| : non_finite)
  {
    const auto t = static_cast<arma::uword>(omp_get_thread_num());
    double* sums = column_sums.colptr(t);
    std::uint64_t lower = 0, upper = 0;
    int bad = 0;  // flags, not early exits, keep the loops vectorised
#pragma omp for schedule(dynamic, 16)
    for (arma::uword j = 0; j < n; ++j) {
      const float* column = K.colptr(j);
      // Above the diagonal: the pair (j, i), |K(i, j)| counts in columns j and i (symmetric K).
      // (omp simd lets the sums be reordered: the 1-norm is an estimate's input.)
      double above = 0;
      std::uint64_t upper_j = 0;
#pragma omp simd reduction(+ : above, upper_j) reduction(| : bad)
      for (arma::uword i = 0; i < j; ++i) {
        const float v = column[i];
        bad |= !(std::abs(v) <= FLT_MAX);
        const double magnitude = std::abs(static_cast<double>(v));
        above += magnitude;
        sums[i] += magnitude;
        upper_j += column_weight[i] * bits(v);
      }
      std::uint64_t lower_j = 0;
#pragma omp simd reduction(+ : lower_j) reduction(| : bad)
      for (arma::uword i = j + 1; i < n; ++i) {
        const float v = column[i];
        bad |= !(std::abs(v) <= FLT_MAX);
        lower_j += row_weight[i] * bits(v);
      }
      bad |= !(std::abs(column[j]) <= FLT_MAX);
      sums[j] += above + std::abs(static_cast<double>(column[j]) + ridge);
      upper += row_weight[j] * upper_j;
      lower += column_weight[j] * lower_j;
    }
    lower_hash[t] = lower;
    upper_hash[t] = upper;
    non_finite = non_finite || bad != 0;
  }
  if (non_finite) throw_first_non_finite(fn, K);

  Scan out;
  out.one_norm = arma::sum(column_sums, 1).max();
  std::uint64_t lower = 0, upper = 0;
  for (arma::uword t = 0; t < threads; ++t) {
    lower += lower_hash[t];
    upper += upper_hash[t];
  }
  if (lower != upper) {  // rare (a kernel computed on one triangle is exactly symmetric): serial
    for (arma::uword j = 0; j < n; ++j)
      for (arma::uword i = j + 1; i < n; ++i) {
        if (bits(K(i, j)) == bits(K(j, i))) continue;
        const double below = K(i, j), above = K(j, i);
        const double ratio = below == above ? 0.0  // +0 and -0
                                            : std::abs(below - above) / (std::abs(below) + std::abs(above));
        if (out.max_asymmetry == 0 && ratio == 0) {  // where, if only signs of zeros differ
          out.asymmetry_row = i;
          out.asymmetry_col = j;
        }
        if (ratio > symmetry_tolerance)
          throw_error(fn, ": the kernel is not symmetric: K(", i + 1, ", ", j + 1, ") = ", below,
                      " but K(", j + 1, ", ", i + 1, ") = ", above, " (relative difference ",
                      ratio, " > ", symmetry_tolerance, ")");
        if (ratio > out.max_asymmetry) {
          out.max_asymmetry = ratio;
          out.asymmetry_row = i;
          out.asymmetry_col = j;
        }
      }
    // Different bit patterns of equal values (+0 and -0) change the hashes only.
    if (out.max_asymmetry == 0) out.max_asymmetry = std::numeric_limits<double>::min();
  }
  return out;
}

void restore(arma::fmat& K, const arma::vec& diagonal) {
  const arma::uword n = K.n_rows;
#pragma omp parallel for schedule(dynamic)
  for (arma::uword jb = 0; jb < n; jb += kBlock) {
    const arma::uword je = std::min(n, jb + kBlock);
    for (arma::uword ib = jb; ib < n; ib += kBlock) {
      const arma::uword ie = std::min(n, ib + kBlock);
      for (arma::uword j = jb; j < je; ++j)
        for (arma::uword i = std::max(ib, j + 1); i < ie; ++i) K(i, j) = K(j, i);
    }
  }
  for (arma::uword j = 0; j < n; ++j) K(j, j) = static_cast<float>(diagonal[j]);
}

void residual(const arma::fmat& K, const arma::vec& diagonal, double ridge, const arma::mat& X,
              const arma::mat& B, arma::mat& R) {
  const arma::uword n = K.n_rows, k = X.n_cols;
  const int ki = static_cast<int>(k);
  const auto tiles = static_cast<std::ptrdiff_t>((n + kTile - 1) / kTile);
  // λX apart from K's tiles: K(j,j) + λ would round in float64 for every entry of a column.
  arma::mat product(n, k, arma::fill::zeros);
  // Each thread owns a block of output rows and adds its tiles in a fixed order, so the result
  // does not depend on the number of threads or their schedule.
#pragma omp parallel
  {
    std::vector<float> diagonal_tile(kTile * kTile);
#pragma omp for schedule(dynamic, 1)
    for (std::ptrdiff_t I = 0; I < tiles; ++I) {
      const arma::uword ib = static_cast<arma::uword>(I) * kTile, ie = std::min(n, ib + kTile);
      const int mi = static_cast<int>(ie - ib);
      double* out = product.colptr(0) + ib;
      for (arma::uword jb = 0; jb < n; jb += kTile) {
        const arma::uword je = std::min(n, jb + kTile);
        const int mj = static_cast<int>(je - jb);
        const double* x = X.colptr(0) + jb;
        if (jb > ib) {  // K(I, J) is stored above the diagonal
          mixed_precision::tile_product<false>(mi, mj, K.colptr(jb) + ib, n, x, n, out, n, ki);
        } else if (jb < ib) {  // K(I, J) = K(J, I)ᵀ, and K(J, I) is stored
          mixed_precision::tile_product<true>(mj, mi, K.colptr(ib) + jb, n, x, n, out, n, ki);
        } else {
          // The diagonal tile: its lower part holds the factor; mirror the upper part, and the
          // saved diagonal (float values, held exactly in float64).
          for (int j = 0; j < mj; ++j) {
            for (int i = 0; i < j; ++i) {
              const float v = K(ib + static_cast<arma::uword>(i), jb + static_cast<arma::uword>(j));
              diagonal_tile[static_cast<std::size_t>(i + j * mi)] = v;
              diagonal_tile[static_cast<std::size_t>(j + i * mi)] = v;
            }
            diagonal_tile[static_cast<std::size_t>(j + j * mi)] =
                static_cast<float>(diagonal[jb + static_cast<arma::uword>(j)]);
          }
          mixed_precision::tile_product<false>(mi, mj, diagonal_tile.data(), mi, x, n, out, n, ki);
        }
      }
    }
  }
  R = B - ridge * X - product;
}

arma::mat times(const arma::fmat& A, const arma::mat& X) {
  if (A.n_cols != X.n_rows)
    throw_error("float32_kernel::times(): A is ", A.n_rows, " x ", A.n_cols, " but X is ",
                X.n_rows, " x ", X.n_cols);
  const arma::uword m = A.n_rows, n = A.n_cols, k = X.n_cols;
  arma::mat out(m, k, arma::fill::zeros);
  if (m == 0 || n == 0 || k == 0) return out;
  const int ki = static_cast<int>(k);
  const auto row_tiles = static_cast<std::ptrdiff_t>((m + kTile - 1) / kTile);
  // As in residual(): a thread owns a block of rows and sums its tiles in a fixed order (m test
  // points make m / 256 blocks to share).
#pragma omp parallel for schedule(dynamic, 1)
  for (std::ptrdiff_t I = 0; I < row_tiles; ++I) {
    const arma::uword ib = static_cast<arma::uword>(I) * kTile, ie = std::min(m, ib + kTile);
    for (arma::uword jb = 0; jb < n; jb += kTile) {
      const arma::uword je = std::min(n, jb + kTile);
      mixed_precision::tile_product<false>(static_cast<int>(ie - ib), static_cast<int>(je - jb),
                                           A.colptr(jb) + ib, m, X.colptr(0) + jb, n,
                                           out.colptr(0) + ib, m, ki);
    }
  }
  return out;
}

double workspace_bytes(arma::uword rows, arma::uword k, int threads) {
  return static_cast<double>(rows) * static_cast<double>(k) * sizeof(double) +
         static_cast<double>(threads) * double(kTile * kTile) * sizeof(float);
}

}  // namespace ntk::core::solve::float32_kernel
