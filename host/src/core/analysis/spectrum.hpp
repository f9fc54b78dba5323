// Eigenspectrum of a kernel and the projections of the targets on its eigenvectors.
//
// Gradient flow fits the target component along eigenvector v_i at rate λ_i (u(t) − y =
// Σ_i e^{−tλ_i}⟨v_i, u(0) − y⟩ v_i), so how the label energy ⟨v_i, y⟩² spreads over the
// spectrum says how fast and how well a kernel learns the labels (Arora et al. 2019, Fig. 1).
#pragma once

#include <armadillo>

namespace ntk::core::analysis {

struct Spectrum {
  arma::vec eigenvalues;   // n, descending
  // n × k: row i holds ⟨v_i, y_r⟩ for each output r (Y is k × n). An eigenvector's sign is
  // arbitrary (LAPACK's choice), so read the squares ⟨v_i, y⟩², whose sum is ‖y‖².
  arma::mat projections;
  arma::mat eigenvectors;  // n × n, column i is v_i (only when asked for)
};

// K: n × n symmetric kernel; Y: k × n targets (may be empty: no projections).
Spectrum spectrum(const arma::mat& K, const arma::mat& Y, bool keep_eigenvectors = false);

}  // namespace ntk::core::analysis
