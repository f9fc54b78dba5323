// Harmonic analysis of dot-product kernels on the sphere S^{d−1}, for the Mercer spectrum and
// smoothness experiments of Bietti & Mairal 2019 (Propositions 4 and 5).
//
// A kernel K(x, y) = κ(⟨x, y⟩) on S^{d−1} with the uniform probability measure σ has the
// Mercer decomposition K = Σ_k μ_k Σ_j Y_kj(x) Y_kj(y) over spherical harmonics of degree k,
// N(d, k) of them, with (Funk–Hecke)
//   μ_k = (ω_{d−2}/ω_{d−1}) ∫_{−1}^{1} κ(t) P_k(t) (1 − t²)^{(d−3)/2} dt,
// P_k the Legendre (Gegenbauer) polynomial of dimension d normalised by P_k(1) = 1, ω_{m} the
// surface of S^m. These eigenvalues are those of the integral operator; the eigenvalues of
// K/n on n uniform points approach them, each N(d, k) times.
//
// Quadrature is in the angle, t = cos θ: arc-cosine kernels are smooth in θ (κ(cos θ) has
// θ and sin θ where κ(t) has arccos t and √(1 − t²)), so Gauss–Legendre in θ converges
// exponentially where it converges slowly in t.
#pragma once

#include <armadillo>

namespace ntk::core::analysis {

// Gauss–Legendre nodes and weights on [−1, 1] (n ≥ 1), exact for polynomials of degree
// 2n − 1; Newton on P_n from Chebyshev guesses, to full double precision.
void gauss_legendre(arma::uword n, arma::vec& nodes, arma::vec& weights);

// Nodes t_i = cos θ_i and weights w_i with Σ_i w_i f(t_i) ≈ ∫_{S^{d−1}} f(⟨x, e⟩) dσ(x)
// (σ the uniform probability measure), by n-point Gauss–Legendre in θ ∈ [0, π]. d ≥ 2.
void sphere_quadrature(arma::uword d, arma::uword n, arma::vec& t, arma::vec& weights);

// P_k(t) for k = 0 … k_max (rows) at the points t (columns): Legendre polynomials of
// dimension d ≥ 2 with P_k(1) = 1, by the three-term recurrence of Gegenbauer C_k^λ,
// λ = (d − 2)/2 (Chebyshev T_k for d = 2).
arma::mat legendre_sphere(arma::uword k_max, arma::uword d, const arma::vec& t);

// N(d, k): the dimension of the spherical harmonics of degree k on S^{d−1}.
double harmonic_multiplicity(arma::uword d, arma::uword k);

// μ_0 … μ_{k_max} from the kernel's values κ(t_i) at sphere_quadrature's nodes.
arma::vec funk_hecke(const arma::vec& t, const arma::vec& weights, const arma::vec& kappa,
                     arma::uword d, arma::uword k_max);

struct PowerLawFit {
  double slope = 0, intercept = 0;  // log y ≈ intercept + slope·log x (natural logs)
  double residual = 0;               // root-mean-square residual of the log fit
};
// Least squares on (log x, log y); refuses fewer than 2 points and non-positive values.
PowerLawFit loglog_fit(const arma::vec& x, const arma::vec& y);

}  // namespace ntk::core::analysis
