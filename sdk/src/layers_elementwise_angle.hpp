// The angle θ = atan2(s, c) ∈ [0, π] of a point (c, s), s ≥ 0, on the unit circle, from both of
// its coordinates: the arc-cosine kernels' θ = arccos ρ with s = sin θ = √(Σ11Σ22 − Σ12²)/√(Σ11Σ22)
// (Kahan's difference of products keeps s exact to an ulp where 1 − |ρ| cancels), erf's arcsin.
// The result is as accurate as s and c are, relative to θ and to π − θ alike (no cancellation as
// θ → 0 or π), and it takes no square root or division: written for vectorised loops (plain
// ternaries, no control flow).
//
// Reduction: with a = |c|, φ = arcsin(min(s, a)) ∈ [0, π/4] (min(s, a) ≤ 1/√2). For φ > π/8,
// φ = π/4 − ψ where sin ψ = sin(π/4 − φ) = (cos φ − sin φ)/√2 = (max(s, a) − min(s, a))/√2. So
// arcsin is only evaluated on [0, sin π/8 = 0.3827], where arcsin y = y + y·z·P(z), z = y²; P is
// the Chebyshev fit of (arcsin √z/√z − 1)/z on [0, sin²(π/8)] (mpmath, 60 digits), degree 9 for
// double (2.1e-17 relative error of arcsin with its coefficients rounded, 0.19 ulp) and 4 for float
// (6.6e-10, 0.01 float ulp). The previous odd Taylor series on [0, 1/2] took 26 terms and a
// square root per entry for the half-angle identity. The bound is checked against long double
// over a dense grid in tests/sdk/layers/arc_angle_test.cpp.
#pragma once

#include <array>
#include <cstddef>
#include <utility>

namespace ntk::sdk::layers::angle {

template <class T>
struct ArcsinPolynomial;
template <>
struct ArcsinPolynomial<double> {  // P(z) = Σ c_k z^k, k = 0 .. 9
  static constexpr std::array<double, 10> c = {
      0.16666666666666655,  0.07500000000017083,  0.04464285710448711,  0.030381947777332136,
      0.022372012607820138, 0.017356444100706213, 0.0139089858872261,   0.012070112265966172,
      0.006925299097334116, 0.016467470525355094};
};
template <>
struct ArcsinPolynomial<float> {  // k = 0 .. 4
  static constexpr std::array<float, 5> c = {0.1666666716337204f, 0.07499893754720688f,
                                             0.044700074940919876f, 0.029317928478121758f,
                                             0.030175207182765007f};
};

template <class T>
[[gnu::always_inline]] inline T min_of(T a, T b) { return a < b ? a : b; }
template <class T>
[[gnu::always_inline]] inline T max_of(T a, T b) { return a > b ? a : b; }
template <class T>
[[gnu::always_inline]] inline T abs_of(T x) { return x < 0 ? -x : x; }

// Horner in z, unrolled at compile time so the caller's loop stays one vectorisable body
// (Estrin's scheme, 5 deep instead of 9, measured no faster in the relu map and half an ulp
// less accurate).
template <class T, std::size_t... K>
[[gnu::always_inline]] inline T horner(T z, std::index_sequence<K...>) {
  constexpr auto& c = ArcsinPolynomial<T>::c;
  constexpr std::size_t n = c.size();
  T q = c[n - 1];
  ((q = q * z + c[n - 2 - K]), ...);
  return q;
}

// arcsin y for 0 ≤ y ≤ sin(π/8), as y + y·z·P(z) so that the leading term is exact.
template <class T>
[[gnu::always_inline]] inline T arcsin_reduced(T y) {
  const T z = y * y;
  return y + y * z * horner(z, std::make_index_sequence<ArcsinPolynomial<T>::c.size() - 1>{});
}

template <class T>
struct AngleConstants {
  static constexpr T pi = T(3.14159265358979323846264338327950288L);
  static constexpr T half_pi = T(1.57079632679489661923132169163975144L);
  static constexpr T quarter_pi = T(0.785398163397448309615660845819875721L);
  static constexpr T sin_pi_8 = T(0.382683432365089771728459984030398867L);
  static constexpr T inv_sqrt2 = T(0.707106781186547524400844362104849039L);
};

// θ = atan2(s, c) for s ≥ 0 (s = c = 0 gives π/2, the arc-cosine kernels' value for a
// zero-variance input; NaN propagates).
template <class T>
[[gnu::always_inline]] inline T arc_angle(T s, T c) {
  using K = AngleConstants<T>;
  const T a = abs_of(c);
  const T lo = min_of(s, a), hi = max_of(s, a);
  const bool far = lo > K::sin_pi_8;
  const T p = arcsin_reduced(far ? (hi - lo) * K::inv_sqrt2 : lo);
  const T phi = far ? K::quarter_pi - p : p;  // arcsin(min(s, a))
  // s ≥ a: φ = arcsin a, θ = π/2 ∓ φ;  s < a: φ = arcsin s, θ = φ or π − φ.
  const T steep = c < 0 ? K::half_pi + phi : K::half_pi - phi;
  const T flat = c < 0 ? K::pi - phi : phi;
  return s >= a ? steep : flat;
}

}  // namespace ntk::sdk::layers::angle
