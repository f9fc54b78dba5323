// The graph steps of KernelProgram (stax.hpp, "Graph steps") compiled into a plan for the
// node-pair engine (graph_kernel.cpp): the node steps in order (dense, activations,
// aggregations, taps), each tap's own dense readout, and the rules after graph_end(), which
// run on the summed example-pair state in the fused pass.
#pragma once

#include <string>
#include <vector>

#include "kernel_program_steps.hpp"
#include "layers_elementwise.hpp"

namespace ntk::sdk::graph {

struct NodeStep {
  enum class Kind { affine, relu, erf, activation, aggregate, tap };
  Kind kind = Kind::affine;
  layers::AffineCoefficients affine;
  ActivationPtr activation;
  GraphScale scale = GraphScale::uniform;
  std::size_t index = 0;  // tap: its number; activations: their variance slot
  bool ntk_live = false;  // Θ is not identically zero when the step runs
  std::string label;      // the layer that emitted it, for errors
  bool keeps_positive = false;  // dense, relu, erf: a positive variance stays positive
};

struct TapPlan {
  GraphReduce reduce = GraphReduce::sum;
  std::vector<layers::AffineCoefficients> readout;  // its dense layers, in order
  std::string label;  // its position ("layer 1, readout 2"), for errors
};

struct Plan {
  std::vector<NodeStep> steps;
  std::vector<TapPlan> taps;
  std::vector<layers::Rule> post;  // after graph_end(), on the example-pair state
  std::size_t slots = 0;
  double feature_scale = 1;
  std::string label;  // the graph part's position ("layer 1"), for errors
  bool ntk_live = false;       // Θ of the summed taps is not identically zero
  bool post_gaussian = true;   // the summed state is Gaussian (for activations after the end)
};

// The plan of a program's graph part; errors name the layer that cannot act on nodes.
Plan compile(const KernelProgramSteps& steps);

}  // namespace ntk::sdk::graph
