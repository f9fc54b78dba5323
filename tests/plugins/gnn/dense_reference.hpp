// A direct dense GNTK for tests: explicit loops over node pairs, the neighbourhood sums written
// out, and std::acos — written from the paper's formulas, sharing no code with the plugin.
#pragma once

#include <armadillo>
#include <cstdint>
#include <vector>

#include "ntk/sdk/inputs.hpp"

namespace gnn_test {

struct Settings {
  int blocks = 2, mlp_layers = 2;
  bool degree = false, jumping_knowledge = true;
};

// {nngp, ntk} between two graphs.
std::pair<double, double> reference_gntk(const ntk::sdk::Graph& g1, const ntk::sdk::Graph& g2,
                                         const Settings& s);

// A random connected-ish undirected graph with `nodes` nodes and f real features.
ntk::sdk::Graph random_graph(arma::uword nodes, arma::uword features, double edge_probability,
                             std::uint64_t seed, bool one_hot = false);

}  // namespace gnn_test
