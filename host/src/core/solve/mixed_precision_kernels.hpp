// Products of a float32 tile with float64 columns, accumulated in float64: the inner loops of
// the float32 ridge solver's residuals and predictions (float32_kernel.cpp).
//
// Why not dgemm: with k = 10 right-hand sides each kernel entry meets only 10 multiply-adds,
// and dgemm spends its time converting the tile to float64 and packing it (measured at
// n = 6,000, one thread: 14 GFLOP/s for tile conversion + dgemm, 26 GFLOP/s here). These loops
// read the float32 entries where they lie, convert them in registers and keep the sums of up to
// 12 outputs in registers (GCC/Clang vector extensions: 8 doubles a vector, AVX-512 registers
// with -march=native on the reference machine, two AVX2 registers elsewhere). The loops over the
// outputs are unrolled by pragma: without it GCC 12 keeps the sums on the stack (a load and a
// store per multiply-add; 13 instead of 19 GFLOP/s measured on a loaded machine).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>

namespace ntk::core::solve::mixed_precision {

using v8d = double __attribute__((vector_size(64)));
using v8f = float __attribute__((vector_size(32)));

inline v8d load_float8(const float* p) {
  v8f f;
  std::memcpy(&f, p, sizeof f);
  return __builtin_convertvector(f, v8d);
}
inline v8d load_double8(const double* p) {
  v8d d;
  std::memcpy(&d, p, sizeof d);
  return d;
}
inline void add_double8(double* p, v8d v) {
  v8d d;
  std::memcpy(&d, p, sizeof d);
  d += v;
  std::memcpy(p, &d, sizeof d);
}
inline double sum8(v8d v) {
  double s = 0;
  for (int l = 0; l < 8; ++l) s += v[l];
  return s;
}

// C(0:rows, c) += T(0:rows, 0:cols) X(0:cols, c) for c < KC (T float32, column-major, ldt).
// 16 rows at a time: 2·KC float64 vectors of sums, one cache line of T per column.
template <int KC>
void tile_times(int rows, int cols, const float* T, std::size_t ldt, const double* X,
                std::size_t ldx, double* C, std::size_t ldc) {
  int i = 0;
  for (; i + 16 <= rows; i += 16) {
    v8d upper[KC], lower[KC];
    _Pragma("GCC unroll 16") for (int c = 0; c < KC; ++c) upper[c] = lower[c] = v8d{};
    for (int j = 0; j < cols; ++j) {
      const float* column = T + i + static_cast<std::size_t>(j) * ldt;
      const v8d t0 = load_float8(column), t1 = load_float8(column + 8);
      _Pragma("GCC unroll 16") for (int c = 0; c < KC; ++c) {
        const double x = X[j + c * ldx];
        upper[c] += t0 * x;
        lower[c] += t1 * x;
      }
    }
    _Pragma("GCC unroll 16") for (int c = 0; c < KC; ++c) {
      add_double8(C + i + c * ldc, upper[c]);
      add_double8(C + i + 8 + c * ldc, lower[c]);
    }
  }
  for (; i < rows; ++i)
    _Pragma("GCC unroll 16") for (int c = 0; c < KC; ++c) {
      double s = 0;
      for (int j = 0; j < cols; ++j) s += double(T[i + static_cast<std::size_t>(j) * ldt]) * X[j + c * ldx];
      C[i + c * ldc] += s;
    }
}

// C(0:cols, c) += T(0:rows, 0:cols)ᵀ X(0:rows, c) for c < KC: dot products of two columns of T
// at a time with the KC columns of X.
template <int KC>
void tile_transposed_times(int rows, int cols, const float* T, std::size_t ldt, const double* X,
                           std::size_t ldx, double* C, std::size_t ldc) {
  const int body = rows - rows % 8;
  int j = 0;
  for (; j + 2 <= cols; j += 2) {
    const float* c0 = T + static_cast<std::size_t>(j) * ldt;
    const float* c1 = c0 + ldt;
    v8d s0[KC], s1[KC];
    _Pragma("GCC unroll 16") for (int c = 0; c < KC; ++c) s0[c] = s1[c] = v8d{};
    for (int i = 0; i < body; i += 8) {
      const v8d t0 = load_float8(c0 + i), t1 = load_float8(c1 + i);
      _Pragma("GCC unroll 16") for (int c = 0; c < KC; ++c) {
        const v8d x = load_double8(X + i + c * ldx);
        s0[c] += t0 * x;
        s1[c] += t1 * x;
      }
    }
    _Pragma("GCC unroll 16") for (int c = 0; c < KC; ++c) {
      double r0 = sum8(s0[c]), r1 = sum8(s1[c]);
      for (int i = body; i < rows; ++i) {
        r0 += double(c0[i]) * X[i + c * ldx];
        r1 += double(c1[i]) * X[i + c * ldx];
      }
      C[j + c * ldc] += r0;
      C[j + 1 + c * ldc] += r1;
    }
  }
  for (; j < cols; ++j)
    _Pragma("GCC unroll 16") for (int c = 0; c < KC; ++c) {
      double r = 0;
      for (int i = 0; i < rows; ++i) r += double(T[i + static_cast<std::size_t>(j) * ldt]) * X[i + c * ldx];
      C[j + c * ldc] += r;
    }
}

// The two products for any k, 12 outputs at a time.
template <bool Transposed>
void tile_product(int rows, int cols, const float* T, std::size_t ldt, const double* X,
                  std::size_t ldx, double* C, std::size_t ldc, int k) {
  for (int c0 = 0; c0 < k; c0 += 12) {
    const double* x = X + c0 * ldx;
    double* out = C + c0 * ldc;
    switch (std::min(12, k - c0)) {
#define NTK_MIXED_CASE(N)                                                   \
  case N:                                                                   \
    if constexpr (Transposed)                                               \
      tile_transposed_times<N>(rows, cols, T, ldt, x, ldx, out, ldc);       \
    else                                                                    \
      tile_times<N>(rows, cols, T, ldt, x, ldx, out, ldc);                  \
    break;
      NTK_MIXED_CASE(1) NTK_MIXED_CASE(2) NTK_MIXED_CASE(3) NTK_MIXED_CASE(4)
      NTK_MIXED_CASE(5) NTK_MIXED_CASE(6) NTK_MIXED_CASE(7) NTK_MIXED_CASE(8)
      NTK_MIXED_CASE(9) NTK_MIXED_CASE(10) NTK_MIXED_CASE(11) NTK_MIXED_CASE(12)
#undef NTK_MIXED_CASE
    }
  }
}

}  // namespace ntk::core::solve::mixed_precision
