// The 16 lanes of a float32 conv tile as one value (GCC/Clang vector extension: one AVX-512
// register where the target has it, split by the compiler otherwise), and the ReLU kernel map
// on them (layers_conv_fused.cpp).
//
// The ReLU map (Cho & Saul 2009; neural-tangents' Relu), with ρ = Σ12/√(Σ11Σ22):
//   Σ ← √(Σ11Σ22)·J(ρ),  J(ρ) = (√(1 − ρ²) + (π − θ)ρ)/(2π),   Θ ← Θ·(π − θ)/(2π),  θ = arccos ρ.
// Here ρ = Σ12·(1/√Σ11)·(1/√Σ22) from per-pixel roots computed once per example, so a pixel
// pair costs no square root of Σ11Σ22, no division, and no rescaling: ρ and √Σ11·√Σ22 are in
// range whenever the variances are (layers_conv_range.hpp), unlike the product Σ11Σ22. With
// a = |ρ| and v = ρ (a ≤ 1/2) or v = u = √((1 − a)/2) (a > 1/2), |v| ≤ 1/2 in both cases and
//   arcsin v  by Cephes' single-precision polynomial (asinf.c, S. Moshier: relative error
//             2.5e-7 on [0, 1/2]),
//   a ≤ 1/2:  arcsin ρ = arcsin v,            √(1 − ρ²) = √(1 − v²)
//   a > 1/2:  arcsin a = π/2 − 2·arcsin u,    √(1 − ρ²) = 2u·√(1 − u²)   (1 − a² = 4u²(1 − u²))
// so (π − θ)/(2π) = 1/4 + arcsin(ρ)/(2π) is formed without cancellation near ρ = −1
// (= arcsin(u)/π) and √(1 − ρ²) keeps its relative accuracy near ρ = ±1 (relu16 below has
// the per-branch forms). J is then accurate to a few float ulps of its terms at the rounded
// ρ, and J'(ρ) = (π − θ)/(2π) ≤ 1 bounds what ρ's rounding (3 ulps) costs; (π − θ) itself has
// an infinite slope at ρ = ±1, where any float map inherits ρ's rounding. The two square roots
// take the reciprocal-root estimate plus one Newton step (about 2 ulps), far cheaper than the
// vector square root instruction. About 38 vector operations per 16 pixel pairs.
#pragma once

#include <cmath>
#include <cstring>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace ntk::sdk::layers::detail {

using F16 = float __attribute__((vector_size(64)));  // the 16 lanes of a tile
using M16 = int __attribute__((vector_size(64)));    // a lane mask: −1 (true) or 0

// (Not F16{} + x: 0 + x is not x for x = −0, so the compiler keeps the addition.)
[[gnu::always_inline]] inline F16 splat(float x) {
#if defined(__AVX512F__)
  return reinterpret_cast<F16>(_mm512_set1_ps(x));
#else
  F16 v;
  for (int i = 0; i < 16; ++i) v[i] = x;
  return v;
#endif
}
[[gnu::always_inline]] inline F16 load16(const float* p) {
  F16 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
[[gnu::always_inline]] inline void store16(float* p, F16 v) { std::memcpy(p, &v, sizeof v); }
[[gnu::always_inline]] inline F16 min16(F16 a, F16 b) { return a < b ? a : b; }
[[gnu::always_inline]] inline F16 max16(F16 a, F16 b) { return a > b ? a : b; }
[[gnu::always_inline]] inline F16 abs16(F16 a) {
  return reinterpret_cast<F16>(reinterpret_cast<M16>(a) & 0x7fffffff);
}

// 1/√x for normal x > 0, within about 2 ulps.
[[gnu::always_inline]] inline F16 rsqrt16(F16 x) {
#if defined(__AVX512F__)
  // The 2^-14 estimate, then one Newton step r·(3 − x·r²)/2: error (3/2)·2^-28 plus rounding.
  // (maskz: the unmasked form trips a GCC 12 -Wmaybe-uninitialized false positive.)
  const F16 r = reinterpret_cast<F16>(_mm512_maskz_rsqrt14_ps(0xffff, reinterpret_cast<__m512>(x)));
  return r * (splat(1.5f) - splat(0.5f) * x * r * r);
#else
  F16 r;
  for (int i = 0; i < 16; ++i) r[i] = 1.0f / std::sqrt(x[i]);
  return r;
#endif
}

// arcsin(v)/π for |v| ≤ 1/2, z = v²: Cephes' asinf.c polynomial, arcsin v = v + v·z·P(z),
// with 1/π folded into its coefficients.
[[gnu::always_inline]] inline F16 arcsin_over_pi16(F16 v, F16 z) {
  constexpr double inv_pi = 0.318309886183790671538;
  F16 p = splat(float(4.2163199048e-2 * inv_pi));
  p = p * z + splat(float(2.4181311049e-2 * inv_pi));
  p = p * z + splat(float(4.5470025998e-2 * inv_pi));
  p = p * z + splat(float(7.4953002686e-2 * inv_pi));
  p = p * z + splat(float(1.6666752422e-1 * inv_pi));
  p = p * z + splat(float(inv_pi));
  return v * p;
}

// The ReLU map on 16 pixel pairs: c = Σ12 becomes the new Σ12, theta the new Θ (when
// with_ntk). inv1, inv2 = 1/√Σ11, 1/√Σ22 (0 for a zero variance: ρ = 0, θ = π/2, as
// neural-tangents fills it), root1, root2 = √Σ11, √Σ22. With `diagonal`, its lanes are pairs
// of a pixel with itself in the same example: ρ = 1 exactly there (Σ ← Σ/2, Θ ← Θ/2), not
// the rounded Σ12/√(Σ11Σ22). A non-finite Σ12 gives a non-finite Σ (through ρ, which is
// clamped only where the arcsine reads it), which the engine's checks report.
// In the terms above, with κ0 = (π − θ)/(2π) and q = arcsin(v)/π:
//   a ≤ 1/2 (v = ρ):       κ0 = 1/4 + q/2,                  √(1 − ρ²)/(2π) = √(1 − z)/(2π)
//   a > 1/2 (v = u):       κ0 = 1/2 − q (ρ > 0), q (ρ < 0),   √(1 − ρ²)/(2π) = (u/π)·√(1 − z)
//   Σ ← √Σ11·√Σ22·(√(1 − ρ²)/(2π) + κ0·ρ),   Θ ← Θ·κ0.
template <bool with_ntk, bool with_diagonal>
[[gnu::always_inline]] inline void relu16(F16& c, F16& theta, F16 inv1, F16 inv2, F16 root1,
                                          F16 root2, M16 diagonal) {
  const F16 one = splat(1.0f), half = splat(0.5f);
  constexpr double pi = 3.14159265358979323846;
  F16 rho = c * inv1 * inv2;
  if constexpr (with_diagonal) rho = diagonal ? one : rho;
  const F16 a = min16(abs16(rho), one);
  const M16 small = a <= half;
  // (1 − a)/2 is exact for a ≥ 1/2; the floor keeps the reciprocal root finite at ρ = ±1.
  const F16 gap = max16(half - half * a, splat(1e-30f));
  const F16 u = gap * rsqrt16(gap);
  const F16 v = small ? rho : u;
  const F16 z = v * v;
  const F16 q = arcsin_over_pi16(v, z);
  const F16 kappa_large = rho > splat(0.0f) ? half - q : q;
  const F16 kappa = small ? splat(0.25f) + half * q : kappa_large;
  const F16 cos_v = (one - z) * rsqrt16(one - z);  // √(1 − v²), 1 − v² ∈ [3/4, 1]
  const F16 sine = (small ? splat(float(0.5 / pi)) : u * splat(float(1 / pi))) * cos_v;
  c = root1 * root2 * (sine + kappa * rho);
  if constexpr (with_ntk) theta = theta * kappa;
}

}  // namespace ntk::sdk::layers::detail
