// The closed-form activations shipped with the SDK (private: users reach them through
// make_activation / activation_catalog). Each follows neural-tangents' stax layer of the same
// name (neural_tangents/_src/stax/elementwise.py); the formula is written beside each class.
#pragma once

#include <string>

#include "ntk/sdk/activation.hpp"

namespace ntk::sdk::activations {

// Rectifier family (rectifiers.cpp): kinks at 0, φ' = 0 at the kink as autodiff gives.
ActivationPtr relu();                                // NT Relu = ABRelu(0, 1), vectorised maps
ActivationPtr abrelu(double a, double b, std::string name);  // NT ABRelu(a, b): a·min(x,0) + b·max(x,0)
ActivationPtr sign();                                // NT Sign; has_ntk() = false
ActivationPtr rectified_monomial(int degree);        // NT RectifiedMonomial: (x ≥ 0)·x^degree

// Smooth family (smooth.cpp).
ActivationPtr erf();                                 // NT Erf(a=1, b=1, c=0), vectorised maps
ActivationPtr sine(double a, double b, double c, bool cosine);  // NT Sin / Cos(a, b, c)
ActivationPtr gelu();                                // NT Gelu (exact, erf-based)
ActivationPtr gaussian(double a, double b);          // NT Gaussian(a, b): a·exp(b·x²)
ActivationPtr exponential(double a, double b);       // NT Exp(a, b): a·exp(b·x)
ActivationPtr monomial(int degree);                  // NT Monomial: x^degree

// Throws ntk::Error naming the activation and the covariance when a closed form is not finite
// (it overflowed, or the expectation diverges); returns `e` otherwise.
GaussianExpectations check_finite(const GaussianExpectations& e, const Activation& act,
                                  double s11, double s12, double s22);
double check_finite(double variance, const Activation& act, double s);

// A number as the catalog prints it in names: 0.1, 2, -1.
std::string number_text(double x);

}  // namespace ntk::sdk::activations
