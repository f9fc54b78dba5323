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

namespace ntk::legacy_gnn {

// Per graph, for every ReLU layer ℓ = b·mlp_layers + r: d and 1/d (0 where d = 0).
struct GraphDiagonals {
  std::vector<arma::vec> d, inv_d;
};

GraphDiagonals graph_diagonals(const PreparedGraph& g, const Config& config);

// Scratch space of one thread for pair computations (reused across pairs).
struct PairWorkspace {
  std::vector<double> sigma, ntk, work, sums;
  void reserve(arma::uword entries);
};

struct PairValue {
  double nngp = 0, ntk = 0;
};

// The readout sums Σ_{u,u'} Σ and (when `with_ntk`) Σ_{u,u'} Θ between two prepared graphs
// after the input (index 0) and after every BLOCK b (index b), blocks + 1 entries each: every
// block count ≤ config.blocks and both readouts follow from them (gntk_readout).
void gntk_pair_sums(const PreparedGraph& g1, const GraphDiagonals& diag1, const PreparedGraph& g2,
                    const GraphDiagonals& diag2, const Config& config, bool with_ntk,
                    PairWorkspace& ws, double* sigma_sums, double* ntk_sums);

// The kernel of `blocks` BLOCKs from the sums above: 2·sums[blocks], or with jumping knowledge
// 2·(sums[0] + … + sums[blocks]).
double gntk_readout(const double* sums, arma::uword blocks, bool jumping_knowledge);

// NNGP and (when `with_ntk`) NTK between two prepared graphs.
PairValue gntk_pair(const PreparedGraph& g1, const GraphDiagonals& diag1, const PreparedGraph& g2,
                    const GraphDiagonals& diag2, const Config& config, bool with_ntk,
                    PairWorkspace& ws);

// The n1 × n2 kernels between two graph collections; one triangle when &a == &b; OpenMP over
// graph pairs.
sdk::Kernels gntk_kernels(const sdk::Inputs& a, const sdk::Inputs& b, sdk::KernelRequest what,
                          const Config& config);

// The kernel family from one pass (sdk::Architecture::kernel_family): for every selected block
// count b ≤ config.blocks (select `blocks` = number or list, default all 1..blocks) and readout
// (select `jumping_knowledge` = boolean, default both), the member {blocks = b,
// jumping_knowledge = jk} equal to gntk_kernels with those options. Costs one gntk_kernels call
// of config.blocks BLOCKs; holds every member's n1 × n2 matrices at once.
std::vector<sdk::FamilyMember> gntk_family(const sdk::Inputs& a, const sdk::Inputs& b,
                                           const sdk::FamilyRequest& request,
                                           const Config& config);

}  // namespace ntk::legacy_gnn
