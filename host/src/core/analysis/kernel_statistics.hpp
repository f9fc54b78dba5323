// Scalar summaries of a kernel matrix: class structure, alignment with the targets, distances.
#pragma once

#include <armadillo>

namespace ntk::core::analysis {

// Class-structure ratios of a kernel (as in studies of how the NTK aligns with the classes):
// mean diagonal Θ_d, mean off-diagonal entry between examples of the same class Θ_c, mean
// entry between examples of different classes Θ_n, and the ratios Θ_c/Θ_d, Θ_n/Θ_d, Θ_c/Θ_n.
struct ClassRatios {
  double diagonal = 0;        // Θ_d
  double same_class = 0;      // Θ_c (NaN if no class has two examples)
  double different_class = 0; // Θ_n (NaN if there is one class)
  double same_over_diagonal = 0;
  double different_over_diagonal = 0;
  double same_over_different = 0;
};

// K: n × n; labels: n class labels (any values; equal values are one class).
ClassRatios class_ratios(const arma::mat& K, const arma::vec& labels);

// Kernel-target alignment (Cristianini et al. 2002): ⟨K, YᵀY⟩_F / (‖K‖_F ‖YᵀY‖_F), with Y the
// k × n targets (for k = 1: yᵀKy / (‖K‖_F ‖y‖²)). Computed as tr(Y K Yᵀ) / (‖K‖_F ‖Y Yᵀ‖_F)
// without forming the n × n matrix YᵀY.
double alignment(const arma::mat& K, const arma::mat& Y);

// Kernel distance 1 − ⟨A, B⟩_F / (‖A‖_F ‖B‖_F) (Fort et al. 2020): 0 for proportional kernels.
double kernel_distance(const arma::mat& A, const arma::mat& B);

// Relative Frobenius distance ‖A − B‖_F / ‖B‖_F (B is the reference).
double relative_distance(const arma::mat& A, const arma::mat& B);

}  // namespace ntk::core::analysis
