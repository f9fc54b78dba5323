// Activations: an open interface for elementwise nonlinearities φ and their kernel rules.
//
// An activation layer maps a Gaussian pre-activation kernel (neural-tangents' stax convention):
//   Σ ← E[φ(u)φ(v)],   Θ ← Θ · E[φ'(u)φ'(v)],   (u, v) ~ N(0, [[Σ11, Σ12], [Σ12, Σ22]]),
// and the variances Σ11 ← E[φ(u)²]. A subclass gives φ, φ' (for finite networks) and the two
// Gaussian expectations (for kernels): in closed form where one exists, or by 2-D Gauss–Hermite
// quadrature (QuadratureActivation, neural-tangents' ElementwiseNumerical) for any other φ.
//
//   auto act = ntk::sdk::make_activation("leaky_relu", {{"alpha", 0.1}});
//   auto tanh = ntk::sdk::numerical_activation("Tanh", [](double z) { return std::tanh(z); },
//                                              [](double z) { return 1 - std::tanh(z) * std::tanh(z); });
//
// The kernel engine calls the array maps entries()/variances() on cache-sized chunks; their
// defaults loop over expectations()/variance(), and the closed forms of relu and erf override
// them with vectorised loops.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ntk/sdk/options.hpp"

namespace ntk::sdk {

// E[φ(u)φ(v)] and E[φ'(u)φ'(v)] for one pair.
struct GaussianExpectations {
  double phi = 0;   // E[φ(u)φ(v)]: the new NNGP entry
  double dphi = 0;  // E[φ'(u)φ'(v)]: the factor on the NTK entry
};

class Activation {
 public:
  virtual ~Activation() = default;

  // Display name with parameters, e.g. "Relu", "LeakyRelu(alpha=0.1)", "Tanh (quadrature)".
  virtual std::string name() const = 0;

  // Finite networks: φ(z) and φ'(z) (φ' where it exists; 0 at a kink, as autodiff does).
  virtual double value(double z) const = 0;
  virtual double derivative(double z) const = 0;

  // Kernels: the expectations for (u, v) ~ N(0, [[s11, s12], [s12, s22]]), s11, s22 ≥ 0,
  // s12² ≤ s11·s22 (up to round-off; implementations clamp the correlation to [−1, 1]).
  virtual GaussianExpectations expectations(double s11, double s12, double s22) const = 0;
  // E[φ(u)²] for u ~ N(0, s). Default: expectations(s, s, s).phi.
  virtual double variance(double s) const;

  // The SDK's own vectorised closed forms the engines run inline (kernel maps and finite
  // networks); every other activation, whatever its name, is `none` and runs through its own
  // methods.
  enum class Builtin { none, relu, erf };
  virtual Builtin builtin() const { return Builtin::none; }

  // False when E[φ'(u)φ'(v)] does not exist as a function (e.g. sign: φ' is a Dirac delta).
  // A kernel that asks for the NTK through such an activation is refused with its name.
  virtual bool has_ntk() const { return true; }

  // The array maps the kernel engine runs, in place, on `len` pairs: nngp[i] = Σ12,
  // var1[i] = Σ11, var2[i] = Σ22, ntk[i] = Θ12 (ntk may be null: NNGP only).
  // Defaults loop over expectations(); override with a vectorised closed form when it matters.
  virtual void entries(double* nngp, double* ntk, const double* var1, const double* var2,
                       std::size_t len) const;
  // var[i] ← E[φ(u)²], u ~ N(0, var[i]). Default loops over variance().
  virtual void variances(double* var, std::size_t len) const;
  // Single-precision entries (image kernels with precision = "float32"). Default: converts to
  // double, calls entries(), converts back.
  virtual void entries(float* nngp, float* ntk, const float* var1, const float* var2,
                       std::size_t len) const;
};

using ActivationPtr = std::shared_ptr<const Activation>;

// φ given as C++ functions; the expectations by 2-D Gauss–Hermite quadrature of `degree` nodes
// per axis (Cholesky of the 2 × 2 covariance, so it is exact for polynomials of degree
// < 2·degree in each variable). A non-finite φ or φ' at a quadrature node (variance so large that
// φ overflows) throws ntk::Error naming the activation, the variance and the node.
//
// The kernel engine's array map entries() computes the same expectations through the Mehler
// (Hermite) series E[φ(u)φ(v)] = Σ_k ρ^k a_k(Σ11) a_k(Σ22), a_k(s) = E[φ(√s Z) He_k(Z)]/√k!
// (Daniely et al. 2016's dual activation), truncated at 2·degree terms, the coefficients by a
// 1-D rule of min(4·degree, 400) nodes once per distinct variance (cached per thread): O(degree)
// per pair instead of the 2-D rule's 2·degree² evaluations of φ. tests/sdk/activations measures
// its agreement with the 2-D rule.
class QuadratureActivation : public Activation {
 public:
  QuadratureActivation(std::string name, std::function<double(double)> phi,
                       std::function<double(double)> dphi, int degree = 64);
  std::string name() const override;
  double value(double z) const override;
  double derivative(double z) const override;
  GaussianExpectations expectations(double s11, double s12, double s22) const override;
  double variance(double s) const override;
  void entries(double* nngp, double* ntk, const double* var1, const double* var2,
               std::size_t len) const override;
  using Activation::entries;
  // The Mehler-series expectations entries() uses, for one pair (tests compare it with the 2-D
  // rule of expectations()).
  GaussianExpectations series_expectations(double s11, double s12, double s22) const;

 private:
  // a_0..a_{K−1} of φ then b_0..b_{K−1} of φ' at variance s (see above).
  std::vector<double> hermite_coefficients(double s) const;
  const std::vector<double>& cached_coefficients(double s) const;

  std::string name_;
  std::function<double(double)> phi_, dphi_;
  std::vector<double> nodes_, weights_;  // probabilists' Gauss–Hermite: Σ w f(x) ≈ E f(Z)
  std::vector<double> series_nodes_, series_weights_;  // the 1-D rule of the coefficients
  std::size_t terms_ = 0;                              // K
  std::uint64_t serial_ = 0;  // this instance's key in the per-thread coefficient cache
};

ActivationPtr numerical_activation(std::string name, std::function<double(double)> phi,
                                   std::function<double(double)> dphi, int degree = 64);

// The nodes x_i and weights w_i of the `degree`-point Gauss–Hermite rule for the standard normal
// weight: Σ w_i f(x_i) ≈ E[f(Z)], Z ~ N(0, 1) (Golub–Welsch). Refuses degree < 1 or > 400.
void gauss_hermite_normal(int degree, std::vector<double>& nodes, std::vector<double>& weights);

// The activation catalog (names and keys used by ntk.arch("stax") and documented by
// `ntklab plugins`).
struct ActivationInfo {
  std::string name;                 // "leaky_relu"
  std::vector<OptionSpec> options;  // keys with defaults and docs, e.g. alpha = 0.01
  std::string doc;                  // one line, says closed form or quadrature
  std::function<ActivationPtr(const Options&)> make;
};

// Every activation shipped with the SDK: closed forms relu, erf, leaky_relu{alpha},
// abrelu{a, b}, abs, sin, cos, gelu, gaussian, exp, sign, monomial{degree},
// rectified_monomial{degree}; quadrature tanh, sigmoid, softplus.
const std::vector<ActivationInfo>& activation_catalog();

// Looks `name` up in the catalog and reads its keys; an unknown name or key throws ntk::Error
// listing what is accepted.
ActivationPtr make_activation(const std::string& name, const Options& options = {});

}  // namespace ntk::sdk
