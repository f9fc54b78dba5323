// The training-set NTK in the order of vec(f), its largest eigenvalue, and the stable step.
//
// Gradient descent on L(w) = 1/(2n) Σ ‖f(x_i; w) − y_i‖² has (Gauss–Newton) Hessian JᵀJ/n,
// whose largest eigenvalue is λ_max(Θ)/n with Θ = J Jᵀ the (n·k) × (n·k) empirical NTK on the
// training set. GD on the linearised model is stable iff η < 2n/λ_max, so the "auto" learning
// rate is η = c·n/λ_max with c = 1 by default (c must be in (0, 2)). With regularisers:
//   rdi  Hessian JᵀJ/n + λI          → η = c / (λ_max/n + λ);
//   aux  joint kernel Θ + λI on (w,b) → η = c·n / (λ_max + λ).
#pragma once

#include <armadillo>

#include "core/train/regularizer.hpp"
#include "ntk/sdk/inputs.hpp"
#include "ntk/sdk/network.hpp"

namespace ntk::core::train {

// Θ = J(x) J(x)ᵀ, (n·k) × (n·k), rows/columns in vec(f) order (example-major: i·k + o).
// For one output this is net.ntk(x, x) (the plugin's structured product); for k > 1 it is
// net.ntk_full(x, x), since a finite network's kernel is not exactly Θ ⊗ I_k.
arma::mat training_kernel(const sdk::Network& net, const sdk::Inputs& x);
// training_kernel, checked: throws ntk::Error (prefixed by `where`) if Θ has a NaN or an
// infinity, naming the entry, whether the forward pass or only the derivatives overflowed, and
// the fix (smaller w_std, fewer layers, rescaled inputs) — never a bare LAPACK failure later.
arma::mat checked_training_kernel(const char* where, const sdk::Network& net,
                                  const sdk::Inputs& x);
// Θ's eigenvalues (ascending; the eigenvectors too when `vectors` is not null). Throws
// ntk::Error prefixed by `where` when the decomposition fails.
arma::vec kernel_eigenvalues(const char* where, const arma::mat& theta, arma::mat* vectors);
// Θ(a, b) = J(a) J(b)ᵀ, (n_a·k) × (n_b·k), same conventions.
arma::mat cross_kernel(const sdk::Network& net, const sdk::Inputs& a, const sdk::Inputs& b);

// λ_max(J Jᵀ) on x at the network's current parameters. One output: the top eigenvalue of
// net.ntk(x, x). Several outputs: power iteration on z ↦ J Jᵀ z through net.jvp(net.vjp(·)),
// never forming the (n·k)² kernel (at most 500 iterations, stops when the Rayleigh quotient
// changes by < 1e-7 relative). Throws ntk::Error naming the cause when the kernel is not finite.
double largest_kernel_eigenvalue(const sdk::Network& net, const sdk::Inputs& x);

// The step c·n/λ_max adjusted for the regulariser as above. Throws ntk::Error unless
// 0 < fraction < 2 and λ_max > 0.
double stable_learning_rate(double lambda_max, arma::uword n, Regularizer reg, double lambda,
                            double fraction = 1.0);

}  // namespace ntk::core::train
