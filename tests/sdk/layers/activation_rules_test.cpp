// The entry-wise activation rules against independent truths: long-double arccos/arcsin, and
// E[φ(u)φ(v)], E[φ'(u)φ'(v)] by 2-D quadrature (gaussian_quadrature.hpp).
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <vector>

#include "gaussian_quadrature.hpp"
#include "layers_elementwise.hpp"

namespace layers = ntk::sdk::layers;

namespace {

double relu(double x) { return x > 0 ? x : 0.0; }
double step(double x) { return x > 0 ? 1.0 : 0.0; }
double erf_prime(double x) { return 2.0 / std::sqrt(M_PI) * std::exp(-x * x); }

struct Case {
  double s11, s22, rho;
};
// Variances from small to large, correlations across (−1, 1) and at both ends.
const std::vector<Case> kCases = {
    {1.0, 1.0, 0.0},    {1.0, 1.0, 0.5},    {1.0, 1.0, -0.5},  {2.0, 0.5, 0.9},
    {0.3, 1.7, -0.9},   {1.0, 1.0, 0.999},  {4.0, 0.25, -0.999}, {1.0, 1.0, 1.0},
    {2.5, 2.5, -1.0},   {0.01, 3.0, 0.3},   {10.0, 0.1, 0.7},   {1.0, 1.0, 0.99999},
};

void check_rule(void (*rule)(double*, double*, const double*, const double*, std::size_t),
                double (*phi)(double), double (*dphi)(double), const char* name) {
  double worst_nngp = 0, worst_ntk = 0;
  for (const Case& c : kCases) {
    const double s12 = c.rho * std::sqrt(c.s11 * c.s22);
    double nngp = s12, ntk = 1.0;
    rule(&nngp, &ntk, &c.s11, &c.s22, 1);
    const double truth_nngp = ntk::test::gaussian_expectation(phi, phi, c.s11, c.s22, c.rho);
    const double truth_ntk = ntk::test::gaussian_expectation(dphi, dphi, c.s11, c.s22, c.rho);
    // Relative where the value is not ~0 (relu at ρ = −1 has E[φφ] = E[φ'φ'] = 0).
    const double e1 = std::fabs(nngp - truth_nngp) / std::max(std::fabs(truth_nngp), 1e-3);
    const double e2 = std::fabs(ntk - truth_ntk) / std::max(std::fabs(truth_ntk), 1e-3);
    INFO(name << " s11=" << c.s11 << " s22=" << c.s22 << " rho=" << c.rho << ": nngp " << nngp
              << " vs " << truth_nngp << ", ntk factor " << ntk << " vs " << truth_ntk);
    CHECK(e1 < 1e-10);
    CHECK(e2 < 1e-10);
    worst_nngp = std::max(worst_nngp, e1);
    worst_ntk = std::max(worst_ntk, e2);
  }
  std::printf("%s vs quadrature: worst relative error nngp %.2e, derivative kernel %.2e\n", name,
              worst_nngp, worst_ntk);
}

}  // namespace

TEST_CASE("arc_cosine and arc_sine agree with long double to a few ulps", "[layers]") {
  double worst = 0;
  for (int i = 0; i <= 200000; ++i) {
    const double x = -1.0 + i * 1e-5;
    const long double c = acosl(x), s = asinl(x);
    worst = std::max(worst, double(std::fabs((layers::arc_cosine(x) - c) / c)));
    if (s != 0) worst = std::max(worst, double(std::fabs((layers::arc_sine(x) - s) / s)));
  }
  // Near ±1, where arccos is ill-conditioned in x but must stay accurate in 1 − x.
  for (double gap : {1e-16, 1e-12, 1e-8, 1e-4}) {
    const double x = 1.0 - gap;
    worst = std::max(worst, double(std::fabs((layers::arc_cosine(x) - acosl(x)) / acosl(x))));
  }
  std::printf("arc_cosine/arc_sine worst relative error %.2e\n", worst);
  CHECK(worst < 1e-15);
  CHECK(layers::arc_cosine(1.5) == 0.0);  // clamped
  CHECK(layers::arc_sine(-2.0) == Approx(-M_PI / 2).epsilon(1e-16));
}

TEST_CASE("relu rule equals E[relu(u)relu(v)] and E[step(u)step(v)] by quadrature", "[layers]") {
  check_rule(&layers::relu_entries, &relu, &step, "relu");
}

TEST_CASE("erf rule equals E[erf(u)erf(v)] and E[erf'(u)erf'(v)] by quadrature", "[layers]") {
  check_rule(&layers::erf_entries, [](double x) { return std::erf(x); }, &erf_prime, "erf");
}

TEST_CASE("hand-checked values", "[layers]") {
  // relu, orthogonal unit-variance inputs: ρ = 0, θ = π/2: Σ = 1/(2π), Θ factor 1/4.
  double nngp = 0.0, ntk = 1.0, one = 1.0;
  layers::relu_entries(&nngp, &ntk, &one, &one, 1);
  CHECK(nngp == Approx(1.0 / (2 * M_PI)).epsilon(1e-15));
  CHECK(ntk == Approx(0.25).epsilon(1e-15));
  // relu on the diagonal halves the variance; the derivative kernel is 1/2.
  nngp = 3.0, ntk = 2.0;
  const double three = 3.0;
  layers::relu_entries(&nngp, &ntk, &three, &three, 1);
  CHECK(nngp == Approx(1.5).epsilon(1e-15));
  CHECK(ntk == Approx(1.0).epsilon(1e-15));
  // erf at Σ11 = Σ22 = Σ12 = 1: (2/π)·arcsin(2/3) and (4/π)/√5.
  nngp = 1.0, ntk = 1.0;
  layers::erf_entries(&nngp, &ntk, &one, &one, 1);
  CHECK(nngp == Approx(2 / M_PI * std::asin(2.0 / 3.0)).epsilon(1e-15));
  CHECK(ntk == Approx(4 / (M_PI * std::sqrt(5.0))).epsilon(1e-15));
  // A zero-variance input: θ = π/2 as in neural-tangents, Σ = 0, Θ factor 1/4.
  double zero = 0.0;
  nngp = 0.0, ntk = 1.0;
  layers::relu_entries(&nngp, &ntk, &zero, &one, 1);
  CHECK(nngp == 0.0);
  CHECK(ntk == Approx(0.25).epsilon(1e-15));
}

TEST_CASE("variance rules are the entry rules on the diagonal", "[layers]") {
  std::vector<double> v = {1e-6, 0.1, 0.5, 1.0, 3.0, 1e3}, relu_v = v, erf_v = v;
  layers::relu_variances(relu_v.data(), v.size());
  layers::erf_variances(erf_v.data(), v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    double r = v[i], e = v[i];
    layers::relu_entries(&r, nullptr, &v[i], &v[i], 1);
    layers::erf_entries(&e, nullptr, &v[i], &v[i], 1);
    CHECK(relu_v[i] == Approx(r).epsilon(1e-15));
    CHECK(erf_v[i] == Approx(e).epsilon(1e-15));
  }
}

TEST_CASE("long arrays give the same values as single entries (vector and scalar paths)",
          "[layers]") {
  const std::size_t n = 1000;  // several blocks plus a tail
  std::vector<double> c(n), t(n, 1.0), v1(n), v2(n);
  for (std::size_t i = 0; i < n; ++i) {
    v1[i] = 0.5 + 0.01 * double(i % 37);
    v2[i] = 1.5 - 0.01 * double(i % 23);
    c[i] = std::sin(0.37 * double(i)) * std::sqrt(v1[i] * v2[i]);
  }
  for (auto rule : {&layers::relu_entries, &layers::erf_entries}) {
    std::vector<double> cc = c, tt = t;
    rule(cc.data(), tt.data(), v1.data(), v2.data(), n);
    for (std::size_t i = 0; i < n; i += 7) {
      double ci = c[i], ti = 1.0;
      rule(&ci, &ti, &v1[i], &v2[i], 1);
      CHECK(cc[i] == Approx(ci).epsilon(1e-15));
      CHECK(tt[i] == Approx(ti).epsilon(1e-15));
    }
  }
}
