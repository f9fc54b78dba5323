// Ensemble predictions with uncertainty: the mean and covariance, over random initialisations,
// of infinitely wide networks trained by gradient flow on the squared loss for a time t (Lee et
// al. 2019, "Wide neural networks of any depth evolve as linear models under gradient descent",
// Eq. 16; neural-tangents' predict.gradient_descent_mse_ensemble with compute_cov = True).
//
// Model. At initialisation the outputs are a centred GP with the NNGP kernel K (independent
// across the k outputs); training moves them linearly with the NTK Θ. With Θ̃ = Θ + λI (the
// ridge λ, absolute units) the training outputs follow
//     df(X)/dt = −Θ̃ (f(X) − y) / n,        df(x*)/dt = −Θ(x*, X) (f(X) − y) / n,
// i.e. gradient flow on the loss L = 1/(2n) Σ_i ‖f(x_i) − y_i‖² of core/train: GD with
// learning rate η for s small steps (ntk.train.gd) reaches t = η·s. (neural-tangents divides
// by y_train.size = n·k instead of n: its t equals ours for k = 1 and is k·t otherwise.)
// Hence f_t(x*) = f_0(x*) + P_t (y − f_0(X)) with
//     P_t = Θ(x*, X) Θ̃⁻¹ (I − e^{−Θ̃ t/n})                                  (m × n)
// and, f_0 being centred with covariance K,
//     mean_t       = P_t yᵀ                                                   (Eq. 16, μ)
//     covariance_t = K** − P_t K(X, x*) − K(x*, X) P_tᵀ + P_t K(X, X) P_tᵀ    (Eq. 16, Σ)
// kernel = "ntk": Θ is the NTK, K the NNGP (both train-train and test-train blocks, and the
// NNGP test-test block K**). kernel = "nngp": only the readout layer is trained, Θ = K; the
// ridge then enters as observation noise, K(X, X) → K + λI in the covariance as well
// (neural-tangents' convention), so that
//     covariance_t = K** − K(x*, X) (K + λI)⁻¹ (I − e^{−2(K+λI)t/n}) K(X, x*),
// at t = ∞ the NNGP posterior with noise variance λ, K** − K*X (K + λI)⁻¹ KX*.
// t = ∞: e^{−Θ̃t/n} = 0, so the mean is the kernel ridge solution Θ*X (Θ + λI)⁻¹ yᵀ and the
// covariance the NTK-GP (or NNGP) posterior. t = 0: mean 0, covariance K** (the prior).
//
// Numerics. ONE eigen-decomposition Θ̃ = V diag(μ) Vᵀ (LAPACK dsyevd) serves every t: with
// T = Θ(x*, X) V (m × n), g_i(t) = (1 − e^{−μ_i t/n})/μ_i and G = diag(g), P_t = T G Vᵀ, so
//     mean_t = (T G (Vᵀ yᵀ))ᵀ,  covariance_t = K** − A B − (A B)ᵀ + A C Aᵀ,  A = T G,
// with B = Vᵀ K(X, x*) and C = Vᵀ K(X, X) V formed once (BLAS-3). No inverse is formed.
// A time costs O(m·n²) for "ntk" (the product A C), O(m²·n) for "nngp" (C is diagonal).
// Eigenvalues μ ≤ n·eps·max μ are treated as 0 and their directions dropped (g = 0: the
// pseudo-inverse; the null space of a PSD kernel is not seen by its test rows either), as in
// core/solve/spectral.hpp. The covariance is symmetrised; it is PSD up to rounding because it
// is [−P_t, I] (the joint NNGP of X and x*) [−P_t, I]ᵀ.
#pragma once

#include <armadillo>
#include <string>
#include <vector>

namespace ntk::core::solve {

enum class EnsembleKernel { ntk, nngp };

// The kernel blocks, by reference (nothing is copied). Examples are rows and columns in the
// order of Y's columns (train) and of the test set.
struct EnsembleKernels {
  // The kernel that trains (the NTK for EnsembleKernel::ntk, the NNGP for nngp).
  const arma::mat* train = nullptr;       // n × n, symmetric
  const arma::mat* test_train = nullptr;  // m × n
  const arma::mat* test_test = nullptr;   // m × m; used for the covariance with nngp only
  // The NNGP blocks, needed for the covariance with EnsembleKernel::ntk (and refused with nngp).
  const arma::mat* nngp_train = nullptr;       // n × n, symmetric
  const arma::mat* nngp_test_train = nullptr;  // m × n
  const arma::mat* nngp_test_test = nullptr;   // m × m
};

struct EnsembleOptions {
  EnsembleKernel kernel = EnsembleKernel::ntk;
  double ridge = 0;         // λ ≥ 0, absolute (added to the training kernel's diagonal)
  bool covariance = true;   // false: the mean only (no test-test / NNGP blocks needed)
};

struct EnsemblePrediction {
  double time = 0;
  arma::mat mean;        // k × m
  arma::mat covariance;  // m × m (the same for every output); empty without covariance
};

// Predictions at each of `times` (t ≥ 0, +inf allowed) from one eigen-decomposition.
// Y: k × n targets. Throws ntk::Error naming ntk.solve.ensemble and the argument on a shape
// mismatch, a non-finite entry, a non-symmetric train kernel, a negative or NaN time, a
// negative ridge, or missing NNGP blocks for the NTK covariance.
std::vector<EnsemblePrediction> ensemble_predict(const EnsembleKernels& kernels,
                                                 const arma::mat& Y, const arma::vec& times,
                                                 const EnsembleOptions& options = {});

const char* ensemble_kernel_name(EnsembleKernel kernel);  // "ntk" | "nngp"

}  // namespace ntk::core::solve
