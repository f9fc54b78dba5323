// The padded pixel grid the convolutional kernel rules work on (layers_conv_engine.cpp):
// H × W pixels with a margin of `margin_h` rows above and below and `margin_w` columns left
// and right, each pixel holding `Lanes` values (the example pairs of a tile, or 1). Row h,
// column w (negative down to −margin) start at
// ((h + margin_h)·(W + 2·margin_w) + w + margin_w)·Lanes.
//
// box() is the convolution's qh × qw sum over a rectangle of pixels, separable: a pass along
// rows (half-width half_w) into `tmp`, then along columns (half_h). With SAME padding the
// caller keeps every value outside the rectangle zero (the padded pixels); with CIRCULAR
// padding box() first copies the wrapped pixels into the margins. With VALID padding the
// rectangle is the output one and every pixel within (half_h, half_w) of it holds a value: the
// row pass then also covers the half_h rows above and below it, which the column pass reads.
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
  long long height = 0, width = 0, margin_h = 0, margin_w = 0, row_stride = 0;

  Grid(long long h, long long w, long long mh, long long mw)
      : height(h), width(w), margin_h(mh), margin_w(mw),
        row_stride((w + 2 * mw) * static_cast<long long>(Lanes)) {}
  std::size_t size() const { return std::size_t((height + 2 * margin_h) * row_stride); }
  std::size_t at(long long h, long long w) const {
    return std::size_t((h + margin_h) * row_stride + (w + margin_w) * static_cast<long long>(Lanes));
  }

  // Zeroes the rectangle of `a` (restores the all-zero state SAME padding relies on).
  void clear(T* a, const Rect& r) const {
    const std::size_t run = std::size_t(r.w1 - r.w0) * Lanes;
    for (long long h = r.h0; h < r.h1; ++h) std::fill_n(a + at(h, r.w0), run, T(0));
  }
  // Zeroes what lies in `outer` but not in `inner` (inner ⊆ outer): after a VALID conv, so that
  // a later SAME conv finds zeros around the shrunk image.
  void clear_band(T* a, const Rect& outer, const Rect& inner) const {
    clear(a, {outer.h0, inner.h0, outer.w0, outer.w1});
    clear(a, {inner.h1, outer.h1, outer.w0, outer.w1});
    clear(a, {inner.h0, inner.h1, outer.w0, inner.w0});
    clear(a, {inner.h0, inner.h1, inner.w1, outer.w1});
  }

  // a ← scale·(qh × qw box sum of a) + shift (+ add, a grid with the same layout, if not
  // null), on the rectangle; half_h = (qh − 1)/2, half_w = (qw − 1)/2.
  void box(T* __restrict a, T* __restrict tmp, const Rect& r, long long half_h, long long half_w,
           bool circular, T scale, T shift, const T* __restrict add, bool valid = false) const {
    const std::size_t run = std::size_t(r.w1 - r.w0) * Lanes;
    const long long lane = static_cast<long long>(Lanes);
    if (circular) wrap_columns(a, half_w);
    const long long rows_from = valid ? r.h0 - half_h : r.h0, rows_to = valid ? r.h1 + half_h : r.h1;
    for (long long h = rows_from; h < rows_to; ++h) {
      const T* src = a + at(h, r.w0);
      T* dst = tmp + at(h, r.w0);
      std::copy_n(src - half_w * lane, run, dst);
      for (long long d = -half_w + 1; d <= half_w; ++d) {
        const T* s = src + d * lane;
#pragma omp simd
        for (std::size_t k = 0; k < run; ++k) dst[k] += s[k];
      }
    }
    if (circular) wrap_rows(tmp, half_h);
    for (long long h = r.h0; h < r.h1; ++h) {
      T* dst = a + at(h, r.w0);
      const T* src = tmp + at(h, r.w0);
      const long long stride = row_stride;
      if (half_h == 0) {
#pragma omp simd
        for (std::size_t k = 0; k < run; ++k) dst[k] = src[k];
      } else {
        const T* first = src - half_h * stride;
#pragma omp simd
        for (std::size_t k = 0; k < run; ++k) dst[k] = first[k];
        for (long long d = -half_h + 1; d <= half_h; ++d) {
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
