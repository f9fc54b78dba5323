// Graph layers of the layer library (SDK 3): graph neural networks as compositions, and the
// graph neural tangent kernel (GNTK) of Du et al. 2019 as their analytic kernel.
//
// Graph inputs have shape graph(f): each node carries f features. A graph part reads them node
// by node — inside it every node is an example of the usual layers (dense, activations) and
// aggregate mixes each node with its neighbours — and reads the nodes out to one vector per
// graph. The GNTK with 2 BLOCKs of 2 ReLU layers, Du et al.'s settings, is
//
//   namespace st = ntk::sdk::stax;
//   auto block = [](double w) {   // aggregation, then an MLP with c_σ = 2 (W_std = √2)
//     return st::serial({st::aggregate(GraphScale::uniform), st::dense(w), st::activation("relu"),
//                        st::dense(std::sqrt(2.0)), st::activation("relu")});
//   };
//   // x·x' without 1/f at the input; readout 2·Σ_{u,u'} = Dense(W_std = √2·√c_σ = 2) on the sum.
//   st::composition({st::graph_readout({block(1), block(std::sqrt(2.0))},
//                                      {.reduce = GraphReduce::sum, .features = GraphReduce::sum}),
//                    st::dense(2)}, {});
//   // with jumping knowledge: each tap (the input, every block's output) has its own readout
//   st::jumping_knowledge({block(1), block(std::sqrt(2.0))},
//                         {{st::dense(std::sqrt(2.0))}, {st::dense(2)}, {st::dense(2)}}, options);
//
// Kernels: per graph pair the node-pair state (n1 × n2 Σ and Θ, per-node variances from each
// graph paired with itself) runs through the node layers; a readout sums (or averages) it over
// node pairs. Finite networks: the same layers on the nodes of all graphs side by side, with
// the structured empirical NTK (node-pair terms, summed per graph pair).
#pragma once

#include <string>
#include <vector>

#include "ntk/sdk/stax.hpp"

namespace ntk::sdk::stax {

// h_u ← c_u Σ_{v ∈ N(u) ∪ {u}} h_v (Du et al. 2019, BLOCK): c_u = 1 (uniform, a sum) or
// 1/(|N(u)| + 1) (degree, a mean; weighted graphs: 1 / row sum of A + I). Kernel:
// Σ ← M₁ Σ M₂ᵀ, Θ ← M₁ Θ M₂ᵀ. Only inside a graph part's layers.
LayerPtr aggregate(GraphScale scale = GraphScale::uniform);

struct GraphReadoutOptions {
  GraphReduce reduce = GraphReduce::sum;  // over each graph's nodes: sum or mean
  // The input node-pair kernel: mean x·x'/f (the stax convention) or sum x·x' (Du et al.; the
  // finite network then reads the features times √f).
  GraphReduce features = GraphReduce::mean;
};

// graph(f) → vector: the node layers on every node, then the readout over each graph's nodes.
LayerPtr graph_readout(std::vector<LayerPtr> node_layers, const GraphReadoutOptions& options = {});

// Jumping knowledge (Xu et al. 2018) in its sum form: with h_0 the input nodes and
// h_t = blocks[t−1](h_{t−1}), the output is Σ_t readouts[t](readout over nodes of h_t), each tap
// with its own layers (dense ones; its own parameters). readouts has blocks.size() + 1 entries.
LayerPtr jumping_knowledge(std::vector<LayerPtr> blocks,
                           std::vector<std::vector<LayerPtr>> readouts,
                           const GraphReadoutOptions& options = {});

// Kernel families from intermediate outputs: for a composition (`layers`, `outputs`) holding a
// graph part, the kernels at each of its taps — graph_readout: one; jumping_knowledge: the
// input and every block — from one pass over graph pairs. Tap t of jumping_knowledge is the
// kernel of the first t blocks read out by readouts[t]; the sum of taps 0..t is the jumping
// knowledge kernel of t blocks. Holds every tap's n1 × n2 matrices at once.
std::vector<Kernels> graph_tap_kernels(const std::vector<LayerPtr>& layers, arma::uword outputs,
                                       const Inputs& a, const Inputs& b, KernelRequest what,
                                       const std::string& caller);

}  // namespace ntk::sdk::stax
