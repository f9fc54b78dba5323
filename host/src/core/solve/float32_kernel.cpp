#include "core/solve/float32_kernel.hpp"

#include <omp.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <utility>
#include <vector>

#include "core/solve/lapack_float32.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::solve::float32_kernel {
namespace {

// Block edge of the element-wise passes (scan, restore): a 64 × 64 float block and its
// transpose stay in L1 while one is read by columns and the other by rows.
constexpr arma::uword kBlock = 64;

// OpenMP threads share the tiles; a multi-threaded dgemm inside each would oversubscribe the
// cores (OpenBLAS here is the pthreads build, which does not see OpenMP's parallel region).
class SingleThreadedBlas {
 public:
  SingleThreadedBlas() : previous_(openblas_get_num_threads()) {
    if (previous_ > 1) openblas_set_num_threads(1);
  }
  ~SingleThreadedBlas() {
    if (previous_ > 1) openblas_set_num_threads(previous_);
  }
  SingleThreadedBlas(const SingleThreadedBlas&) = delete;
  SingleThreadedBlas& operator=(const SingleThreadedBlas&) = delete;

 private:
  int previous_;
};

// C(m × k, ldc) += op(A)(m × inner) B(inner × k, ldb), A column-major with leading dimension lda.
void gemm_add(char trans_a, int m, int k, int inner, const double* a, int lda, const double* b,
              int ldb, double* c, int ldc) {
  const char no = 'N';
  const double one = 1.0;
  dgemm_(&trans_a, &no, &m, &k, &inner, &one, a, &lda, b, &ldb, &one, c, &ldc, 1, 1);
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
  const arma::uword blocks = (n + kBlock - 1) / kBlock;
  const auto threads = static_cast<arma::uword>(omp_get_max_threads());
  arma::mat column_sums(n, threads, arma::fill::zeros);
  bool non_finite = false, asymmetric = false;
#pragma omp parallel for schedule(dynamic) reduction(|| : non_finite, asymmetric)
  for (arma::uword b = 0; b < blocks; ++b) {
    double* sums = column_sums.colptr(static_cast<arma::uword>(omp_get_thread_num()));
    const arma::uword jb = b * kBlock, je = std::min(n, jb + kBlock);
    // Flags without early exits keep the inner loops vectorised; the error path searches again.
    bool bad = false, differ = false;
    for (arma::uword ib = jb; ib < n; ib += kBlock) {
      const arma::uword ie = std::min(n, ib + kBlock);
      for (arma::uword j = jb; j < je; ++j) {
        double column = 0;
        for (arma::uword i = std::max(ib, j + 1); i < ie; ++i) {
          const float lower = K(i, j), upper = K(j, i);
          bad |= !(std::abs(lower) <= FLT_MAX) | !(std::abs(upper) <= FLT_MAX);
          differ |= lower != upper;
          const double magnitude = std::abs(static_cast<double>(upper));
          column += magnitude;
          sums[i] += magnitude;
        }
        sums[j] += column;
      }
    }
    for (arma::uword j = jb; j < je; ++j) {
      bad |= !(std::abs(K(j, j)) <= FLT_MAX);
      sums[j] += std::abs(static_cast<double>(K(j, j)) + ridge);
    }
    non_finite = non_finite || bad;
    asymmetric = asymmetric || differ;
  }
  if (non_finite) throw_first_non_finite(fn, K);

  Scan out;
  out.one_norm = arma::sum(column_sums, 1).max();
  if (asymmetric) {  // rare (a kernel computed on one triangle is exactly symmetric): serial
    for (arma::uword j = 0; j < n; ++j)
      for (arma::uword i = j + 1; i < n; ++i) {
        const double lower = K(i, j), upper = K(j, i);
        const double ratio = std::abs(lower - upper) / (std::abs(lower) + std::abs(upper));
        if (ratio > symmetry_tolerance)
          throw_error(fn, ": the kernel is not symmetric: K(", i + 1, ", ", j + 1, ") = ", lower,
                      " but K(", j + 1, ", ", i + 1, ") = ", upper, " (relative difference ",
                      ratio, " > ", symmetry_tolerance, ")");
        if (ratio > out.max_asymmetry) {
          out.max_asymmetry = ratio;
          out.asymmetry_row = i;
          out.asymmetry_col = j;
        }
      }
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
  const int ni = static_cast<int>(n), ki = static_cast<int>(k);
  const arma::uword tiles_per_side = (n + kTile - 1) / kTile;
  std::vector<std::pair<arma::uword, arma::uword>> tiles;  // (row tile, column tile), row <= column
  tiles.reserve(tiles_per_side * (tiles_per_side + 1) / 2);
  for (arma::uword J = 0; J < tiles_per_side; ++J)
    for (arma::uword I = 0; I <= J; ++I) tiles.emplace_back(I, J);
  const auto threads = static_cast<arma::uword>(omp_get_max_threads());
  arma::mat sums(n * k, threads, arma::fill::zeros);  // per thread, an n × k accumulator

  SingleThreadedBlas single;
#pragma omp parallel
  {
    std::vector<double> tile(kTile * kTile);
    double* acc = sums.colptr(static_cast<arma::uword>(omp_get_thread_num()));
#pragma omp for schedule(dynamic, 2)
    for (std::size_t t = 0; t < tiles.size(); ++t) {
      const arma::uword ib = tiles[t].first * kTile, jb = tiles[t].second * kTile;
      const arma::uword ie = std::min(n, ib + kTile), je = std::min(n, jb + kTile);
      const int mi = static_cast<int>(ie - ib), mj = static_cast<int>(je - jb);
      if (ib != jb) {
        // Strictly above the diagonal: K(I, J) is stored; K(J, I) = K(I, J)ᵀ is used from it.
        for (arma::uword j = jb; j < je; ++j) {
          const float* source = K.colptr(j) + ib;
          double* target = tile.data() + (j - jb) * static_cast<arma::uword>(mi);
          for (int i = 0; i < mi; ++i) target[i] = source[i];
        }
        gemm_add('N', mi, ki, mj, tile.data(), mi, X.memptr() + jb, ni, acc + ib, ni);
        gemm_add('T', mj, ki, mi, tile.data(), mi, X.memptr() + ib, ni, acc + jb, ni);
      } else {
        // A diagonal tile: its lower part holds the factor; mirror the upper part, diagonal saved.
        for (int j = 0; j < mj; ++j) {
          for (int i = 0; i < j; ++i) {
            const double v = K(ib + static_cast<arma::uword>(i), jb + static_cast<arma::uword>(j));
            tile[static_cast<std::size_t>(i + j * mi)] = v;
            tile[static_cast<std::size_t>(j + i * mi)] = v;
          }
          tile[static_cast<std::size_t>(j + j * mi)] = diagonal[jb + static_cast<arma::uword>(j)];
        }
        gemm_add('N', mi, ki, mi, tile.data(), mi, X.memptr() + ib, ni, acc + ib, ni);
      }
    }
  }
  // λX apart from K's tiles: K(j,j) + λ would round in float64 for every entry of a column.
  R = B - ridge * X;
  for (arma::uword t = 0; t < threads; ++t)
    R -= arma::mat(sums.colptr(t), n, k, false, true);
}

arma::mat times(const arma::fmat& A, const arma::mat& X) {
  if (A.n_cols != X.n_rows)
    throw_error("float32_kernel::times(): A is ", A.n_rows, " x ", A.n_cols, " but X is ",
                X.n_rows, " x ", X.n_cols);
  const arma::uword m = A.n_rows, n = A.n_cols, k = X.n_cols;
  if (m == 0 || n == 0 || k == 0) return arma::mat(m, k, arma::fill::zeros);
  const int mi_all = static_cast<int>(m), ni = static_cast<int>(n), ki = static_cast<int>(k);
  const arma::uword row_tiles = (m + kTile - 1) / kTile, column_tiles = (n + kTile - 1) / kTile;
  const auto threads = static_cast<arma::uword>(omp_get_max_threads());
  arma::mat sums(m * k, threads, arma::fill::zeros);

  SingleThreadedBlas single;
#pragma omp parallel
  {
    std::vector<double> tile(kTile * kTile);
    double* acc = sums.colptr(static_cast<arma::uword>(omp_get_thread_num()));
#pragma omp for schedule(dynamic, 2)
    for (arma::uword t = 0; t < row_tiles * column_tiles; ++t) {
      const arma::uword ib = (t % row_tiles) * kTile, jb = (t / row_tiles) * kTile;
      const arma::uword ie = std::min(m, ib + kTile), je = std::min(n, jb + kTile);
      const int mi = static_cast<int>(ie - ib), mj = static_cast<int>(je - jb);
      for (arma::uword j = jb; j < je; ++j) {
        const float* source = A.colptr(j) + ib;
        double* target = tile.data() + (j - jb) * static_cast<arma::uword>(mi);
        for (int i = 0; i < mi; ++i) target[i] = source[i];
      }
      gemm_add('N', mi, ki, mj, tile.data(), mi, X.memptr() + jb, ni, acc + ib, mi_all);
    }
  }
  arma::mat out(m, k, arma::fill::zeros);
  for (arma::uword t = 0; t < threads; ++t) out += arma::mat(sums.colptr(t), m, k, false, true);
  return out;
}

double workspace_bytes(arma::uword rows, arma::uword k, int threads) {
  return static_cast<double>(threads) *
         (static_cast<double>(rows) * static_cast<double>(k) + double(kTile * kTile)) *
         sizeof(double);
}

}  // namespace ntk::core::solve::float32_kernel
