// The default methods of Activation: the array maps loop over the per-pair expectations.
#include <array>
#include <cmath>
#include <sstream>

#include "activations/closed_forms.hpp"
#include "ntk/sdk/activation.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::sdk {

double Activation::variance(double s) const { return expectations(s, s, s).phi; }

void Activation::entries(double* nngp, double* ntk, const double* var1, const double* var2,
                         std::size_t len) const {
  for (std::size_t i = 0; i < len; ++i) {
    const GaussianExpectations e = expectations(var1[i], nngp[i], var2[i]);
    nngp[i] = e.phi;
    if (ntk != nullptr) ntk[i] *= e.dphi;
  }
}

void Activation::variances(double* var, std::size_t len) const {
  for (std::size_t i = 0; i < len; ++i) var[i] = variance(var[i]);
}

void Activation::entries(float* nngp, float* ntk, const float* var1, const float* var2,
                         std::size_t len) const {
  // Chunks on the stack, so the conversion allocates nothing and stays in cache.
  constexpr std::size_t chunk = 256;
  std::array<double, chunk> n, t, v1, v2;
  for (std::size_t i0 = 0; i0 < len; i0 += chunk) {
    const std::size_t m = len - i0 < chunk ? len - i0 : chunk;
    for (std::size_t i = 0; i < m; ++i) {
      n[i] = nngp[i0 + i];
      v1[i] = var1[i0 + i];
      v2[i] = var2[i0 + i];
      if (ntk != nullptr) t[i] = ntk[i0 + i];
    }
    entries(n.data(), ntk != nullptr ? t.data() : nullptr, v1.data(), v2.data(), m);
    for (std::size_t i = 0; i < m; ++i) {
      nngp[i0 + i] = static_cast<float>(n[i]);
      if (ntk != nullptr) ntk[i0 + i] = static_cast<float>(t[i]);
    }
  }
}

}  // namespace ntk::sdk

// Helpers shared by the closed forms (closed_forms.hpp).

namespace ntk::sdk::activations {

GaussianExpectations check_finite(const GaussianExpectations& e, const Activation& act,
                                  double s11, double s12, double s22) {
  if (!std::isfinite(e.phi) || !std::isfinite(e.dphi))
    throw_error("activation ", act.name(), ": the Gaussian expectations are not finite (E[φφ] = ",
                e.phi, ", E[φ'φ'] = ", e.dphi, ") for variances s11 = ", s11, ", s12 = ", s12,
                ", s22 = ", s22, "; reduce the pre-activation variance (weight or bias scales)");
  return e;
}

double check_finite(double variance, const Activation& act, double s) {
  if (!std::isfinite(variance))
    throw_error("activation ", act.name(), ": E[φ(u)²] = ", variance, " is not finite for the ",
                "variance ", s, "; reduce the pre-activation variance (weight or bias scales)");
  return variance;
}

std::string number_text(double x) {
  std::ostringstream out;
  out.precision(12);
  out << x;
  return out.str();
}

}  // namespace ntk::sdk::activations
