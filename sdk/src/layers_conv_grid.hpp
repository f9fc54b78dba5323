// The padded pixel grid the convolutional kernel rules work on (layers_conv_engine.cpp):
// H × W pixels with a margin of `margin` pixels on each side, each pixel holding `Lanes`
// values (the example pairs of a tile, or 1). Row h, column w (both may be negative down to
// −margin) start at ((h + margin)·(W + 2·margin) + w + margin)·Lanes.
//
// box() is the convolution's q × q sum over a rectangle of valid pixels, separable: a pass
// along rows into `tmp`, then along columns. With SAME padding the caller keeps every value
// outside the rectangle zero (the padded pixels); with CIRCULAR padding box() first copies the
// wrapped pixels into the margins.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace ntk::sdk::layers::detail {

struct Rect {
  long long h0 = 0, h1 = 0, w0 = 0, w1 = 0;  // rows [h0, h1), columns [w0, w1)
  bool empty() const { return h1 <= h0 || w1 <= w0; }
};

template <class T, std::size_t Lanes>
struct Grid {
  long long height = 0, width = 0, margin = 0, row_stride = 0;

  Grid(long long h, long long w, long long m)
      : height(h), width(w), margin(m), row_stride((w + 2 * m) * static_cast<long long>(Lanes)) {}
  std::size_t size() const { return std::size_t((height + 2 * margin) * row_stride); }
  std::size_t at(long long h, long long w) const {
    return std::size_t((h + margin) * row_stride + (w + margin) * static_cast<long long>(Lanes));
  }

  // Zeroes the rectangle of `a` (restores the all-zero state SAME padding relies on).
  void clear(T* a, const Rect& r) const {
    const std::size_t run = std::size_t(r.w1 - r.w0) * Lanes;
    for (long long h = r.h0; h < r.h1; ++h) std::fill_n(a + at(h, r.w0), run, T(0));
  }

  // a ← scale·(q × q box sum of a) + shift (+ add, a grid with the same layout, if not null),
  // on the rectangle; half = (q − 1)/2.
  void box(T* __restrict a, T* __restrict tmp, const Rect& r, long long half, bool circular,
           T scale, T shift, const T* __restrict add) const {
    const std::size_t run = std::size_t(r.w1 - r.w0) * Lanes;
    const long long lane = static_cast<long long>(Lanes);
    if (circular) wrap_columns(a, half);
    for (long long h = r.h0; h < r.h1; ++h) {
      const T* src = a + at(h, r.w0);
      T* dst = tmp + at(h, r.w0);
      std::copy_n(src - half * lane, run, dst);
      for (long long d = -half + 1; d <= half; ++d) {
        const T* s = src + d * lane;
#pragma omp simd
        for (std::size_t k = 0; k < run; ++k) dst[k] += s[k];
      }
    }
    if (circular) wrap_rows(tmp, half);
    for (long long h = r.h0; h < r.h1; ++h) {
      T* dst = a + at(h, r.w0);
      const T* src = tmp + at(h, r.w0);
      const long long stride = row_stride;
      if (half == 0) {
#pragma omp simd
        for (std::size_t k = 0; k < run; ++k) dst[k] = src[k];
      } else {
        const T* first = src - half * stride;
#pragma omp simd
        for (std::size_t k = 0; k < run; ++k) dst[k] = first[k];
        for (long long d = -half + 1; d <= half; ++d) {
          const T* s = src + d * stride;
#pragma omp simd
          for (std::size_t k = 0; k < run; ++k) dst[k] += s[k];
        }
      }
      if (add != nullptr) {
        const T* plus = add + at(h, r.w0);
#pragma omp simd
        for (std::size_t k = 0; k < run; ++k) dst[k] = scale * dst[k] + shift + plus[k];
      } else {
#pragma omp simd
        for (std::size_t k = 0; k < run; ++k) dst[k] = scale * dst[k] + shift;
      }
    }
  }

 private:
  // Circular padding: the `half` columns left of column 0 are the last columns, and so on.
  void wrap_columns(T* a, long long half) const {
    const std::size_t n = std::size_t(half) * Lanes;
    for (long long h = 0; h < height; ++h) {
      std::copy_n(a + at(h, width - half), n, a + at(h, -half));
      std::copy_n(a + at(h, 0), n, a + at(h, width));
    }
  }
  void wrap_rows(T* a, long long half) const {
    const std::size_t n = std::size_t(width) * Lanes;
    for (long long i = 0; i < half; ++i) {
      std::copy_n(a + at(height - half + i, 0), n, a + at(-half + i, 0));
      std::copy_n(a + at(i, 0), n, a + at(height + i, 0));
    }
  }
};

}  // namespace ntk::sdk::layers::detail
