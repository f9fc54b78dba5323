// The private part of KernelProgram (stax.hpp): the two engines' rule lists.
#pragma once

#include <vector>

#include "graph_program.hpp"
#include "layers.hpp"
#include "layers_conv.hpp"
#include "layers_pool.hpp"
#include "ntk/sdk/layer.hpp"

namespace ntk::sdk {

struct KernelProgramSteps {
  Shape input;
  bool on_images = false;  // set by the composition when the input is an image
  std::vector<layers::ImageRule> image_rules;
  bool has_readout = false;
  layers::SpatialReadout readout;
  std::vector<layers::Rule> rules;
  std::vector<bool> open_blocks;  // per open residual block: opened on images
  bool needs_dense = false;   // after flatten / avg_pool: only a dense layer may follow
  bool pooled_image = false;  // after avg_pool: a flatten is already done
  GraphProgram graph;         // graph inputs: where the graph steps fall in `rules`
};

}  // namespace ntk::sdk
