// The angle function behind the arc-cosine and erf maps (layers_elementwise_angle.hpp) and the
// relu map built on it, against long double over dense grids: the arcsin polynomial's error
// bound on its reduced range, atan2 of points of the unit circle near θ = 0, π/2 and π, and
// the relu NNGP and NTK factor near ρ = ±1, where √(1 − ρ²) and π − θ must keep their relative
// accuracy. The truth is evaluated on the same (rounded) inputs, so the bounds are the maps'
// own errors, in units of 2^-53 (double) or 2^-24 (float).
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <vector>

#include "layers_elementwise.hpp"
#include "layers_elementwise_angle.hpp"

namespace layers = ntk::sdk::layers;
namespace angle = ntk::sdk::layers::angle;

namespace {

constexpr double kUlp = 0x1p-53;   // half an ulp of 1: relative rounding of double
constexpr double kFloatUlp = 0x1p-24;
const long double kPi = 3.141592653589793238462643383279502884L;

double relative(long double value, long double truth) {
  return truth == 0 ? double(std::fabs(value)) : double(std::fabs((value - truth) / truth));
}

// Σ11Σ22 − Σ12² of doubles, to about 2^-64 relative: exact products by FMA (p + pe), and the
// differences in long double (p − q is exact where it cancels, by Sterbenz's lemma).
long double exact_gap(double s11, double s22, double c) {
  const double p = s11 * s22, pe = std::fma(s11, s22, -p);
  const double q = c * c, qe = std::fma(c, c, -q);
  const long double d = ((long double)p - q) + ((long double)pe - qe);
  return d > 0 ? d : 0;
}

}  // namespace

TEST_CASE("the arcsin polynomial is within an ulp on its reduced range [0, sin(pi/8)]",
          "[layers][angle]") {
  const double top = double(angle::AngleConstants<long double>::sin_pi_8);
  double worst = 0, worst_float = 0;
  const int points = 1000000;
  for (int i = 1; i <= points; ++i) {
    const double y = top * i / points;
    worst = std::max(worst, relative(angle::arcsin_reduced(y), asinl(y)));
    const float yf = float(y);
    worst_float = std::max(worst_float, relative(angle::arcsin_reduced(yf), asinl(yf)));
  }
  std::printf("arcsin on [0, sin pi/8]: worst %.2f ulp (double), %.2f ulp (float)\n",
              worst / kUlp, worst_float / kFloatUlp);
  // The fit's own error is 0.19 (double) and 0.01 (float); the rest is the rounding of the
  // result (up to 1 in these units where its mantissa is near 1) and of Horner's steps.
  CHECK(worst < 1.5 * kUlp);
  CHECK(worst_float < 1.5 * kFloatUlp);
  CHECK(angle::arcsin_reduced(0.0) == 0.0);
}

TEST_CASE("arc_angle is atan2 of the rounded point to a few ulps, also as theta -> 0 and pi",
          "[layers][angle]") {
  double worst = 0, worst_float = 0;
  auto check = [&](long double theta) {
    const double s = double(fabsl(sinl(theta))), c = double(cosl(theta));  // sinl(π) may be < 0
    worst = std::max(worst, relative(angle::arc_angle(s, c), atan2l(s, c)));
    const float sf = float(s), cf = float(c);
    worst_float = std::max(worst_float, relative(angle::arc_angle(sf, cf), atan2l(sf, cf)));
  };
  const int points = 1000000;
  for (int i = 0; i <= points; ++i) check(kPi * i / points);
  for (int k = 1; k <= 300; ++k) {  // θ = 10^-k/10 .. 1e-30 from both ends
    const long double small = powl(10.0L, -k / 10.0L);
    check(small);
    check(kPi - small);
    check(kPi / 2 - small);
    check(kPi / 4 + small);
  }
  std::printf("arc_angle: worst %.2f ulp (double), %.2f ulp (float)\n", worst / kUlp,
              worst_float / kFloatUlp);
  // Measured: 3.8 (double) and 3.75 (float), the worst just above θ = π/8, where the rotation
  // (cos φ − sin φ)/√2 brings in the rounding of cos φ; elsewhere 1-2.
  CHECK(worst < 6.0 * kUlp);
  CHECK(worst_float < 6.0 * kFloatUlp);
  // Exact values: the axes, and a zero-variance input's (0, 0) → π/2.
  CHECK(angle::arc_angle(0.0, 1.0) == 0.0);
  CHECK(angle::arc_angle(0.0, -1.0) == double(kPi));
  CHECK(angle::arc_angle(1.0, 0.0) == double(kPi / 2));
  CHECK(angle::arc_angle(0.0, 0.0) == double(kPi / 2));
  CHECK(std::isnan(angle::arc_angle(std::nan(""), std::nan(""))));
}

TEST_CASE("relu_entries and relu_column keep their accuracy near rho = +-1", "[layers][angle]") {
  std::vector<double> rhos;
  for (int i = -2000; i <= 2000; ++i) rhos.push_back(i / 2000.0);
  for (int k = 1; k <= 16; ++k)
    for (double sign : {1.0, -1.0}) rhos.push_back(sign * (1 - std::pow(10.0, -k)));
  double worst_nngp = 0, worst_factor = 0, worst_near = 0;
  for (double s11 : {1.0, 0.3, 7.0, 1e-3})
    for (double s22 : {1.0, 2.5, 1e3})
      for (double rho : rhos) {
        const double c = rho * std::sqrt(s11 * s22);
        const long double gap = exact_gap(s11, s22, c), sine = sqrtl(gap);
        // π − θ = atan2(sin θ, −cos θ): no cancellation as θ → π (π − atan2l(sine, c) would
        // leave long double's rounding of θ, 1e-19, relative to π − θ).
        const long double pi_minus_theta = atan2l(sine, -(long double)c);
        const long double nngp = (sine + pi_minus_theta * c) / (2 * kPi);
        const long double factor = pi_minus_theta / (2 * kPi);
        const long double scale = sqrtl((long double)s11 * s22);
        double r1 = 0, r2 = 0;
        layers::inverse_roots(&s11, &r1, 1);
        layers::inverse_roots(&s22, &r2, 1);
        for (bool column : {false, true}) {
          double out = c, t = 1;
          if (column) layers::relu_column(&out, &t, &s11, &r1, s22, r2, 1);
          else layers::relu_entries(&out, &t, &s11, &s22, 1);
          INFO("s11 " << s11 << " s22 " << s22 << " rho " << rho << (column ? " column" : ""));
          // The NNGP against its scale √(Σ11Σ22): near ρ = −1 it is a difference of two
          // nearly equal terms (≈ √(Σ11Σ22)·(π − θ)³/(3π)), so only the absolute error is an ulp's.
          const double e_nngp = double(std::fabs(out - nngp) / scale);
          const double e_factor = relative(t, factor);
          worst_nngp = std::max(worst_nngp, e_nngp);
          worst_factor = std::max(worst_factor, e_factor);
          if (std::fabs(rho) > 0.999) worst_near = std::max(worst_near, e_factor);
          CHECK(e_nngp < 3 * kUlp);
          CHECK(e_factor < 8 * kUlp);
        }
      }
  std::printf("relu vs long double: NNGP %.2f ulp of sqrt(s11 s22), NTK factor %.2f ulp "
              "(%.2f ulp at |rho| > 0.999)\n",
              worst_nngp / kUlp, worst_factor / kUlp, worst_near / kUlp);
}

TEST_CASE("relu_column equals relu_entries to a few ulps on long columns, zero variances "
          "included", "[layers][angle]") {
  const std::size_t n = 1000;  // several blocks plus a tail
  std::vector<double> c(n), v1(n), r1(n);
  const double v2 = 1.7;
  for (std::size_t i = 0; i < n; ++i) {
    v1[i] = i % 101 == 0 ? 0.0 : 0.5 + 0.01 * double(i % 37);
    c[i] = v1[i] == 0 ? 0.0 : std::sin(0.37 * double(i)) * std::sqrt(v1[i] * v2);
  }
  layers::inverse_roots(v1.data(), r1.data(), n);
  const std::vector<double> second(n, v2);
  std::vector<double> a = c, ta(n, 1.0), b = c, tb(n, 1.0);
  layers::relu_entries(a.data(), ta.data(), v1.data(), second.data(), n);
  layers::relu_column(b.data(), tb.data(), v1.data(), r1.data(), v2, 1 / std::sqrt(v2), n);
  for (std::size_t i = 0; i < n; ++i) {
    INFO("entry " << i);
    CHECK(std::fabs(a[i] - b[i]) <= 4 * kUlp * std::sqrt(std::max(v1[i], 1e-300) * v2));
    CHECK(std::fabs(ta[i] - tb[i]) <= 8 * kUlp * ta[i]);
    if (v1[i] == 0) {  // θ = π/2: Σ = 0, Θ factor 1/4
      CHECK(b[i] == 0.0);
      CHECK(tb[i] == Approx(0.25).epsilon(1e-15));
    }
  }
}
