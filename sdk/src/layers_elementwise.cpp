#include "layers_elementwise.hpp"

#include <array>
#include <cmath>
#include <cstddef>
#include <utility>

#if defined(__AVX512F__) || defined(__AVX__)
#include <immintrin.h>
#endif

namespace ntk::sdk::layers {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kHalfPi = kPi / 2;
constexpr double kInvTwoPi = 1 / (2 * kPi);
constexpr double kTwoOverPi = 2 / kPi;
constexpr double kFourOverPi = 4 / kPi;

// arcsin y = Σ_k binom(2k, k)/4^k · y^(2k+1)/(2k+1). On |y| ≤ 1/2 the terms fall at least as
// 4^-k, so 26 terms leave a tail below 2e-18 of the sum; computed in long double at compile time.
constexpr int kArcsinTerms = 26;
constexpr std::array<double, kArcsinTerms> arcsin_series() {
  std::array<double, kArcsinTerms> c{};
  long double central = 1.0L;  // binom(2k, k) / 4^k
  for (int k = 0; k < kArcsinTerms; ++k) {
    if (k > 0) central *= (2.0L * k - 1) / (2.0L * k);
    c[k] = static_cast<double>(central / (2.0L * k + 1));
  }
  return c;
}
constexpr std::array<double, kArcsinTerms> kArcsin = arcsin_series();

// Horner in z = y², unrolled at compile time so the caller's loop stays vectorisable.
template <std::size_t... K>
[[gnu::always_inline]] inline double arcsin_tail(double z, std::index_sequence<K...>) {
  double q = kArcsin[kArcsinTerms - 1];
  ((q = q * z + kArcsin[kArcsinTerms - 2 - K]), ...);
  return q;  // = Σ_{k≥1} c_k z^(k-1)
}
// arcsin y for 0 ≤ y ≤ 1/2, as y + y·z·(…) so the leading term is exact.
[[gnu::always_inline]] inline double arcsin_small(double y) {
  const double z = y * y;
  return y + y * z * arcsin_tail(z, std::make_index_sequence<kArcsinTerms - 2>{});
}

// Plain ternaries, so the loops below contain nothing but arithmetic.
[[gnu::always_inline]] inline double max_of(double a, double b) { return a > b ? a : b; }
[[gnu::always_inline]] inline double clamp_unit(double x) { return x > 1.0 ? 1.0 : (x < -1.0 ? -1.0 : x); }
[[gnu::always_inline]] inline double abs_of(double x) { return x < 0 ? -x : x; }

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
#pragma GCC diagnostic pop

// arcsin and arccos in two stages around one square root. Stage one, for x clamped to [-1, 1]:
// half = (1 − |x|)/2, exact for |x| ≥ 1/2. Stage two, given root = √half:
//   |x| ≤ 1/2:  arcsin x = series(x),                 arccos x = π/2 − series(x)
//   |x| > 1/2:  arcsin|x| = π/2 − 2·series(root),     arccos x = 2·series(root) (x > 0)
//                                                     or π − 2·series(root) (x < 0)
// The half-angle form keeps full relative accuracy of arccos as x → ±1.
[[gnu::always_inline]] inline double half_gap(double x) { return (1.0 - abs_of(x)) * 0.5; }

[[gnu::always_inline]] inline double arcsin_stage2(double x, double root) {
  const double a = abs_of(x);
  const bool small = a <= 0.5;
  const double p = arcsin_small(small ? a : root);
  const double r = small ? p : kHalfPi - 2.0 * p;
  return x < 0 ? -r : r;
}

[[gnu::always_inline]] inline double arccos_stage2(double x, double root) {
  const double a = abs_of(x);
  const bool small = a <= 0.5;
  const double p = arcsin_small(small ? a : root);
  const double near_zero = kHalfPi - (x < 0 ? -p : p);
  const double near_one = x > 0 ? 2.0 * p : kPi - 2.0 * p;
  return small ? near_zero : near_one;
}

// Work arrays of one block; blocks keep them in L1 whatever length the caller passes.
constexpr std::size_t kBlock = 256;
struct Scratch {
  std::array<double, kBlock> x, root, gap, sine;
};

// relu on one block: x = −ρ so that arccos x = π − θ directly (no cancellation near ρ = −1).
void relu_block(double* __restrict nngp, double* __restrict ntk, const double* __restrict var1,
                const double* __restrict var2, std::size_t len, Scratch& w) {
  double* __restrict x = w.x.data();
  double* __restrict root = w.root.data();
  double* __restrict gap = w.gap.data();
  double* __restrict sine = w.sine.data();
#pragma omp simd
  for (std::size_t i = 0; i < len; ++i) {
    const double prod = var1[i] * var2[i];
    x[i] = prod;
    root[i] = prod > 0 ? prod : 1.0;
    // Σ11Σ22 − Σ12² by Kahan's difference of products: exact to an ulp, and exactly 0 when
    // Σ12 = Σ11 = Σ22 (a plain subtraction, once the compiler fuses it into an FMA, leaves
    // the rounding error of Σ11Σ22 there, and √ of that is 1e-8 of the variance).
    const double c2 = nngp[i] * nngp[i];
    const double c2_error = std::fma(-nngp[i], nngp[i], c2);  // c2 − Σ12² exactly
    sine[i] = max_of(std::fma(var1[i], var2[i], -c2) + c2_error, 0.0);
  }
  sqrt_in_place(root, len);
  sqrt_in_place(sine, len);
#pragma omp simd
  for (std::size_t i = 0; i < len; ++i) {
    // A zero-variance input has ρ = 0, θ = π/2 (neural-tangents' fill value).
    const double minus_rho = x[i] > 0 ? clamp_unit(-nngp[i] / root[i]) : 0.0;
    x[i] = minus_rho;
    gap[i] = half_gap(minus_rho);
  }
  sqrt_in_place(gap, len);
#pragma omp simd
  for (std::size_t i = 0; i < len; ++i) {
    const double pi_minus_theta = arccos_stage2(x[i], gap[i]);
    nngp[i] = (sine[i] + pi_minus_theta * nngp[i]) * kInvTwoPi;
    if (ntk != nullptr) ntk[i] *= pi_minus_theta * kInvTwoPi;
  }
}

void erf_block(double* __restrict nngp, double* __restrict ntk, const double* __restrict var1,
               const double* __restrict var2, std::size_t len, Scratch& w) {
  double* __restrict x = w.x.data();
  double* __restrict root = w.root.data();
  double* __restrict gap = w.gap.data();
  double* __restrict det = w.sine.data();
#pragma omp simd
  for (std::size_t i = 0; i < len; ++i) {
    const double c = nngp[i];
    const double prod = (1.0 + 2.0 * var1[i]) * (1.0 + 2.0 * var2[i]);
    root[i] = prod;
    // prod − 4Σ12² ≥ 1 + 2Σ11 + 2Σ22 by Cauchy–Schwarz; the max only guards rounding.
    det[i] = max_of(prod - 4.0 * c * c, 1e-300);
  }
  sqrt_in_place(root, len);
  sqrt_in_place(det, len);
#pragma omp simd
  for (std::size_t i = 0; i < len; ++i) {
    x[i] = clamp_unit(2.0 * nngp[i] / root[i]);
    gap[i] = half_gap(x[i]);
  }
  sqrt_in_place(gap, len);
#pragma omp simd
  for (std::size_t i = 0; i < len; ++i) {
    nngp[i] = kTwoOverPi * arcsin_stage2(x[i], gap[i]);
    if (ntk != nullptr) ntk[i] *= kFourOverPi / det[i];
  }
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
  Scratch w;
  for (std::size_t i = 0; i < len; i += kBlock)
    relu_block(nngp + i, ntk == nullptr ? nullptr : ntk + i, var1 + i, var2 + i,
               len - i < kBlock ? len - i : kBlock, w);
}

void erf_entries(double* nngp, double* ntk, const double* var1, const double* var2,
                 std::size_t len) {
  Scratch w;
  for (std::size_t i = 0; i < len; i += kBlock)
    erf_block(nngp + i, ntk == nullptr ? nullptr : ntk + i, var1 + i, var2 + i,
              len - i < kBlock ? len - i : kBlock, w);
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
  Scratch w;
  for (std::size_t i0 = 0; i0 < len; i0 += kBlock) {
    const std::size_t n = len - i0 < kBlock ? len - i0 : kBlock;
    double* v = var + i0;
    for (std::size_t i = 0; i < n; ++i) {
      w.x[i] = clamp_unit(2.0 * v[i] / (1.0 + 2.0 * v[i]));
      w.gap[i] = half_gap(w.x[i]);
    }
    sqrt_in_place(w.gap.data(), n);
    for (std::size_t i = 0; i < n; ++i) v[i] = kTwoOverPi * arcsin_stage2(w.x[i], w.gap[i]);
  }
}

}  // namespace ntk::sdk::layers
