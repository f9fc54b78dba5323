// Range checks of the graph kernel engine (graph_kernel.cpp), the node-pair counterpart of the
// vector engine's (layers.cpp): never NaN, never a silently wrong number.
//
// The node-pair maps themselves are scale-free within the double range (relu takes ρ from
// 1/√Σ(u,u) and forms d₁d₂ from square roots, never Σ₁₁Σ₂₂; graph_relu.hpp), so what can go
// wrong is a value that truly leaves the range: a node variance Σ(u,u) of a graph paired with
// itself that overflows or underflows after some step, the input x·x' of features that do,
// an NTK entry that overflows while the NNGP does not, or a readout sum over node pairs. Each
// is an ntk::Error naming the step's layer (its position and name), the graph and the node.
//
// By Cauchy–Schwarz every node-pair entry is bounded by the variances of its two nodes, so the
// per-graph variance checks (O(nodes) per step) cover the NNGP of every pair; the pairs only
// check their taps' sums, and replay a pair step by step when one is not finite.
#pragma once

#include <armadillo>
#include <exception>
#include <string>

#include "graph_batch.hpp"

namespace ntk::sdk::graph {

// Names a graph in messages: "graph 3", "the first set's graph 3", "the second set's graph 3".
std::string graph_name(const char* set, arma::uword index);

// The input node variances Σ₀(u, u) = x_u·x_u·scale of one graph: refuses a non-finite one
// (the features overflow) and one that underflowed (below the normal range while x_u ≠ 0,
// which would pass as a zero node). `where` is the graph part's label.
void check_input_variances(const arma::vec& variances, const PreparedGraph& g,
                           const std::string& where, const std::string& who,
                           const std::string& caller);

// The node variances after step `label` (`before`: what it received): refuses a non-finite one,
// a subnormal one, or a 0 from a positive value under a step that keeps variances positive.
void check_node_variances(const arma::vec& before, const arma::vec& after,
                          const std::string& label, bool keeps_positive, const std::string& who,
                          const std::string& caller);

// The first exception of an OpenMP loop, by the smallest loop index (so the error does not
// depend on the thread count): capture() in a catch block inside the loop, rethrow() after.
class FirstError {
 public:
  void capture(arma::uword index);
  bool any() const { return static_cast<bool>(error_); }
  // Whether work at `index` can be skipped (an error at a smaller index is already known).
  bool skip(arma::uword index) const;
  void rethrow() const;

 private:
  std::exception_ptr error_;
  arma::uword index_ = 0;
};

}  // namespace ntk::sdk::graph
