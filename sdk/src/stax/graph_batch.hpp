// Graphs as the graph layers use them (stax_graph.hpp): validated, with the aggregation
// operator M = C (A + I) stored row-wise for both scalings, and the node features (sparse, as
// Graph holds them; dense attributes also as a dense copy for the kernel engine).
//
// Du et al. 2019, BLOCK: h_u ← c_u Σ_{v ∈ N(u) ∪ {u}} h_v, i.e. H ← H Mᵀ for node features H
// (features × nodes), and for a node-pair kernel K (n1 × n2) between two graphs K ← M₁ K M₂ᵀ.
// Both are computed from the sparse rows of M, never from a Kronecker product:
// O(nnz(M₂)·n1 + nnz(M₁)·n2) per pair.
//
// Finite networks carry a batch of graphs through the layer chain as one column per graph
// (pack_graphs): [nodes, edges, m, features, (u, v, weight) per stored adjacency entry, zero
// padding], the features either as m (row, node, value) triplets or, when that is not smaller
// (m = −1), as the dense f × nodes block, column-major. Columns keep "one example, one column",
// so every generic code path (per-example Jacobians, repeated columns) works on graphs
// unchanged, and one-hot features take 3 numbers per node whatever the number of tags.
#pragma once

#include <armadillo>
#include <string>
#include <vector>

#include "ntk/sdk/inputs.hpp"
#include "ntk/sdk/stax.hpp"

namespace ntk::sdk::graph {

struct PreparedGraph {
  arma::uword nodes = 0;
  // Row u of M = C (A + I): columns idx[ptr[u] .. ptr[u+1]) with values val[scale][...].
  std::vector<arma::uword> ptr, idx;
  std::vector<double> val[2];  // [GraphScale::uniform], [GraphScale::degree]
  // Node features column by column, sparse: node u has (feature fidx[k], value fval[k]) for
  // k in [fptr[u], fptr[u+1]), features ascending (one entry per node for the one-hot TU
  // features).
  std::vector<arma::uword> fptr, fidx;
  std::vector<double> fval;
  // Dense attributes (at least half of the f × nodes entries non-zero): the same features as a
  // dense matrix, no larger than the sparse form, which the input kernel reads directly (as
  // SDK 3 did); empty for sparse (one-hot) features.
  arma::mat dense_features;
};

// Validates every graph (square symmetric finite non-negative adjacency without self-loops,
// finite features with one column per node, one feature dimension for all) and prepares it.
// Memory: O(nnz(A) + nnz(X) + nodes) per graph.
// `where` prefixes errors ("gnn kernel()"). Returns the feature dimension in `features`.
std::vector<PreparedGraph> prepare_graphs(const std::vector<Graph>& graphs,
                                          const std::string& where, arma::uword& features);
// The same for Inputs, which must hold graphs (else an error naming what they hold).
std::vector<PreparedGraph> prepare_graphs(const Inputs& in, const std::string& where,
                                          arma::uword& features);

// out = M₁ K M₂ᵀ for a column-major n1 × n2 node-pair kernel K; `work` holds n1·n2 doubles;
// `out` may alias `k`.
void aggregate_pair(const PreparedGraph& g1, const PreparedGraph& g2, GraphScale scale,
                    const double* k, double* out, double* work);
// out = X₁ᵀ X₂ · scale (the input node-pair kernel): per node pair, the sparse columns merged
// (O(nnz) per pair, one comparison for one-hot features), or a sparse column against g2's dense
// copy.
void input_pair_kernel(const PreparedGraph& g1, const PreparedGraph& g2, double scale,
                       double* out);

// ---- finite networks: a batch of graphs, nodes of all graphs side by side -----------------
arma::mat pack_graphs(const Inputs& in, const std::string& where);
struct Batch {
  std::vector<Graph> graphs;
  std::vector<PreparedGraph> prepared;
  std::vector<arma::uword> start;  // node offset of each graph, plus the total
  arma::sp_mat features;           // f × total nodes
};
Batch unpack_graphs(const arma::mat& packed, arma::uword features);

// Sparse node values (rows × total nodes) → each node u ← Σ_v M(u, v) H(v): H Mᵀ with the
// batch's block-diagonal M, sparse throughout (the features before the first dense layer).
arma::sp_mat aggregate_sparse(const Batch& b, GraphScale scale, const arma::sp_mat& h);
// Sparse node values → per-graph sums or means (rows × n), sparse.
arma::sp_mat reduce_sparse(const Batch& b, GraphReduce reduce, const arma::sp_mat& h);

// H (rows × total·r, column u·r + o) → each node u ← Σ_v M(u, v) H(v) (per output o), and the
// adjoint (column v ← Σ_u M(u, v) G(u)).
arma::mat aggregate_nodes(const Batch& b, GraphScale scale, const arma::mat& h, arma::uword r);
arma::mat aggregate_nodes_adjoint(const Batch& b, GraphScale scale, const arma::mat& g,
                                  arma::uword r);
// Node values (rows × total·r) → per-graph sums or means (rows × n·r), and the adjoint.
arma::mat reduce_nodes(const Batch& b, GraphReduce reduce, const arma::mat& h, arma::uword r);
arma::mat expand_graphs(const Batch& b, GraphReduce reduce, const arma::mat& g, arma::uword r);

}  // namespace ntk::sdk::graph
