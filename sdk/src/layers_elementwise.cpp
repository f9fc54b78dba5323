// The entry-wise maps of layers_elementwise.hpp (double) and layers_elementwise_float.hpp
// (float): one implementation templated on the scalar type T, instantiated for both. Only the
// arcsin polynomial (layers_elementwise_angle.hpp), the block size and the erf determinant's
// floor differ (Precision<T>).
//
// Each map is a few vectorised passes over a block held in L1: one forming the products (and
// counting the entries out of range), the square roots (sqrt_in_place), and one doing the rest.
// The angle comes from both its sine and cosine (angle::arc_angle), so the relu map takes one
// square root an entry, √(Σ11Σ22 − Σ12²), where it took three, plus 1/√(Σ11Σ22) — given per
// example by the caller of relu_column(), formed per entry by relu_entries().
#include "layers_elementwise.hpp"

#include <array>
#include <cmath>
#include <cstddef>
#include <limits>

#include "layers_elementwise_angle.hpp"
#include "layers_elementwise_float.hpp"

#if defined(__AVX512F__) || defined(__AVX__)
#include <immintrin.h>
#endif

namespace ntk::sdk::layers {
namespace {

using angle::abs_of;
using angle::arc_angle;
using angle::max_of;

template <class T>
struct Precision;
template <>
struct Precision<double> {
  using Wide = long double;
  static constexpr std::size_t block = 256;
  static constexpr double det_floor = 1e-300;
  // Σ11Σ22 and Σ12² are formed as plain products only inside [2^-960, 2^960]; outside, an
  // entry takes the rescaled path (rescaled_relu / rescaled_erf), so no product over- or
  // underflows while the inputs and the result are doubles.
  static constexpr double product_low = 0x1p-960, product_high = 0x1p960;
};
template <>
struct Precision<float> {
  using Wide = double;
  static constexpr std::size_t block = 512;
  static constexpr float det_floor = 1e-30f;
  static constexpr float product_low = 0x1p-100f, product_high = 0x1p100f;
};

template <class T>
struct Constants {
  static constexpr T inv_two_pi = T(1 / (2 * 3.14159265358979323846));
  static constexpr T two_over_pi = T(2 / 3.14159265358979323846);
  static constexpr T four_over_pi = T(4 / 3.14159265358979323846);
};

template <class T>
[[gnu::always_inline]] inline T clamp_unit(T x) { return x > T(1) ? T(1) : (x < T(-1) ? T(-1) : x); }

// Square roots of a short array. GCC will not vectorise std::sqrt inside a loop unless the
// whole build uses -fno-math-errno (the possible errno write is a call that "clobbers
// memory"), so the maps below are split into vectorised arithmetic passes around this one,
// which uses the vector sqrt instruction directly. Arguments are ≥ 0 by construction.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC 12 false positive in avx512fintrin.h
void sqrt_in_place(double* x, std::size_t len) {
  std::size_t i = 0;
#if defined(__AVX512F__)
  for (; i + 8 <= len; i += 8) _mm512_storeu_pd(x + i, _mm512_sqrt_pd(_mm512_loadu_pd(x + i)));
#elif defined(__AVX__)
  for (; i + 4 <= len; i += 4) _mm256_storeu_pd(x + i, _mm256_sqrt_pd(_mm256_loadu_pd(x + i)));
#endif
  for (; i < len; ++i) x[i] = std::sqrt(x[i]);
}
void sqrt_in_place(float* x, std::size_t len) {
  std::size_t i = 0;
#if defined(__AVX512F__)
  for (; i + 16 <= len; i += 16) _mm512_storeu_ps(x + i, _mm512_sqrt_ps(_mm512_loadu_ps(x + i)));
#elif defined(__AVX__)
  for (; i + 8 <= len; i += 8) _mm256_storeu_ps(x + i, _mm256_sqrt_ps(_mm256_loadu_ps(x + i)));
#endif
  for (; i < len; ++i) x[i] = std::sqrt(x[i]);
}
#pragma GCC diagnostic pop

// arcsin x from x and √(1 − x²) ≥ 0.
template <class T>
[[gnu::always_inline]] inline T signed_arcsin(T x, T cosine) {
  const T a = arc_angle(abs_of(x), cosine);
  return x < 0 ? -a : a;
}

// a·b − c², exact to an ulp and ≥ 0 (Kahan's difference of products): exactly 0 when
// c = a = b (a plain subtraction, once the compiler fuses it into an FMA, leaves the rounding
// error of a·b there, and √ of that is 1e-8 of the variance).
template <class T>
[[gnu::always_inline]] inline T difference_of_products(T a, T b, T c) {
  const T c2 = c * c;
  const T c2_error = std::fma(-c, c, c2);  // c2 − c² exactly
  return max_of(std::fma(a, b, -c2) + c2_error, T(0));
}

// 1/√(Σ11Σ22) from √(Σ11Σ22); 0 for a zero variance, whose correlation is taken as 0 (θ = π/2,
// neural-tangents' fill value).
template <class T>
[[gnu::always_inline]] inline T inverse_of(T root) { return root > 0 ? T(1) / root : T(0); }

// The relu entry (Cho & Saul's arc-cosine kernels of degree 1 and 0): Σ12 ← (√(Σ11Σ22 − Σ12²) +
// (π − θ)Σ12)/(2π) in place, returning Θ's factor (π − θ)/(2π). `sine` = √(Σ11Σ22 − Σ12²),
// `inv_root` = 1/√(Σ11Σ22): sin θ = sine·inv_root and cos(π − θ) = −ρ, so π − θ = atan2(sin θ, −ρ)
// keeps full relative accuracy as ρ → −1 and as ρ → 1.
template <class T>
[[gnu::always_inline]] inline T relu_entry(T& nngp, T sine, T inv_root) {
  const T pi_minus_theta = arc_angle(sine * inv_root, -(nngp * inv_root));
  nngp = (sine + pi_minus_theta * nngp) * Constants<T>::inv_two_pi;
  return pi_minus_theta * Constants<T>::inv_two_pi;
}

// The erf entry from the square roots of (1+2Σ11)(1+2Σ22) (`root`) and of the NTK's determinant
// (1+2Σ11)(1+2Σ22) − 4Σ12² (`det_root`): the NNGP is (2/π)·arcsin x with x = 2Σ12/root and
// √(1 − x²) = det_root/root; returns Θ's factor (4/π)/det_root.
template <class T>
[[gnu::always_inline]] inline T erf_entry(T& nngp, T root, T det_root) {
  const T inv = T(1) / root;
  nngp = Constants<T>::two_over_pi * signed_arcsin(T(2) * nngp * inv, det_root * inv);
  return Constants<T>::four_over_pi / det_root;
}

// Work arrays of one block; blocks keep them in L1 whatever length the caller passes. The
// others hold the inputs of the entries that take the rescaled path (few or none).
template <class T>
struct Scratch {
  alignas(64) std::array<T, Precision<T>::block> root, sine;
  std::array<std::size_t, Precision<T>::block> rescaled;
  std::array<T, Precision<T>::block> saved_nngp, saved_ntk;
};

// e with v = m·4^e, m ∈ [1, 4): dividing v by 4^e (and a covariance by 2^(e1+e2)) is exact,
// keeps √ exact (√v = √m·2^e), and brings the products of the closed forms near 1.
template <class T>
int half_exponent(T v) {
  const int k = std::ilogb(v);
  return k >= 0 ? k / 2 : -((1 - k) / 2);
}

// The relu entry on Σ11/4^e1, Σ22/4^e2, Σ12/2^(e1+e2) (both variances > 0 and finite): ρ and
// θ do not change, and the NNGP is homogeneous of degree 1 in (Σ11, Σ12, Σ22), so this is the
// in-range computation (the same operations as relu_block's) scaled by 2^(e1+e2) — or ±inf when
// the result itself is not a double, which the kernel engine reports with the layer.
template <class T>
void rescaled_relu(T& nngp, T* ntk, T var1, T var2) {
  const int e1 = half_exponent(var1), e2 = half_exponent(var2);
  const T s11 = std::ldexp(var1, -2 * e1), s22 = std::ldexp(var2, -2 * e2);
  T c = std::ldexp(nngp, -(e1 + e2));
  const T sine = std::sqrt(difference_of_products(s11, s22, c));
  const T factor = relu_entry(c, sine, inverse_of(std::sqrt(s11 * s22)));
  nngp = std::ldexp(c, e1 + e2);
  if (ntk != nullptr) *ntk *= factor;
}

// The erf entry with the variances above 1 divided by 4^e1, 4^e2 (finite variances). With
// p = 1 + 2Σ, the NTK's determinant p1·p2 − 4Σ12² = 1 + 2Σ11 + 2Σ22 + 4(Σ11Σ22 − Σ12²) is a
// sum of terms ≥ 0, formed over 4^(e1+e2); the NNGP only needs 2Σ12/√(p1p2), a ratio.
// With `offset`, the entry's true values are the given ones times 2^offset (a state's common
// scale, KernelState::log2_scale); the result is in true units (erf's NNGP is at most 1).
template <class T>
void rescaled_erf(T& nngp, T* ntk, T var1, T var2, int offset = 0) {
  // e = half the binary exponent of a true variance above 1, else 0 (as half_exponent).
  auto exponent = [offset](T v) {
    if (!(v > 0)) return 0;
    const int k = std::ilogb(v) + offset;
    return k >= 0 ? k / 2 : 0;
  };
  const int e1 = exponent(var1), e2 = exponent(var2);
  const int e = e1 + e2;
  const T s11 = std::ldexp(var1, offset - 2 * e1), s22 = std::ldexp(var2, offset - 2 * e2);
  const T c = std::ldexp(nngp, offset - e);
  const T root = std::sqrt(std::ldexp(T(1), -2 * e1) + T(2) * s11) *
                 std::sqrt(std::ldexp(T(1), -2 * e2) + T(2) * s22);
  // The determinant in the wider type (long double for double): on the diagonal (ρ = 1) its
  // terms are about 2^-e, below the double range once a common scale makes e exceed 1074.
  using W = typename Precision<T>::Wide;
  const W det = std::ldexp(W(1), -2 * e) + W(2) * std::ldexp(W(s11), -2 * e2) +
                W(2) * std::ldexp(W(s22), -2 * e1) + W(4) * W(difference_of_products(s11, s22, c));
  // x = 2Σ12/root and √(1 − x²) = √det/root: no cancellation as |x| → 1.
  nngp = Constants<T>::two_over_pi * signed_arcsin(T(2) * c / root, T(std::sqrt(det) / W(root)));
  if (ntk != nullptr)
    *ntk *= T(std::ldexp(W(Constants<T>::four_over_pi) / std::sqrt(det), offset - e));
}

// Whether an entry's products leave [product_low, product_high] (relu: both variances > 0;
// erf: variances ≥ 0), so that it must take the rescaled path. Non-finite inputs stay on the
// plain path, whose non-finite result the engine reports. Bitwise & and | (not && and ||): no
// control flow, so the loops that count these vectorise (0.3 ns an entry instead of 1.3-2.6,
// bench/range_check_benchmark.cpp).
template <class T>
[[gnu::always_inline]] inline bool relu_out_of_range(T c, T v1, T v2) {
  constexpr T low = Precision<T>::product_low, high = Precision<T>::product_high;
  constexpr T inf = std::numeric_limits<T>::infinity();
  const T prod = v1 * v2;
  return (v1 > 0) & (v2 > 0) & (v1 < inf) & (v2 < inf) &
         ((prod < low) | (prod > high) | (c * c > high));
}
template <class T>
[[gnu::always_inline]] inline bool erf_out_of_range(T c, T v1, T v2) {
  constexpr T high = Precision<T>::product_high;
  constexpr T inf = std::numeric_limits<T>::infinity();
  return (v1 < inf) & (v2 < inf) &
         ((v1 > high) | (v2 > high) | (v1 * v2 > high) | (c * c > high));
}

// The second variance of a block's entries: an array (relu_entries, erf_entries) or one
// example's for the whole block (relu_column: a kernel column).
template <class T>
struct Same {
  T value;
  T operator[](std::size_t) const { return value; }
};

// Saves the inputs of the entries `out_of_range` selects, once the vectorised pass has counted
// some; returns how many.
template <class T, class Test, class V2>
std::size_t save_out_of_range(Test out_of_range, const T* nngp, const T* ntk, const T* var1,
                              V2 var2, std::size_t len, Scratch<T>& w) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < len; ++i) {
    if (!out_of_range(nngp[i], var1[i], var2[i])) continue;
    w.rescaled[n] = i;
    w.saved_nngp[n] = nngp[i];
    w.saved_ntk[n] = ntk != nullptr ? ntk[i] : T(0);
    ++n;
  }
  return n;
}

// Overwrites the saved entries with the rescaled path's values.
template <class T, class Rescaled, class V2>
void redo_saved(Rescaled rescaled, std::size_t n, T* nngp, T* ntk, const T* var1, V2 var2,
                Scratch<T>& w) {
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = w.rescaled[k];
    T c = w.saved_nngp[k], t = w.saved_ntk[k];
    rescaled(c, ntk != nullptr ? &t : nullptr, var1[i], var2[i]);
    nngp[i] = c;
    if (ntk != nullptr) ntk[i] = t;
  }
}

// relu on one block. With `inv_root1` (var2 then one example's, inv_root2 its 1/√Σ22), ρ takes
// two multiplications; without (nullptr), 1/√(Σ11Σ22) is formed per entry.
template <class T, class V2>
void relu_block(T* __restrict nngp, T* __restrict ntk, const T* __restrict var1, V2 var2,
                const T* __restrict inv_root1, T inv_root2, std::size_t len, Scratch<T>& w) {
  T* __restrict root = w.root.data();
  T* __restrict sine = w.sine.data();
  T outside = 0;  // in T, as the loop's other lanes (a std::size_t sum kept it scalar)
  if (inv_root1 == nullptr) {
#pragma omp simd reduction(+ : outside)
    for (std::size_t i = 0; i < len; ++i) {
      root[i] = var1[i] * var2[i];
      sine[i] = difference_of_products(var1[i], var2[i], nngp[i]);
      outside += relu_out_of_range(nngp[i], var1[i], var2[i]) ? T(1) : T(0);
    }
  } else {
#pragma omp simd reduction(+ : outside)
    for (std::size_t i = 0; i < len; ++i) {
      sine[i] = difference_of_products(var1[i], var2[i], nngp[i]);
      outside += relu_out_of_range(nngp[i], var1[i], var2[i]) ? T(1) : T(0);
    }
  }
  const std::size_t rescaled =
      outside == 0 ? std::size_t(0)
                   : save_out_of_range([](T c, T v1, T v2) { return relu_out_of_range(c, v1, v2); },
                                       nngp, ntk, var1, var2, len, w);
  sqrt_in_place(sine, len);
  if (inv_root1 == nullptr) {
    sqrt_in_place(root, len);
#pragma omp simd
    for (std::size_t i = 0; i < len; ++i) {
      const T factor = relu_entry(nngp[i], sine[i], inverse_of(root[i]));
      if (ntk != nullptr) ntk[i] *= factor;
    }
  } else {
#pragma omp simd
    for (std::size_t i = 0; i < len; ++i) {
      const T factor = relu_entry(nngp[i], sine[i], inv_root1[i] * inv_root2);
      if (ntk != nullptr) ntk[i] *= factor;
    }
  }
  if (rescaled > 0) redo_saved(&rescaled_relu<T>, rescaled, nngp, ntk, var1, var2, w);
}

template <class T>
void erf_block(T* __restrict nngp, T* __restrict ntk, const T* __restrict var1,
               const T* __restrict var2, std::size_t len, Scratch<T>& w) {
  T* __restrict root = w.root.data();
  T* __restrict det = w.sine.data();
  T outside = 0;  // in T, as the loop's other lanes (a std::size_t sum kept it scalar)
#pragma omp simd reduction(+ : outside)
  for (std::size_t i = 0; i < len; ++i) {
    const T c = nngp[i];
    root[i] = (T(1) + T(2) * var1[i]) * (T(1) + T(2) * var2[i]);
    // (1+2Σ11)(1+2Σ22) − 4Σ12² = 1 + 2Σ11 + 2Σ22 + 4(Σ11Σ22 − Σ12²): terms ≥ 0, nothing
    // cancels at large variances; the max only guards rounding.
    det[i] = max_of(T(1) + T(2) * (var1[i] + var2[i]) +
                        T(4) * difference_of_products(var1[i], var2[i], c),
                    Precision<T>::det_floor);
    outside += erf_out_of_range(c, var1[i], var2[i]) ? T(1) : T(0);
  }
  const std::size_t rescaled =
      outside == 0 ? std::size_t(0)
                   : save_out_of_range([](T c, T v1, T v2) { return erf_out_of_range(c, v1, v2); },
                                       nngp, ntk, var1, var2, len, w);
  sqrt_in_place(root, len);
  sqrt_in_place(det, len);
#pragma omp simd
  for (std::size_t i = 0; i < len; ++i) {
    const T factor = erf_entry(nngp[i], root[i], det[i]);
    if (ntk != nullptr) ntk[i] *= factor;
  }
  if (rescaled > 0) {
    auto redo = [](T& c, T* t, T v1, T v2) { rescaled_erf<T>(c, t, v1, v2); };
    redo_saved(redo, rescaled, nngp, ntk, var1, var2, w);
  }
}

// Runs `block` over [0, len) in blocks of Precision<T>::block entries.
template <class T, class Block>
void blockwise(Block block, T* nngp, T* ntk, std::size_t len) {
  constexpr std::size_t size = Precision<T>::block;
  Scratch<T> w;
  for (std::size_t i = 0; i < len; i += size)
    block(i, len - i < size ? len - i : size, nngp + i, ntk == nullptr ? nullptr : ntk + i, w);
}

template <class T>
void relu_entries_of(T* nngp, T* ntk, const T* var1, const T* var2, std::size_t len) {
  blockwise(
      [&](std::size_t i, std::size_t n, T* c, T* t, Scratch<T>& w) {
        relu_block<T, const T*>(c, t, var1 + i, var2 + i, nullptr, T(0), n, w);
      },
      nngp, ntk, len);
}
template <class T>
void erf_entries_of(T* nngp, T* ntk, const T* var1, const T* var2, std::size_t len) {
  blockwise([&](std::size_t i, std::size_t n, T* c, T* t,
                Scratch<T>& w) { erf_block<T>(c, t, var1 + i, var2 + i, n, w); },
            nngp, ntk, len);
}

}  // namespace

double arc_cosine(double x) {
  x = clamp_unit(x);
  // 1 − x and 1 + x are exact where they are small (Sterbenz), so the sine keeps its accuracy
  // as x → ±1.
  return arc_angle(std::sqrt((1 - x) * (1 + x)), x);
}
double arc_sine(double x) {
  x = clamp_unit(x);
  return signed_arcsin(x, std::sqrt((1 - x) * (1 + x)));
}

void relu_entries(double* nngp, double* ntk, const double* var1, const double* var2,
                  std::size_t len) {
  relu_entries_of(nngp, ntk, var1, var2, len);
}
void erf_entries(double* nngp, double* ntk, const double* var1, const double* var2,
                 std::size_t len) {
  erf_entries_of(nngp, ntk, var1, var2, len);
}
void relu_entries(float* nngp, float* ntk, const float* var1, const float* var2,
                  std::size_t len) {
  relu_entries_of(nngp, ntk, var1, var2, len);
}
void erf_entries(float* nngp, float* ntk, const float* var1, const float* var2,
                 std::size_t len) {
  erf_entries_of(nngp, ntk, var1, var2, len);
}

void relu_column(double* nngp, double* ntk, const double* var1, const double* inv_root1,
                 double var2, double inv_root2, std::size_t len) {
  blockwise(
      [&](std::size_t i, std::size_t n, double* c, double* t, Scratch<double>& w) {
        relu_block<double, Same<double>>(c, t, var1 + i, Same<double>{var2}, inv_root1 + i,
                                         inv_root2, n, w);
      },
      nngp, ntk, len);
}

void inverse_roots(const double* var, double* out, std::size_t len) {
  for (std::size_t i = 0; i < len; ++i) out[i] = inverse_of(std::sqrt(var[i]));
}

void erf_entries_scaled(double* nngp, double* ntk, const double* var1, const double* var2,
                        std::size_t len, int log2_scale) {
  // Rare (only where a common scale is carried): the scalar rescaled path for every entry.
  for (std::size_t i = 0; i < len; ++i)
    rescaled_erf<double>(nngp[i], ntk == nullptr ? nullptr : ntk + i, var1[i], var2[i],
                         log2_scale);
}

void erf_variances_scaled(double* var, std::size_t len, int log2_scale) {
  for (std::size_t i = 0; i < len; ++i) {
    double c = var[i];
    rescaled_erf<double>(c, nullptr, var[i], var[i], log2_scale);
    var[i] = c;
  }
}

void affine_entries(double* __restrict nngp, double* __restrict ntk, std::size_t len,
                    const AffineCoefficients& k) {
  const double a = k.nngp_scale, b = k.nngp_shift;
  const double from = k.ntk_from_nngp, scale = k.ntk_scale, shift = k.ntk_shift;
  if (ntk == nullptr) {
#pragma omp simd
    for (std::size_t i = 0; i < len; ++i) nngp[i] = a * nngp[i] + b;
    return;
  }
#pragma omp simd
  for (std::size_t i = 0; i < len; ++i) {
    const double old = nngp[i];
    nngp[i] = a * old + b;
    ntk[i] = (from * old + shift) + scale * ntk[i];
  }
}

void affine_variances(double* var, std::size_t len, const AffineCoefficients& k) {
  affine_entries(var, nullptr, len, k);
}

void relu_variances(double* var, std::size_t len) {
#pragma omp simd
  for (std::size_t i = 0; i < len; ++i) var[i] *= 0.5;
}

void erf_variances(double* var, std::size_t len) {
  // The general rule at Σ12 = Σ11 = Σ22 = v: root = 1 + 2v, the determinant 1 + 4v (what
  // erf_block forms there: √((1+2v)²) is 1 + 2v exactly, Σ11Σ22 − Σ12² exactly 0).
  for (std::size_t i = 0; i < len; ++i) {
    const double v = var[i];
    double c = v;
    erf_entry(c, 1.0 + 2.0 * v, std::sqrt(max_of(1.0 + 2.0 * (v + v), Precision<double>::det_floor)));
    var[i] = c;
  }
}

}  // namespace ntk::sdk::layers
