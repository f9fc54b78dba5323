// Closed forms with a kink at 0: Relu, ABRelu (leaky_relu, abs), Sign, RectifiedMonomial.
//
// All use the angle θ = arccos ρ between the two pre-activations, ρ = Σ12/√(Σ11Σ22), with
// sin θ from Kahan's difference of products √(Σ11Σ22 − Σ12²)/√(Σ11Σ22) (accurate as ρ → ±1).
// A zero variance gives θ = π/2 (ρ = 0), neural-tangents' fill value, as the relu map does.
// Nothing is formed as Σ11·Σ22 (which over/underflows at variances near 1e±154): the closed
// forms are homogeneous, so they are computed on power-of-two rescaled variances.
#include <algorithm>
#include <cmath>
#include <memory>

#include "activations/closed_forms.hpp"
#include "layers_elementwise.hpp"
#include "layers_elementwise_float.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::sdk::activations {

namespace {

// e with v = m·4^e, m ∈ [1, 4): dividing by 4^e is exact and keeps √ exact.
int half_exponent(double v) {
  const int k = std::ilogb(v);
  return k >= 0 ? k / 2 : -((1 - k) / 2);
}

// √(s11·s22 − s12²) ≥ 0, exact to an ulp (the relu map's difference of products). Formed on
// s11/4^e1, s22/4^e2, s12/2^(e1+e2) and scaled back by 2^(e1+e2), all exact, so neither
// s11·s22 nor s12² over- or underflows while the inputs and the result are doubles.
double root_det(double s11, double s12, double s22) {
  int e = 0;
  if (s11 > 0 && s22 > 0 && std::isfinite(s11) && std::isfinite(s22)) {
    const int e1 = half_exponent(s11), e2 = half_exponent(s22);
    s11 = std::ldexp(s11, -2 * e1);
    s22 = std::ldexp(s22, -2 * e2);
    e = e1 + e2;
    s12 = std::ldexp(s12, -e);
  }
  const double c2 = s12 * s12;
  const double c2_error = std::fma(-s12, s12, c2);
  return std::ldexp(std::sqrt(std::max(std::fma(s11, s22, -c2) + c2_error, 0.0)), e);
}

// θ ∈ [0, π] from Σ12 and √det, with θ = π/2 when a variance is 0 (a ratio: scale-free).
double angle(double s11, double s12, double s22, double det_root) {
  return s11 > 0 && s22 > 0 ? std::atan2(det_root, s12) : M_PI / 2;
}

// NT Relu = ABRelu(0, 1) (Cho & Saul 2009, arc-cosine kernels of degree 1 and 0):
//   E[φφ] = (√(Σ11Σ22 − Σ12²) + (π − θ)Σ12)/(2π),  E[φ'φ'] = (π − θ)/(2π),  E[φ²] = Σ/2.
// Every path runs the vectorised maps of layers_elementwise.hpp, so the scalar and array
// answers are the same numbers.
class Relu final : public Activation {
 public:
  std::string name() const override { return "Relu"; }
  Builtin builtin() const override { return Builtin::relu; }
  double value(double z) const override { return z > 0 ? z : 0.0; }
  double derivative(double z) const override { return z > 0 ? 1.0 : 0.0; }
  GaussianExpectations expectations(double s11, double s12, double s22) const override {
    double nngp = s12, ntk = 1.0;
    layers::relu_entries(&nngp, &ntk, &s11, &s22, 1);
    return check_finite({nngp, ntk}, *this, s11, s12, s22);
  }
  double variance(double s) const override {
    layers::relu_variances(&s, 1);
    return s;
  }
  void entries(double* nngp, double* ntk, const double* var1, const double* var2,
               std::size_t len) const override {
    layers::relu_entries(nngp, ntk, var1, var2, len);
  }
  void entries(float* nngp, float* ntk, const float* var1, const float* var2,
               std::size_t len) const override {
    layers::relu_entries(nngp, ntk, var1, var2, len);
  }
  void variances(double* var, std::size_t len) const override {
    layers::relu_variances(var, len);
  }
};

// NT ABRelu(a, b): φ(x) = a·min(x, 0) + b·max(x, 0) (Pedamonti 2018 / Tsuchida et al. 2017):
//   E[φ'φ'] = (a² + b²)/2 − (a − b)²θ/(2π),
//   E[φφ]   = (a − b)²/(2π)·√(Σ11Σ22 − Σ12²) + E[φ'φ']·Σ12,   E[φ²] = (a² + b²)/2·Σ.
class ABRelu final : public Activation {
 public:
  ABRelu(double a, double b, std::string name) : a_(a), b_(b), name_(std::move(name)) {}
  std::string name() const override { return name_; }
  double value(double z) const override { return z > 0 ? b_ * z : a_ * z; }
  double derivative(double z) const override { return z > 0 ? b_ : (z < 0 ? a_ : 0.0); }
  GaussianExpectations expectations(double s11, double s12, double s22) const override {
    const double det_root = root_det(s11, s12, s22);
    const double theta = angle(s11, s12, s22, det_root);
    const double factor = (a_ - b_) * (a_ - b_) / (2 * M_PI);
    const double dot = (a_ * a_ + b_ * b_) / 2 - factor * theta;
    return check_finite({factor * det_root + dot * s12, dot}, *this, s11, s12, s22);
  }
  double variance(double s) const override { return (a_ * a_ + b_ * b_) / 2 * s; }

 private:
  double a_, b_;
  std::string name_;
};

// NT Sign: E[sign(u)sign(v)] = 1 − 2θ/π = (2/π)·arcsin ρ, E[sign(u)²] = 1 (0 at zero variance).
// φ' is 2δ(x): E[φ'(u)φ'(v)] = 2/(π√(Σ11Σ22 − Σ12²)) is infinite on the diagonal, so there is
// no NTK and has_ntk() is false. neural-tangents instead sets the NTK to 0 (autodiff's φ' = 0);
// expectations().dphi returns that 0, so a caller that multiplies anyway gets NT's numbers.
class Sign final : public Activation {
 public:
  std::string name() const override { return "Sign"; }
  double value(double z) const override { return z > 0 ? 1.0 : (z < 0 ? -1.0 : 0.0); }
  double derivative(double) const override { return 0.0; }
  GaussianExpectations expectations(double s11, double s12, double s22) const override {
    // (2/π)(π/2 − θ) as (2/π)·atan2(Σ12, √det): no cancellation near ρ = 0.
    const double det_root = root_det(s11, s12, s22);
    const double phi = s11 > 0 && s22 > 0 ? (2 / M_PI) * std::atan2(s12, det_root) : 0.0;
    return check_finite({phi, 0.0}, *this, s11, s12, s22);
  }
  double variance(double s) const override { return s == 0 ? 0.0 : 1.0; }
  bool has_ntk() const override { return false; }
};

// NT RectifiedMonomial(n): φ(x) = (x ≥ 0)·xⁿ, Cho & Saul's arc-cosine kernel of degree n:
//   E[φ(u)φ(v)] = (Σ11Σ22)^{n/2}·J_n(θ)/(2π),
//   J_n(θ) = n!·∫_0^{π−θ} (cos θ + cos β)ⁿ dβ = n!·Σ_k C(n,k)·cosθ^{n−k}·∫_0^{π−θ} cos^k β dβ
// (the polar form of the Gaussian integral; equal to Cho & Saul's derivative formula, e.g.
// J_1 = sin θ + (π − θ)cos θ). φ' = n·x^{n−1}·(x > 0), so by Price's theorem
//   E[φ'(u)φ'(v)] = n²·(Σ11Σ22)^{(n−1)/2}·J_{n−1}(θ)/(2π),
// which is what NT's autodiff of J_n in Σ12 gives. Degree 0 (a step): φ' is a Dirac delta; NT
// sets the NTK factor to 0, so does this (has_ntk() is false, as for Sign).
// E[φ(u)²] = (2n − 1)!!·Σⁿ/2 (NT's diagonal, 1/2 for n = 0 even at Σ = 0).
class RectifiedMonomial final : public Activation {
 public:
  static constexpr int kMaxDegree = 10;
  explicit RectifiedMonomial(int degree) : n_(degree) {
    if (degree < 0 || degree > kMaxDegree)
      throw_error("rectified_monomial: degree ", degree, " must be in [0, ", kMaxDegree, "]");
  }
  std::string name() const override { return "RectifiedMonomial(degree=" + std::to_string(n_) + ")"; }
  double value(double z) const override { return z >= 0 ? std::pow(z, n_) : 0.0; }
  double derivative(double z) const override {
    return n_ > 0 && z > 0 ? n_ * std::pow(z, n_ - 1) : 0.0;
  }
  GaussianExpectations expectations(double s11, double s12, double s22) const override {
    // Σ11Σ22 as a product only where it is a normal double far from the limits; outside,
    // √(Σ11Σ22) as √Σ11·√Σ22 and its powers as products of powers, so no intermediate leaves
    // the double range before the result does.
    const double prod = s11 * s22;
    const bool plain = prod > 0x1p-960 && prod < 0x1p960;
    const double det_root = root_det(s11, s12, s22);
    double cos_theta = 0, sin_theta = 1;
    if (s11 > 0 && s22 > 0) {
      const double root = plain ? std::sqrt(prod) : std::sqrt(s11) * std::sqrt(s22);
      cos_theta = std::clamp(s12 / root, -1.0, 1.0);
      sin_theta = std::min(det_root / root, 1.0);
    }
    auto root_power = [&](int k) {
      if (plain || k == 0) return std::pow(prod, 0.5 * k);
      return std::pow(std::sqrt(s11), k) * std::pow(std::sqrt(s22), k);
    };
    const double phi = root_power(n_) * arc_cosine_kernel(n_, cos_theta, sin_theta);
    const double dphi = n_ == 0 ? 0.0
                                : double(n_) * n_ * root_power(n_ - 1) *
                                      arc_cosine_kernel(n_ - 1, cos_theta, sin_theta);
    return check_finite({phi, dphi}, *this, s11, s12, s22);
  }
  double variance(double s) const override {
    double double_factorial = 1;
    for (int k = 2 * n_ - 1; k > 1; k -= 2) double_factorial *= k;
    return check_finite(double_factorial * std::pow(s, n_) / 2, *this, s);
  }
  bool has_ntk() const override { return n_ > 0; }

 private:
  // J_n(θ)/(2π) from cos θ and sin θ.
  static double arc_cosine_kernel(int n, double cos_theta, double sin_theta) {
    // ψ = π − θ; C_k = ∫_0^ψ cos^k β dβ = cos^{k−1}ψ·sin ψ/k + (k−1)/k·C_{k−2}, cos ψ = −cos θ.
    const double psi = std::atan2(sin_theta, -cos_theta), cos_psi = -cos_theta;
    long double c[kMaxDegree + 1];
    long double cos_power = 1;  // cos^{k−1}ψ
    c[0] = psi;
    if (n >= 1) c[1] = sin_theta;
    for (int k = 2; k <= n; ++k) {
      cos_power *= cos_psi;
      c[k] = cos_power * sin_theta / k + (k - 1) * c[k - 2] / static_cast<long double>(k);
    }
    long double total = 0, binomial = 1, factorial = 1;  // C(n, k), n!
    for (int k = 0; k <= n; ++k) {
      if (k > 0) binomial = binomial * (n - k + 1) / k;
      total += binomial * std::pow(static_cast<long double>(cos_theta), n - k) * c[k];
    }
    for (int k = 2; k <= n; ++k) factorial *= k;
    return static_cast<double>(factorial * total / (2 * M_PI));
  }
  int n_;
};

}  // namespace

ActivationPtr relu() { return std::make_shared<Relu>(); }
ActivationPtr abrelu(double a, double b, std::string name) {
  return std::make_shared<ABRelu>(a, b, std::move(name));
}
ActivationPtr sign() { return std::make_shared<Sign>(); }
ActivationPtr rectified_monomial(int degree) {
  return std::make_shared<RectifiedMonomial>(degree);
}

}  // namespace ntk::sdk::activations
