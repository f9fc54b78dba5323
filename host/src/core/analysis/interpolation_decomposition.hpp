// The decomposition of the trained linearised network into the minimum-norm interpolating
// kernel predictor and an initialisation term, and the lower bound of Theorem 4
// ("Wide neural networks are interpolating kernel methods", ICLR 2020 submission).
//
// Eq. 13/14 in kernel form, with Θ the tangent kernel at initialisation (m × n test-train,
// n × n train) and f0 the network's outputs at initialisation:
//   f_lin(x) = f_int(x) + init(x),
//   f_int(x) = Θ(x,X) Θ(X,X)⁻¹ Y                     (minimum-norm interpolation, Eq. 5/9)
//   init(x)  = f0(x) − Θ(x,X) Θ(X,X)⁻¹ f0(X)           (vanishes on the training inputs)
// With ridge λ > 0, Θ(X,X) + λI replaces Θ(X,X) (the paper's setting is λ = 0).
//
// Theorem 4: with L_meth = ‖f_meth(X_test) − Y_test‖² / N_test (Sect. 2 of the paper),
//   √L_NN ≥ | σ^L J(X_test) − O(1/√m) − √L_int |,
//   J(X_test, σ) = ‖init(X_test)‖₂ / √N_test,   J(X_test) = J(X_test, 1) = J(X_test, σ) / σ^L,
// where σ² is the initialisation variance and L the number of layers (weight matrices) of a
// bias-free ReLU network, whose NTK features are homogeneous: Φ(x, σ) = σ^L Φ(x, 1). The
// O(1/√m) width term is dropped here, so for the linearised network itself the bound
// √L_lin ≥ |J(X_test, σ) − √L_int| is exact (reverse triangle inequality). With k outputs the
// norms are Frobenius norms over outputs and test points.
#pragma once

#include <armadillo>
#include <string>
#include <vector>

#include "core/solve/warnings.hpp"

namespace ntk::core::analysis {

struct DecompositionInputs {
  arma::mat K_test_train;  // m × n, Θ(X_test, X)
  arma::mat K_train;       // n × n, Θ(X, X)
  arma::mat Y;             // k × n training targets
  arma::mat f0_train;      // k × n outputs at initialisation on X
  arma::mat f0_test;       // k × m outputs at initialisation on X_test
  double ridge = 0.0;
  solve::WarningSink on_warning;
};

struct Decomposition {
  arma::mat interpolation;   // k × m, f_int(X_test)
  arma::mat initialization;  // k × m, init(X_test)
  arma::mat linearized;      // k × m, f_lin(X_test) = the sum
  std::string method;        // the solver's: "cholesky" or "eigen_pseudo_inverse"
  double condition_number = 0;
  std::vector<std::string> warnings;
};

Decomposition interpolation_decomposition(const DecompositionInputs& inputs);

struct LowerBound {
  double J_sigma = 0;        // J(X_test, σ) = ‖init(X_test)‖ / √N_test
  double J = 0;              // J(X_test) = J_sigma / σ^L (NaN unless σ and L are given)
  double sqrt_loss_interpolation = 0;  // √L_int (NaN without test targets)
  double sqrt_loss_linearized = 0;     // √L_lin (NaN without test targets)
  double bound = 0;          // |J_sigma − √L_int|, lower bound on √L_NN (NaN without targets)
  Decomposition decomposition;
};

// Y_test: k × m test targets (empty: only J is computed). sigma, layers: the network's σ (the
// weight standard deviation, w_std) and its number of layers L; sigma ≤ 0 leaves J as NaN.
LowerBound lower_bound(const DecompositionInputs& inputs, const arma::mat& Y_test, double sigma = 0,
                       unsigned layers = 0);

}  // namespace ntk::core::analysis
