// The a-priori generalisation bound of Arora et al. 2019 ("Fine-grained analysis of
// optimization and generalization for overparameterized two-layer neural networks", Thm 5.1;
// lecture slides "Understanding Generalization"): for ±1 labels and the NTK Gram matrix H of
// the training set, the test classification error of the trained wide network is at most
//   √(2 yᵀH⁻¹y / n)   (+ terms in log(1/δ)/n that are not computed here).
//
// Normalisation of H: the bound is not scale-invariant (H → cH divides it by √c). Arora et al.
// use H∞_ij = x_iᵀx_j (π − arccos(x_iᵀx_j)) / (2π) on unit-norm inputs (the 2-layer ReLU net
// with only the first layer trained), whose diagonal is 1/2. With normalize = None, H is used
// as given (e.g. the stax-convention NTK of a plugin); with normalize = HalfDiagonal, H is first
// scaled by c so that its mean diagonal is 1/2, matching H∞'s scale; the scale c is reported.
#pragma once

#include <armadillo>
#include <string>
#include <vector>

#include "core/solve/warnings.hpp"

namespace ntk::core::analysis {

enum class BoundNormalization { None, HalfDiagonal };

struct GeneralizationBound {
  double bound = 0;           // √(2 yᵀH⁻¹y / n) for the (scaled) H
  double quadratic_form = 0;  // yᵀH⁻¹y for the (scaled) H
  double scale = 1;           // the factor c applied to H
  std::string method;         // the solver's: "cholesky" or "eigen_pseudo_inverse"
  double condition_number = 0;
  std::vector<std::string> warnings;
};

// H: n × n NTK Gram matrix; y: n labels, each exactly −1 or +1.
GeneralizationBound generalization_bound(const arma::mat& H, const arma::vec& y,
                                         BoundNormalization normalize = BoundNormalization::None,
                                         const solve::WarningSink& on_warning = {});

}  // namespace ntk::core::analysis
