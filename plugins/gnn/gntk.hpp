// The graph neural tangent kernel (Du et al. 2019, "Graph neural tangent kernel: fusing graph
// neural networks with graph kernels", Sec. 4), computed as in the authors' code
// (github.com/KangchengHou/gntk, gntk.py):
//
//   Σ = Θ = X₁X₂ᵀ                                  node-pair input kernel (no 1/f)
//   for each of `blocks` BLOCKs:
//     Σ ← M₁ Σ M₂ᵀ, Θ ← M₁ Θ M₂ᵀ                  aggregation over N(u) ∪ {u} (graph_ops.hpp)
//     `mlp_layers` times: the ReLU layer of arc_cosine.hpp (c_σ = 2)
//   NTK  = 2 Σ_{u,u'} Θ of the last BLOCK            (jumping_knowledge: 2 Σ_{u,u'} (X₁X₂ᵀ + Σ_b Θ_b))
//   NNGP = 2 Σ_{u,u'} Σ of the last BLOCK            (jumping_knowledge: 2 Σ_{u,u'} (X₁X₂ᵀ + Σ_b Σ_b))
//
// The factor 2 is the authors' readout; the finite network of gnn_network.hpp converges to
// exactly these values. The diagonals d = sqrt(diag Σ) used by each ReLU layer come from each
// graph paired with itself, as in the authors' `diag`.
#pragma once

#include <armadillo>
#include <vector>

#include "config.hpp"
#include "graph_ops.hpp"
#include "ntk/sdk/architecture.hpp"
#include "ntk/sdk/inputs.hpp"

namespace ntk::gnn {

// Per graph, for every ReLU layer ℓ = b·mlp_layers + r: d and 1/d (0 where d = 0).
struct GraphDiagonals {
  std::vector<arma::vec> d, inv_d;
};

GraphDiagonals graph_diagonals(const PreparedGraph& g, const Config& config);

// Scratch space of one thread for pair computations (reused across pairs).
struct PairWorkspace {
  std::vector<double> sigma, ntk, work;
  void reserve(arma::uword entries);
};

struct PairValue {
  double nngp = 0, ntk = 0;
};

// NNGP and (when `with_ntk`) NTK between two prepared graphs.
PairValue gntk_pair(const PreparedGraph& g1, const GraphDiagonals& diag1, const PreparedGraph& g2,
                    const GraphDiagonals& diag2, const Config& config, bool with_ntk,
                    PairWorkspace& ws);

// The n1 × n2 kernels between two graph collections; one triangle when &a == &b; OpenMP over
// graph pairs.
sdk::Kernels gntk_kernels(const sdk::Inputs& a, const sdk::Inputs& b, sdk::KernelRequest what,
                          const Config& config);

}  // namespace ntk::gnn
