// The ReLU layer of the GNTK on a node-pair kernel (Du et al. 2019, Sec. 4, with c_σ = 2; the
// arc-cosine kernels of Cho & Saul 2009):
//   ρ = Σ(u,u') / (d₁(u) d₂(u')),  d = sqrt(diag Σ) of each graph with itself,
//   Σ ← d₁ d₂ (ρ (π − arccos ρ) + sqrt(1 − ρ²)) / π     (= 2 E[relu(a) relu(b)])
//   Σ̇ =        (π − arccos ρ) / π                        (= 2 E[relu'(a) relu'(b)])
//   Θ ← Θ ⊙ Σ̇ + Σ
// ρ is clipped to [−1, 1] as in the authors' code. A node with d = 0 has Σ = Θ = 0 in its row.
// The loops are vectorised (a polynomial arcsine, see arc_cosine.cpp), because this map is
// the inner loop of every kernel entry.
#pragma once

#include <armadillo>

namespace ntk::legacy_gnn {

// In place on column-major n1 × n2 arrays; `ntk` may be null (NNGP only).
// inv_d1/inv_d2 hold 1/d (0 where d = 0), d1/d2 hold d.
void relu_layer(double* sigma, double* ntk, arma::uword n1, arma::uword n2, const double* d1,
                const double* inv_d1, const double* d2, const double* inv_d2);

// arcsin on [−1, 1] to within a few ulps, written so that loops over it vectorise.
double arcsin_vectorisable(double x);

}  // namespace ntk::legacy_gnn
