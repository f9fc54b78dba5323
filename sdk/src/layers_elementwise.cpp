// The entry-wise maps of layers_elementwise.hpp (double) and layers_elementwise_float.hpp
// (float): one implementation templated on the scalar type T, instantiated for both. Only the
// arcsin series length, the block size and the erf determinant's floor differ (Precision<T>).
#include "layers_elementwise.hpp"

#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <utility>

#include "layers_elementwise_float.hpp"

#if defined(__AVX512F__) || defined(__AVX__)
#include <immintrin.h>
#endif

namespace ntk::sdk::layers {
namespace {

// arcsin y = Σ_k binom(2k, k)/4^k · y^(2k+1)/(2k+1). On |y| ≤ 1/2 the terms fall at least as
// 4^-k: double keeps 26 terms (tail below 2e-18 of the sum, coefficients computed in long
// double at compile time), float 12 (tail under 1e-8; float eps is 6e-8; computed in double).
template <class T>
struct Precision;
template <>
struct Precision<double> {
  using Wide = long double;
  static constexpr int terms = 26;
  static constexpr std::size_t block = 256;
  static constexpr double pi = 3.14159265358979323846;
  static constexpr double det_floor = 1e-300;
  // Σ11Σ22 and Σ12² are formed as plain products only inside [2^-960, 2^960]; outside, an
  // entry takes the rescaled path (rescaled_relu / rescaled_erf), so no product over- or
  // underflows while the inputs and the result are doubles.
  static constexpr double product_low = 0x1p-960, product_high = 0x1p960;
};
template <>
struct Precision<float> {
  using Wide = double;
  static constexpr int terms = 12;
  static constexpr std::size_t block = 512;
  static constexpr float pi = 3.14159265358979323846f;
  static constexpr float det_floor = 1e-30f;
  static constexpr float product_low = 0x1p-100f, product_high = 0x1p100f;
};

template <class T>
struct Constants {
  static constexpr T pi = Precision<T>::pi;
  static constexpr T half_pi = pi / 2;
  static constexpr T inv_two_pi = T(1 / (2 * 3.14159265358979323846));
  static constexpr T two_over_pi = T(2 / 3.14159265358979323846);
  static constexpr T four_over_pi = T(4 / 3.14159265358979323846);
};

template <class T>
constexpr std::array<T, Precision<T>::terms> arcsin_series() {
  using W = typename Precision<T>::Wide;
  std::array<T, Precision<T>::terms> c{};
  W central = 1;  // binom(2k, k) / 4^k
  for (int k = 0; k < Precision<T>::terms; ++k) {
    if (k > 0) central *= (W(2) * k - 1) / (W(2) * k);
    c[k] = static_cast<T>(central / (W(2) * k + 1));
  }
  return c;
}
template <class T>
constexpr std::array<T, Precision<T>::terms> kArcsin = arcsin_series<T>();

// Horner in z = y², unrolled at compile time so the caller's loop stays vectorisable.
template <class T, std::size_t... K>
[[gnu::always_inline]] inline T arcsin_tail(T z, std::index_sequence<K...>) {
  constexpr int n = Precision<T>::terms;
  T q = kArcsin<T>[n - 1];
  ((q = q * z + kArcsin<T>[n - 2 - K]), ...);
  return q;  // = Σ_{k≥1} c_k z^(k-1)
}
// arcsin y for 0 ≤ y ≤ 1/2, as y + y·z·(…) so the leading term is exact.
template <class T>
[[gnu::always_inline]] inline T arcsin_small(T y) {
  const T z = y * y;
  return y + y * z * arcsin_tail<T>(z, std::make_index_sequence<Precision<T>::terms - 2>{});
}

// Plain ternaries, so the loops below contain nothing but arithmetic.
template <class T>
[[gnu::always_inline]] inline T max_of(T a, T b) { return a > b ? a : b; }
template <class T>
[[gnu::always_inline]] inline T clamp_unit(T x) { return x > T(1) ? T(1) : (x < T(-1) ? T(-1) : x); }
template <class T>
[[gnu::always_inline]] inline T abs_of(T x) { return x < 0 ? -x : x; }

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

// arcsin and arccos in two stages around one square root. Stage one, for x clamped to [-1, 1]:
// half = (1 − |x|)/2, exact for |x| ≥ 1/2. Stage two, given root = √half:
//   |x| ≤ 1/2:  arcsin x = series(x),                 arccos x = π/2 − series(x)
//   |x| > 1/2:  arcsin|x| = π/2 − 2·series(root),     arccos x = 2·series(root) (x > 0)
//                                                     or π − 2·series(root) (x < 0)
// The half-angle form keeps full relative accuracy of arccos as x → ±1.
template <class T>
[[gnu::always_inline]] inline T half_gap(T x) { return (T(1) - abs_of(x)) * T(0.5); }

template <class T>
[[gnu::always_inline]] inline T arcsin_stage2(T x, T root) {
  const T a = abs_of(x);
  const bool small = a <= T(0.5);
  const T p = arcsin_small(small ? a : root);
  const T r = small ? p : Constants<T>::half_pi - T(2) * p;
  return x < 0 ? -r : r;
}

template <class T>
[[gnu::always_inline]] inline T arccos_stage2(T x, T root) {
  const T a = abs_of(x);
  const bool small = a <= T(0.5);
  const T p = arcsin_small(small ? a : root);
  const T near_zero = Constants<T>::half_pi - (x < 0 ? -p : p);
  const T near_one = x > 0 ? T(2) * p : Constants<T>::pi - T(2) * p;
  return small ? near_zero : near_one;
}

// Work arrays of one block; blocks keep them in L1 whatever length the caller passes. The last
// three hold the inputs of the entries that take the rescaled path (few or none).
template <class T>
struct Scratch {
  alignas(64) std::array<T, Precision<T>::block> x, root, gap, sine;
  std::array<std::size_t, Precision<T>::block> rescaled;
  std::array<T, Precision<T>::block> saved_nngp, saved_ntk;
};

// a·b − c², exact to an ulp and ≥ 0 (Kahan's difference of products).
template <class T>
[[gnu::always_inline]] inline T difference_of_products(T a, T b, T c) {
  const T c2 = c * c;
  const T c2_error = std::fma(-c, c, c2);  // c2 − c² exactly
  return max_of(std::fma(a, b, -c2) + c2_error, T(0));
}

// e with v = m·4^e, m ∈ [1, 4): dividing v by 4^e (and a covariance by 2^(e1+e2)) is exact,
// keeps √ exact (√v = √m·2^e), and brings the products of the closed forms near 1.
template <class T>
int half_exponent(T v) {
  const int k = std::ilogb(v);
  return k >= 0 ? k / 2 : -((1 - k) / 2);
}

// The relu entry on Σ11/4^e1, Σ22/4^e2, Σ12/2^(e1+e2) (both variances > 0 and finite): ρ and
// θ do not change, and the NNGP is homogeneous of degree 1 in (Σ11, Σ12, Σ22), so this is the
// in-range computation scaled by 2^(e1+e2) — or ±inf when the result itself is not a double,
// which the kernel engine reports with the layer.
template <class T>
void rescaled_relu(T& nngp, T* ntk, T var1, T var2) {
  const int e1 = half_exponent(var1), e2 = half_exponent(var2);
  const T s11 = std::ldexp(var1, -2 * e1), s22 = std::ldexp(var2, -2 * e2);
  const T c = std::ldexp(nngp, -(e1 + e2));
  const T sine = std::sqrt(difference_of_products(s11, s22, c));
  const T minus_rho = clamp_unit(-c / std::sqrt(s11 * s22));
  const T pi_minus_theta = arccos_stage2(minus_rho, std::sqrt(half_gap(minus_rho)));
  nngp = std::ldexp((sine + pi_minus_theta * c) * Constants<T>::inv_two_pi, e1 + e2);
  if (ntk != nullptr) *ntk *= pi_minus_theta * Constants<T>::inv_two_pi;
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
  const T x = clamp_unit(T(2) * c / root);
  // 1 − |x| = det/(root·(root + 2|Σ12|)) without cancellation as |x| → 1.
  const T gap = abs_of(x) <= T(0.5)
                    ? half_gap(x)
                    : T(det / (W(2) * W(root) * (W(root) + W(2) * W(abs_of(c)))));
  nngp = Constants<T>::two_over_pi * arcsin_stage2(x, std::sqrt(gap));
  if (ntk != nullptr)
    *ntk *= T(std::ldexp(W(Constants<T>::four_over_pi) / std::sqrt(det), offset - e));
}

// Whether an entry's products leave [product_low, product_high] (relu: both variances > 0;
// erf: variances ≥ 0), so that it must take the rescaled path. Non-finite inputs stay on the
// plain path, whose non-finite result the engine reports.
template <class T>
[[gnu::always_inline]] inline bool relu_out_of_range(T c, T v1, T v2) {
  constexpr T low = Precision<T>::product_low, high = Precision<T>::product_high;
  constexpr T inf = std::numeric_limits<T>::infinity();
  const T prod = v1 * v2;
  // Bitwise & and | (not && and ||): no control flow, so the counting loop vectorises
  // (0.3 ns an entry instead of 1.3-2.6, bench/range_check_benchmark.cpp).
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

// Saves the inputs of the entries `out_of_range` selects; returns how many. The test is a
// lambda (inlined), so the counting loop vectorises and costs one compare per entry.
template <class T, class Test>
std::size_t save_out_of_range(Test out_of_range, const T* nngp, const T* ntk, const T* var1,
                              const T* var2, std::size_t len, Scratch<T>& w) {
  std::size_t count = 0;
#pragma omp simd reduction(+ : count)
  for (std::size_t i = 0; i < len; ++i) count += out_of_range(nngp[i], var1[i], var2[i]) ? 1 : 0;
  if (count == 0) return 0;
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
template <class T, class Rescaled>
void redo_saved(Rescaled rescaled, std::size_t n, T* nngp, T* ntk, const T* var1, const T* var2,
                Scratch<T>& w) {
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = w.rescaled[k];
    T c = w.saved_nngp[k], t = w.saved_ntk[k];
    rescaled(c, ntk != nullptr ? &t : nullptr, var1[i], var2[i]);
    nngp[i] = c;
    if (ntk != nullptr) ntk[i] = t;
  }
}

// relu on one block: x = −ρ so that arccos x = π − θ directly (no cancellation near ρ = −1).
template <class T>
void relu_block(T* __restrict nngp, T* __restrict ntk, const T* __restrict var1,
                const T* __restrict var2, std::size_t len, Scratch<T>& w) {
  T* __restrict x = w.x.data();
  T* __restrict root = w.root.data();
  T* __restrict gap = w.gap.data();
  T* __restrict sine = w.sine.data();
  const std::size_t rescaled =
      save_out_of_range([](T c, T v1, T v2) { return relu_out_of_range(c, v1, v2); }, nngp, ntk,
                        var1, var2, len, w);
#pragma omp simd
  for (std::size_t i = 0; i < len; ++i) {
    const T prod = var1[i] * var2[i];
    x[i] = prod;
    root[i] = prod > 0 ? prod : T(1);
    // Σ11Σ22 − Σ12² by Kahan's difference of products: exact to an ulp, and exactly 0 when
    // Σ12 = Σ11 = Σ22 (a plain subtraction, once the compiler fuses it into an FMA, leaves
    // the rounding error of Σ11Σ22 there, and √ of that is 1e-8 of the variance).
    const T c2 = nngp[i] * nngp[i];
    const T c2_error = std::fma(-nngp[i], nngp[i], c2);  // c2 − Σ12² exactly
    sine[i] = max_of(std::fma(var1[i], var2[i], -c2) + c2_error, T(0));
  }
  sqrt_in_place(root, len);
  sqrt_in_place(sine, len);
#pragma omp simd
  for (std::size_t i = 0; i < len; ++i) {
    // A zero-variance input has ρ = 0, θ = π/2 (neural-tangents' fill value).
    const T minus_rho = x[i] > 0 ? clamp_unit(-nngp[i] / root[i]) : T(0);
    x[i] = minus_rho;
    gap[i] = half_gap(minus_rho);
  }
  sqrt_in_place(gap, len);
#pragma omp simd
  for (std::size_t i = 0; i < len; ++i) {
    const T pi_minus_theta = arccos_stage2(x[i], gap[i]);
    nngp[i] = (sine[i] + pi_minus_theta * nngp[i]) * Constants<T>::inv_two_pi;
    if (ntk != nullptr) ntk[i] *= pi_minus_theta * Constants<T>::inv_two_pi;
  }
  if (rescaled > 0) redo_saved(&rescaled_relu<T>, rescaled, nngp, ntk, var1, var2, w);
}

template <class T>
void erf_block(T* __restrict nngp, T* __restrict ntk, const T* __restrict var1,
               const T* __restrict var2, std::size_t len, Scratch<T>& w) {
  T* __restrict x = w.x.data();
  T* __restrict root = w.root.data();
  T* __restrict gap = w.gap.data();
  T* __restrict det = w.sine.data();
  const std::size_t rescaled =
      save_out_of_range([](T c, T v1, T v2) { return erf_out_of_range(c, v1, v2); }, nngp, ntk,
                        var1, var2, len, w);
#pragma omp simd
  for (std::size_t i = 0; i < len; ++i) {
    const T c = nngp[i];
    root[i] = (T(1) + T(2) * var1[i]) * (T(1) + T(2) * var2[i]);
    // (1+2Σ11)(1+2Σ22) − 4Σ12² = 1 + 2Σ11 + 2Σ22 + 4(Σ11Σ22 − Σ12²): terms ≥ 0, nothing
    // cancels at large variances; the max only guards rounding.
    det[i] = max_of(T(1) + T(2) * (var1[i] + var2[i]) +
                        T(4) * difference_of_products(var1[i], var2[i], c),
                    Precision<T>::det_floor);
  }
  sqrt_in_place(root, len);
#pragma omp simd
  for (std::size_t i = 0; i < len; ++i) {
    const T c = nngp[i];
    x[i] = clamp_unit(T(2) * c / root[i]);
    // 1 − |x| = det/(root·(root + 2|Σ12|)), exact where the difference would cancel.
    gap[i] = abs_of(x[i]) <= T(0.5) ? half_gap(x[i])
                                    : det[i] / (T(2) * root[i] * (root[i] + T(2) * abs_of(c)));
  }
  sqrt_in_place(det, len);
  sqrt_in_place(gap, len);
#pragma omp simd
  for (std::size_t i = 0; i < len; ++i) {
    nngp[i] = Constants<T>::two_over_pi * arcsin_stage2(x[i], gap[i]);
    if (ntk != nullptr) ntk[i] *= Constants<T>::four_over_pi / det[i];
  }
  if (rescaled > 0) {
    auto redo = [](T& c, T* t, T v1, T v2) { rescaled_erf<T>(c, t, v1, v2); };
    redo_saved(redo, rescaled, nngp, ntk, var1, var2, w);
  }
}

// Runs `block` over [0, len) in blocks of Precision<T>::block entries.
template <class T, class Block>
void blockwise(Block block, T* nngp, T* ntk, const T* var1, const T* var2, std::size_t len) {
  constexpr std::size_t size = Precision<T>::block;
  Scratch<T> w;
  for (std::size_t i = 0; i < len; i += size)
    block(nngp + i, ntk == nullptr ? nullptr : ntk + i, var1 + i, var2 + i,
          len - i < size ? len - i : size, w);
}

}  // namespace

double arc_cosine(double x) {
  x = clamp_unit(x);
  return arccos_stage2(x, std::sqrt(half_gap(x)));
}
double arc_sine(double x) {
  x = clamp_unit(x);
  return arcsin_stage2(x, std::sqrt(half_gap(x)));
}

void relu_entries(double* nngp, double* ntk, const double* var1, const double* var2,
                  std::size_t len) {
  blockwise(relu_block<double>, nngp, ntk, var1, var2, len);
}
void erf_entries(double* nngp, double* ntk, const double* var1, const double* var2,
                 std::size_t len) {
  blockwise(erf_block<double>, nngp, ntk, var1, var2, len);
}
void relu_entries(float* nngp, float* ntk, const float* var1, const float* var2,
                  std::size_t len) {
  blockwise(relu_block<float>, nngp, ntk, var1, var2, len);
}
void erf_entries(float* nngp, float* ntk, const float* var1, const float* var2,
                 std::size_t len) {
  blockwise(erf_block<float>, nngp, ntk, var1, var2, len);
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
  // The general rule at Σ12 = Σ11 = Σ22 = v: 2v/√((1+2v)²) = 2v/(1+2v).
  constexpr std::size_t size = Precision<double>::block;
  Scratch<double> w;
  for (std::size_t i0 = 0; i0 < len; i0 += size) {
    const std::size_t n = len - i0 < size ? len - i0 : size;
    double* v = var + i0;
    for (std::size_t i = 0; i < n; ++i) {
      w.x[i] = clamp_unit(2.0 * v[i] / (1.0 + 2.0 * v[i]));
      w.gap[i] = half_gap(w.x[i]);
    }
    sqrt_in_place(w.gap.data(), n);
    for (std::size_t i = 0; i < n; ++i) v[i] = Constants<double>::two_over_pi * arcsin_stage2(w.x[i], w.gap[i]);
  }
}

}  // namespace ntk::sdk::layers
