// The private part of a graph composition's KernelProgram (stax.hpp, "Graph steps"): where
// the graph events fall in the program's rule list. Rules before the first tap (and between a
// tap_end and the next tap) act on node pairs; rules between a tap and its tap_end are the
// tap's own example-pair readout; rules after `end` act on the sum of the taps.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "ntk/sdk/stax.hpp"

namespace ntk::sdk {

struct GraphEvent {
  enum class Kind { aggregate, tap, tap_end, end };
  Kind kind = Kind::aggregate;
  std::size_t at = 0;  // the number of rules emitted before it
  GraphScale scale = GraphScale::uniform;  // aggregate
  GraphReduce reduce = GraphReduce::sum;   // tap
  std::string label;                       // who emitted it, for errors
};

struct GraphProgram {
  bool active = false;  // graph_start() was emitted
  bool open = false;    // between graph_start() and graph_end()
  bool in_tap = false;  // between graph_tap() and graph_tap_end()
  double feature_scale = 1;
  std::string start_label;  // the graph part's position ("layer 1"), for errors
  std::vector<GraphEvent> events;
};

struct KernelProgramSteps;
// KernelProgram::run() on a graph program (graph_kernel.cpp).
Kernels run_graph_program(const KernelProgramSteps& steps, const Inputs& a, const Inputs& b,
                          KernelRequest what, const std::string& caller);

}  // namespace ntk::sdk
