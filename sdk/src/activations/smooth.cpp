// Smooth closed forms: Erf, Sin/Cos, Gelu, Gaussian, Exp, Monomial (neural-tangents' stax
// layers of the same names, same parameters and defaults).
#include <algorithm>
#include <cmath>
#include <memory>

#include "activations/closed_forms.hpp"
#include "layers_elementwise.hpp"
#include "layers_elementwise_float.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::sdk::activations {

namespace {

constexpr double kInvSqrtPi = 0.56418958354775628695;    // 1/√π
constexpr double kInvSqrt2Pi = 0.39894228040143267794;   // 1/√(2π)

// NT Erf(a=1, b=1, c=0) (Williams 1997):
//   E[φφ] = (2/π)·arcsin(2Σ12/√((1 + 2Σ11)(1 + 2Σ22))),
//   E[φ'φ'] = (4/π)/√((1 + 2Σ11)(1 + 2Σ22) − 4Σ12²),   E[φ²] = (2/π)·arcsin(2Σ/(1 + 2Σ)).
// Every path runs the vectorised maps of layers_elementwise.hpp.
class Erf final : public Activation {
 public:
  std::string name() const override { return "Erf"; }
  Builtin builtin() const override { return Builtin::erf; }
  double value(double z) const override { return std::erf(z); }
  double derivative(double z) const override { return 2 * kInvSqrtPi * std::exp(-z * z); }
  GaussianExpectations expectations(double s11, double s12, double s22) const override {
    double nngp = s12, ntk = 1.0;
    layers::erf_entries(&nngp, &ntk, &s11, &s22, 1);
    return check_finite({nngp, ntk}, *this, s11, s12, s22);
  }
  double variance(double s) const override {
    layers::erf_variances(&s, 1);
    return s;
  }
  void entries(double* nngp, double* ntk, const double* var1, const double* var2,
               std::size_t len) const override {
    layers::erf_entries(nngp, ntk, var1, var2, len);
  }
  void entries(float* nngp, float* ntk, const float* var1, const float* var2,
               std::size_t len) const override {
    layers::erf_entries(nngp, ntk, var1, var2, len);
  }
  void variances(double* var, std::size_t len) const override {
    layers::erf_variances(var, len);
  }
};

// NT Sin(a, b, c): φ(x) = a·sin(b·x + c); NT Cos(a, b, c) = Sin(a, b, c + π/2). With
// A = b²(Σ11 + Σ22)/2 and x = b²Σ12 (NT's s1, s2 rewritten so nothing cancels or overflows):
//   E[φφ]   = a²·e^{−A}·(cos²c·sinh x + sin²c·cosh x),
//   E[φ'φ'] = a²b²·e^{−A}·(cos²c·cosh x + sin²c·sinh x),
//   E[φ²]   = a²/2·(1 − e^{−2b²Σ}·cos 2c).
// e^{−A}sinh x and e^{−A}cosh x are formed as e^{−(A−|x|)}(1 ∓ e^{−2|x|})/2, A ≥ |x|.
class Sine final : public Activation {
 public:
  Sine(double a, double b, double c, bool cosine) : a_(a), b_(b), c_(c), cosine_(cosine) {
    // (cos², sin²) of the phase: c for Sin, c + π/2 for Cos (swap, exactly).
    const double cc = std::cos(c) * std::cos(c), ss = std::sin(c) * std::sin(c);
    cos2_ = cosine ? ss : cc;
    sin2_ = cosine ? cc : ss;
  }
  std::string name() const override {
    return std::string(cosine_ ? "Cos" : "Sin") + "(a=" + number_text(a_) +
           ", b=" + number_text(b_) + ", c=" + number_text(c_) + ")";
  }
  double value(double z) const override {
    return cosine_ ? a_ * std::cos(b_ * z + c_) : a_ * std::sin(b_ * z + c_);
  }
  double derivative(double z) const override {
    return cosine_ ? -a_ * b_ * std::sin(b_ * z + c_) : a_ * b_ * std::cos(b_ * z + c_);
  }
  GaussianExpectations expectations(double s11, double s12, double s22) const override {
    const double b2 = b_ * b_;
    const double big_a = b2 * (s11 + s22) / 2;
    const double x = std::clamp(b2 * s12, -big_a, big_a);
    const double envelope = std::exp(-(big_a - std::fabs(x)));
    const double sinh_part = std::copysign(envelope * -std::expm1(-2 * std::fabs(x)) / 2, x);
    const double cosh_part = envelope * (1 + std::exp(-2 * std::fabs(x))) / 2;
    const double a2 = a_ * a_;
    return check_finite({a2 * (cos2_ * sinh_part + sin2_ * cosh_part),
                         a2 * b2 * (cos2_ * cosh_part + sin2_ * sinh_part)},
                        *this, s11, s12, s22);
  }
  double variance(double s) const override {
    const double decay = std::exp(-2 * b_ * b_ * s);
    return a_ * a_ * (cos2_ * -std::expm1(-2 * b_ * b_ * s) / 2 + sin2_ * (1 + decay) / 2);
  }

 private:
  double a_, b_, c_;
  bool cosine_;
  double cos2_, sin2_;
};

// NT Gelu (exact: φ(x) = x·Φ(x); Tsuchida et al. 2020, "Avoiding kernel fixed points").
// With P = Σ11Σ22, Q = (1 + Σ11)(1 + Σ22), δ = √(Q − Σ12²), ω = arctan2(Σ12, δ):
//   E[φφ]   = ((Σ12² + P·δ²)/(Q·δ) + Σ12·ω)/(2π) + Σ12/4,
//   E[φ'φ'] = Σ12/(2πδ)·(1/δ² + (1 − P)/Q + 1) + 1/4 + ω/(2π),
//   E[φ²]   = Σ·(1/4 + (Σ/((1 + Σ)√(1 + 2Σ)) + arctan2(Σ, √(1 + 2Σ))/2)/π).
class Gelu final : public Activation {
 public:
  std::string name() const override { return "Gelu"; }
  double value(double z) const override { return 0.5 * z * std::erfc(-z * M_SQRT1_2); }
  double derivative(double z) const override {
    return 0.5 * std::erfc(-z * M_SQRT1_2) + z * kInvSqrt2Pi * std::exp(-z * z / 2);
  }
  GaussianExpectations expectations(double s11, double s12, double s22) const override {
    const double p = s11 * s22, q = (1 + s11) * (1 + s22);
    const double delta2 = std::max(q - s12 * s12, 0.0), delta = std::sqrt(delta2);
    const double omega = std::atan2(s12, delta);
    const double phi = ((s12 * s12 + p * delta2) / (q * delta) + s12 * omega) / (2 * M_PI) +
                       s12 / 4;
    const double dphi = s12 / (2 * M_PI * delta) * (1 / delta2 + (1 - p) / q + 1) + 0.25 +
                        omega / (2 * M_PI);
    return check_finite({phi, dphi}, *this, s11, s12, s22);
  }
  double variance(double s) const override {
    const double root = std::sqrt(1 + 2 * s);
    return s * (0.25 + (s / ((1 + s) * root) + std::atan2(s, root) / 2) / M_PI);
  }
};

// NT Gaussian(a, b): φ(x) = a·exp(b·x²). With d_i = 1 − 2bΣii and D = √(d1·d2 − 4b²Σ12²)
// (= √det(I − 2bΣ)):  E[φφ] = a²/D,  E[φ'φ'] = 4a²b²·Σ12/D³,  E[φ²] = a²/√(1 − 4bΣ).
// For b > 0 the expectation diverges once D² ≤ 0; that is refused with an ntk::Error.
class Gaussian final : public Activation {
 public:
  Gaussian(double a, double b) : a_(a), b_(b) {}
  std::string name() const override {
    return "Gaussian(a=" + number_text(a_) + ", b=" + number_text(b_) + ")";
  }
  double value(double z) const override { return a_ * std::exp(b_ * z * z); }
  double derivative(double z) const override { return 2 * a_ * b_ * z * std::exp(b_ * z * z); }
  GaussianExpectations expectations(double s11, double s12, double s22) const override {
    const double d1 = 1 - 2 * b_ * s11, d2 = 1 - 2 * b_ * s22;
    const double det = d1 * d2 - 4 * b_ * b_ * s12 * s12;
    if (!(d1 > 0 && d2 > 0 && det > 0))
      throw_error("activation ", name(), ": E[φ(u)φ(v)] diverges for variances s11 = ", s11,
                  ", s12 = ", s12, ", s22 = ", s22, " (it needs 1 − 2b·s > 0 and det(I − 2bΣ)",
                  " > 0; use b ≤ 0 or smaller variances)");
    const double root = std::sqrt(det), a2 = a_ * a_;
    return check_finite({a2 / root, 4 * a2 * b_ * b_ * s12 / (root * root * root)}, *this, s11,
                        s12, s22);
  }
  double variance(double s) const override {
    const double d = 1 - 4 * b_ * s;
    if (!(d > 0))
      throw_error("activation ", name(), ": E[φ(u)²] diverges for the variance ", s,
                  " (it needs 1 − 4b·s > 0; use b ≤ 0 or a smaller variance)");
    return a_ * a_ / std::sqrt(d);
  }

 private:
  double a_, b_;
};

// NT Exp(a, b): φ(x) = a·exp(b·x) (the log-normal moments):
//   E[φφ] = a²·exp(b²((Σ11 + Σ22)/2 + Σ12)),  E[φ'φ'] = b²·E[φφ],  E[φ²] = a²·exp(2b²Σ).
class Exponential final : public Activation {
 public:
  Exponential(double a, double b) : a_(a), b_(b) {}
  std::string name() const override {
    return "Exp(a=" + number_text(a_) + ", b=" + number_text(b_) + ")";
  }
  double value(double z) const override { return a_ * std::exp(b_ * z); }
  double derivative(double z) const override { return a_ * b_ * std::exp(b_ * z); }
  GaussianExpectations expectations(double s11, double s12, double s22) const override {
    const double b2 = b_ * b_;
    const double phi = a_ * a_ * std::exp(b2 * ((s11 + s22) / 2 + s12));
    return check_finite({phi, b2 * phi}, *this, s11, s12, s22);
  }
  double variance(double s) const override {
    return check_finite(a_ * a_ * std::exp(2 * b_ * b_ * s), *this, s);
  }

 private:
  double a_, b_;
};

// NT Monomial(n): φ(x) = xⁿ. By Isserlis' theorem (count the pairings with k cross pairs),
//   E[uⁿvⁿ] = Σ_{k ≡ n mod 2} C(n,k)²·k!·((n − k − 1)!!)²·Σ12^k·(Σ11Σ22)^{(n−k)/2},
// which is NT's table (n = 2: 2Σ12² + P; n = 3: 6Σ12³ + 9Σ12·P; …) for every n;
//   E[φ'φ'] = n²·E[u^{n−1}v^{n−1}],  E[φ²] = (2n − 1)!!·Σⁿ.
class Monomial final : public Activation {
 public:
  static constexpr int kMaxDegree = 10;
  explicit Monomial(int degree) : n_(degree) {
    if (degree < 0 || degree > kMaxDegree)
      throw_error("monomial: degree ", degree, " must be in [0, ", kMaxDegree, "]");
  }
  std::string name() const override { return "Monomial(degree=" + std::to_string(n_) + ")"; }
  double value(double z) const override { return std::pow(z, n_); }
  double derivative(double z) const override { return n_ == 0 ? 0.0 : n_ * std::pow(z, n_ - 1); }
  GaussianExpectations expectations(double s11, double s12, double s22) const override {
    const double p = s11 * s22;
    const double dphi = n_ == 0 ? 0.0 : double(n_) * n_ * moment(n_ - 1, s12, p);
    return check_finite({moment(n_, s12, p), dphi}, *this, s11, s12, s22);
  }
  double variance(double s) const override {
    return check_finite(double_factorial(2 * n_ - 1) * std::pow(s, n_), *this, s);
  }

 private:
  static double double_factorial(int m) {
    double r = 1;
    for (int k = m; k > 1; k -= 2) r *= k;
    return r;
  }
  // E[uⁿvⁿ] from Σ12 and P = Σ11Σ22.
  static double moment(int n, double s12, double p) {
    double total = 0, binomial = 1, factorial = 1;  // C(n, k), k!
    for (int k = 0; k <= n; ++k) {
      if (k > 0) {
        binomial = binomial * (n - k + 1) / k;
        factorial *= k;
      }
      if ((n - k) % 2 != 0) continue;
      const double pairings = double_factorial(n - k - 1);
      total += binomial * binomial * factorial * pairings * pairings * std::pow(s12, k) *
               std::pow(p, (n - k) / 2);
    }
    return total;
  }
  int n_;
};

}  // namespace

ActivationPtr erf() { return std::make_shared<Erf>(); }
ActivationPtr sine(double a, double b, double c, bool cosine) {
  return std::make_shared<Sine>(a, b, c, cosine);
}
ActivationPtr gelu() { return std::make_shared<Gelu>(); }
ActivationPtr gaussian(double a, double b) { return std::make_shared<Gaussian>(a, b); }
ActivationPtr exponential(double a, double b) { return std::make_shared<Exponential>(a, b); }
ActivationPtr monomial(int degree) { return std::make_shared<Monomial>(degree); }

}  // namespace ntk::sdk::activations
