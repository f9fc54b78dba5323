// Graphs as the GNN plugin uses them: validated, with the BLOCK's neighbourhood operator
// M = C (A + I) stored row-wise (C = diag(c_u), see config.hpp), and the sparse node features.
//
// Du et al. 2019, Eq. (BLOCK): h_u ← c_u Σ_{v ∈ N(u) ∪ {u}} h_v, i.e. H ← H Mᵀ for node
// features H (f × n, nodes are columns), and for a node-pair kernel K (n1 × n2) between two
// graphs, K ← M₁ K M₂ᵀ. Both are computed from the sparse rows of M, never from a Kronecker
// product: O(nnz(M₂)·n1 + nnz(M₁)·n2) per pair.
#pragma once

#include <armadillo>
#include <string>
#include <vector>

#include "config.hpp"
#include "ntk/sdk/inputs.hpp"

namespace ntk::legacy_gnn {

struct PreparedGraph {
  arma::uword nodes = 0;
  // Row u of M = C (A + I): columns idx[ptr[u] .. ptr[u+1]) with values val[...].
  std::vector<arma::uword> ptr, idx;
  std::vector<double> val;
  // Node features column by column, sparse: node u has (feature fidx[k], value fval[k]) for
  // k in [fptr[u], fptr[u+1]) (one entry per node for the one-hot TU features).
  std::vector<arma::uword> fptr, fidx;
  std::vector<double> fval;
  const sdk::Graph* graph = nullptr;  // the input this was made from (features, adjacency)
  // The features as SDK 3 held them (dense f × n); SDK 4's Graph holds them sparse.
  arma::mat dense_features;
};

// Validates every graph of `in` (symmetric finite non-negative adjacency without self-loops,
// finite features with one column per node, the same feature dimension everywhere) and
// prepares it. `where` prefixes error messages ("gnn kernels()"). Returns the feature
// dimension through `features` (0 for an empty list).
std::vector<PreparedGraph> prepare_graphs(const sdk::Inputs& in, Scale scale,
                                          const std::string& where, arma::uword& features);

// Throws unless `in` holds graphs, naming what it holds instead.
void require_graphs(const sdk::Inputs& in, const std::string& where);

// out = M₁ K M₂ᵀ for a column-major n1 × n2 node-pair kernel K (g1.nodes × g2.nodes);
// `work` holds n1·n2 doubles. `out` may alias `k`.
void aggregate_pair(const PreparedGraph& g1, const PreparedGraph& g2, const double* k,
                    double* out, double* work);

// out = (features of g1)ᵀ (features of g2): the input node-pair kernel X₁X₂ᵀ (no 1/f).
void input_pair_kernel(const PreparedGraph& g1, const PreparedGraph& g2, double* out);

// Node features through one BLOCK aggregation: H Mᵀ (column u = Σ_v M(u, v) H(:, v)).
arma::mat aggregate_nodes(const PreparedGraph& g, const arma::mat& h);
// The adjoint, for back-propagation: G M (column v = Σ_u M(u, v) G(:, u)).
arma::mat aggregate_nodes_adjoint(const PreparedGraph& g, const arma::mat& grad);

}  // namespace ntk::legacy_gnn
