// Relu on node pairs (graph_kernel.cpp), in neural-tangents' convention (Relu = ABRelu(0, 1)):
//   ρ = Σ(u,u') / (d₁(u) d₂(u')),  d = √(diag Σ) of each graph paired with itself,
//   Σ ← d₁ d₂ (ρ (π − arccos ρ) + √(1 − ρ²)) / (2π),   Θ ← Θ (π − arccos ρ) / (2π)
// (Cho & Saul 2009). Written as Du et al.'s GNTK code computes it (ρ from precomputed 1/d,
// clipped to [−1, 1]; a node with d = 0 has 1/d = 0, so ρ = 0), with a polynomial arcsine so
// the loop vectorises: this map is the inner loop of every graph kernel entry.
// Range: scale-free wherever the variances are normal doubles (ρ from 1/d, d₁d₂ from square
// roots, never Σ₁₁Σ₂₂); the engine refuses variances that leave that range, naming the layer
// (graph_range.hpp), so a node variance here is never inf, NaN or subnormal.
#pragma once

#include <armadillo>

namespace ntk::sdk::graph {

// In place on column-major n1 × n2 arrays; `ntk` may be null (NNGP only).
void relu_pairs(double* sigma, double* ntk, arma::uword n1, arma::uword n2, const double* d1,
                const double* inv_d1, const double* d2, const double* inv_d2);

}  // namespace ntk::sdk::graph
