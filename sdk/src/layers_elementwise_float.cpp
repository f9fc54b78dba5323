#include "layers_elementwise_float.hpp"

#include <array>
#include <cmath>
#include <cstddef>
#include <utility>

#if defined(__AVX512F__) || defined(__AVX__)
#include <immintrin.h>
#endif

namespace ntk::sdk::layers {
namespace {

constexpr float kPi = 3.14159265358979323846f;
constexpr float kHalfPi = kPi / 2;
constexpr float kInvTwoPi = float(1 / (2 * 3.14159265358979323846));
constexpr float kTwoOverPi = float(2 / 3.14159265358979323846);
constexpr float kFourOverPi = float(4 / 3.14159265358979323846);

// arcsin y = Σ_k binom(2k, k)/4^k · y^(2k+1)/(2k+1); on |y| ≤ 1/2 the k-th term is below
// 4^-k, so 12 terms leave a tail under 1e-8 (float eps is 6e-8).
constexpr int kTerms = 12;
constexpr std::array<float, kTerms> series() {
  std::array<float, kTerms> c{};
  double central = 1.0;
  for (int k = 0; k < kTerms; ++k) {
    if (k > 0) central *= (2.0 * k - 1) / (2.0 * k);
    c[k] = float(central / (2.0 * k + 1));
  }
  return c;
}
constexpr std::array<float, kTerms> kSeries = series();

// Horner in z = y², unrolled at compile time (a loop here keeps GCC from vectorising callers).
template <std::size_t... K>
[[gnu::always_inline]] inline float arcsin_tail(float z, std::index_sequence<K...>) {
  float q = kSeries[kTerms - 1];
  ((q = q * z + kSeries[kTerms - 2 - K]), ...);
  return q;
}
[[gnu::always_inline]] inline float arcsin_small(float y) {
  const float z = y * y;
  return y + y * z * arcsin_tail(z, std::make_index_sequence<kTerms - 2>{});
}
[[gnu::always_inline]] inline float abs_of(float x) { return x < 0 ? -x : x; }
[[gnu::always_inline]] inline float clamp_unit(float x) { return x > 1.f ? 1.f : (x < -1.f ? -1.f : x); }
[[gnu::always_inline]] inline float max_of(float a, float b) { return a > b ? a : b; }
[[gnu::always_inline]] inline float half_gap(float x) { return (1.f - abs_of(x)) * 0.5f; }

// As in the double maps: arccos x = 2·arcsin √((1 − x)/2) for |x| > 1/2 keeps relative accuracy.
[[gnu::always_inline]] inline float arccos_stage2(float x, float root) {
  const float a = abs_of(x);
  const bool small = a <= 0.5f;
  const float p = arcsin_small(small ? a : root);
  const float near_zero = kHalfPi - (x < 0 ? -p : p);
  const float near_one = x > 0 ? 2.f * p : kPi - 2.f * p;
  return small ? near_zero : near_one;
}
[[gnu::always_inline]] inline float arcsin_stage2(float x, float root) {
  const float a = abs_of(x);
  const bool small = a <= 0.5f;
  const float p = arcsin_small(small ? a : root);
  const float r = small ? p : kHalfPi - 2.f * p;
  return x < 0 ? -r : r;
}

// std::sqrt does not vectorise without -fno-math-errno (see layers_elementwise.cpp).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
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

constexpr std::size_t kBlock = 512;
struct Scratch {
  alignas(64) std::array<float, kBlock> x, root, gap, sine;
};

void relu_block(float* __restrict nngp, float* __restrict ntk, const float* __restrict var1,
                const float* __restrict var2, std::size_t len, Scratch& w) {
  float* __restrict x = w.x.data();
  float* __restrict root = w.root.data();
  float* __restrict gap = w.gap.data();
  float* __restrict sine = w.sine.data();
#pragma omp simd
  for (std::size_t i = 0; i < len; ++i) {
    const float prod = var1[i] * var2[i];
    x[i] = prod;
    root[i] = prod > 0 ? prod : 1.f;
    const float c2 = nngp[i] * nngp[i];
    const float c2_error = std::fma(-nngp[i], nngp[i], c2);  // Kahan: Σ11Σ22 − Σ12² to an ulp
    sine[i] = max_of(std::fma(var1[i], var2[i], -c2) + c2_error, 0.f);
  }
  sqrt_in_place(root, len);
  sqrt_in_place(sine, len);
#pragma omp simd
  for (std::size_t i = 0; i < len; ++i) {
    const float minus_rho = x[i] > 0 ? clamp_unit(-nngp[i] / root[i]) : 0.f;
    x[i] = minus_rho;
    gap[i] = half_gap(minus_rho);
  }
  sqrt_in_place(gap, len);
#pragma omp simd
  for (std::size_t i = 0; i < len; ++i) {
    const float pi_minus_theta = arccos_stage2(x[i], gap[i]);
    nngp[i] = (sine[i] + pi_minus_theta * nngp[i]) * kInvTwoPi;
    if (ntk != nullptr) ntk[i] *= pi_minus_theta * kInvTwoPi;
  }
}

void erf_block(float* __restrict nngp, float* __restrict ntk, const float* __restrict var1,
               const float* __restrict var2, std::size_t len, Scratch& w) {
  float* __restrict x = w.x.data();
  float* __restrict root = w.root.data();
  float* __restrict gap = w.gap.data();
  float* __restrict det = w.sine.data();
#pragma omp simd
  for (std::size_t i = 0; i < len; ++i) {
    const float c = nngp[i];
    const float prod = (1.f + 2.f * var1[i]) * (1.f + 2.f * var2[i]);
    root[i] = prod;
    det[i] = max_of(prod - 4.f * c * c, 1e-30f);
  }
  sqrt_in_place(root, len);
  sqrt_in_place(det, len);
#pragma omp simd
  for (std::size_t i = 0; i < len; ++i) {
    x[i] = clamp_unit(2.f * nngp[i] / root[i]);
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

void relu_entries(float* nngp, float* ntk, const float* var1, const float* var2,
                  std::size_t len) {
  Scratch w;
  for (std::size_t i = 0; i < len; i += kBlock)
    relu_block(nngp + i, ntk == nullptr ? nullptr : ntk + i, var1 + i, var2 + i,
               len - i < kBlock ? len - i : kBlock, w);
}

void erf_entries(float* nngp, float* ntk, const float* var1, const float* var2,
                 std::size_t len) {
  Scratch w;
  for (std::size_t i = 0; i < len; i += kBlock)
    erf_block(nngp + i, ntk == nullptr ? nullptr : ntk + i, var1 + i, var2 + i,
              len - i < kBlock ? len - i : kBlock, w);
}

}  // namespace ntk::sdk::layers
