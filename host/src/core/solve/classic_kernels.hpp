// The classic kernels the UCI benchmark compares the NTK with (Arora et al. 2020, Table 1:
// Gaussian and polynomial kernel SVMs), computed with BLAS-3 Gram products.
//
//   squared_distances(a, b)       D²(i, j) = ‖a_i − b_j‖² = ‖a_i‖² + ‖b_j‖² − 2⟨a_i, b_j⟩
//                                 (clamped at 0; exactly 0 on the diagonal when &a == &b)
//   gaussian_kernel(D², γ)        exp(−γ·D²): one distance matrix serves every γ of a grid
//   polynomial_kernel(a, b, p, γ, c)  (γ⟨a_i, b_j⟩ + c)^p, p a positive integer
// Columns are examples (d × n1, d × n2). When &a == &b one triangle is computed (syrk) and
// mirrored. Non-finite inputs or parameters throw ntk::Error naming the function.
#pragma once

#include <armadillo>

namespace ntk::core::solve {

arma::mat squared_distances(const arma::mat& a, const arma::mat& b);
arma::mat gaussian_kernel(const arma::mat& squared_distances, double gamma);
arma::mat polynomial_kernel(const arma::mat& a, const arma::mat& b, int degree, double gamma,
                            double coef0);

}  // namespace ntk::core::solve
