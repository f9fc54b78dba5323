// Entry-wise kernel maps: the closed forms of the dense and activation rules applied to
// arrays of kernel entries, written as branch-free loops that the compiler vectorises.
//
// These are the building blocks every architecture shares: the FC plugin runs them over the
// columns of an n1 × n2 kernel, a convolutional plugin over pixel pairs. Entry i is one pair
// of examples (or pixels): nngp[i] = Σ12, var1[i] = Σ11, var2[i] = Σ22, ntk[i] = Θ12.
// Maps work in place; `ntk` may be null when the NTK is not tracked.
//
// Conventions are neural-tangents' stax (Relu = ABRelu(0, 1), Erf(a=1, b=1, c=0)):
//   relu  Σ ← (√(Σ11Σ22 − Σ12²) + (π − θ)Σ12) / (2π),  Θ ← Θ·(π − θ)/(2π),  θ = arccos ρ
//         (Cho & Saul 2009, arc-cosine kernel of degree 1 and 0), ρ = Σ12/√(Σ11Σ22);
//         when Σ11Σ22 = 0, θ = π/2 as in NT.
//   erf   Σ ← (2/π)·arcsin(2Σ12/√((1+2Σ11)(1+2Σ22))),
//         Θ ← Θ·(4/π)/√((1+2Σ11)(1+2Σ22) − 4Σ12²)   (Williams 1997).
//
// Range: an entry whose Σ11Σ22 or Σ12² would leave [2^-960, 2^960] (variances beyond about
// 1e±144) is computed on variances divided by exact powers of two, so the maps are right
// wherever the inputs and the result are doubles (relu's NNGP is homogeneous of degree 1; its
// correlation and the NTK factor do not depend on the scale). A result that is not a double
// comes out as ±inf, which the kernel engine reports with the layer that produced it. Beyond
// about 1e±308 the engine carries a common power-of-two scale (KernelState::log2_scale):
// relu is homogeneous and needs nothing; erf has its scaled form below.
#pragma once

#include <cstddef>

namespace ntk::sdk::layers {

// arccos and arcsin accurate to a few ulps on [−1, 1] (arguments are clamped): the angle
// from its sine √((1 − x)(1 + x)) and cosine (layers_elementwise_angle.hpp), which keeps full
// relative accuracy as x → ±1.
double arc_cosine(double x);
double arc_sine(double x);

// Affine rule coefficients: Σ ← nngp_scale·Σ + nngp_shift and
// Θ ← (ntk_from_nngp·Σ_old + ntk_shift) + ntk_scale·Θ.
//   NTK parametrisation:      nngp_scale = ntk_from_nngp = ntk_scale = W², shift = b², b²
//   standard parametrisation: nngp_scale = W², nngp_shift = b², ntk_from_nngp = fan-in,
//                             ntk_scale = W², ntk_shift = 1 (neural-tangents' Dense).
struct AffineCoefficients {
  double nngp_scale = 1, nngp_shift = 0;
  double ntk_from_nngp = 1, ntk_scale = 1, ntk_shift = 0;
};

void affine_entries(double* nngp, double* ntk, std::size_t len, const AffineCoefficients& c);
void affine_variances(double* var, std::size_t len, const AffineCoefficients& c);

void relu_entries(double* nngp, double* ntk, const double* var1, const double* var2,
                  std::size_t len);
void erf_entries(double* nngp, double* ntk, const double* var1, const double* var2,
                 std::size_t len);

// relu on entries of one kernel column — example pairs (i, j) for one j — with the inverse
// square roots of the variances given per example (1/√Σ, 0 for a zero variance; by
// inverse_roots()), so that ρ = Σ12·(1/√Σ11)·(1/√Σ22) costs two multiplications, where
// relu_entries() takes a square root and a division per entry. The same map otherwise (equal
// to a few ulps: ρ is rounded differently).
void relu_column(double* nngp, double* ntk, const double* var1, const double* inv_root1,
                 double var2, double inv_root2, std::size_t len);
void inverse_roots(const double* var, double* out, std::size_t len);

// erf on entries whose true values are the given ones times 2^log2_scale (a state's common
// scale): the result is in true units, since erf's NNGP is at most 1 (Θ is scaled alike). A
// scalar loop; the kernel engine takes it only when it carries a common scale.
void erf_entries_scaled(double* nngp, double* ntk, const double* var1, const double* var2,
                        std::size_t len, int log2_scale);
void erf_variances_scaled(double* var, std::size_t len, int log2_scale);

// The same rules on the diagonal (Σ12 = Σ11 = Σ22 = v): relu v ← v/2, erf v ← (2/π)·
// arcsin(2v/(1 + 2v)).
void relu_variances(double* var, std::size_t len);
void erf_variances(double* var, std::size_t len);

}  // namespace ntk::sdk::layers
