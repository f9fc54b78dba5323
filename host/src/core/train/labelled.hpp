// Inputs paired with their targets: the training (or test) set a trainer works on.
//
// Training works on sdk::Inputs (dense, images or graphs) so any plugin's network can be trained;
// `labelled(dataset)` wraps a core::Dataset: dense columns, or images when it has a shape.
#pragma once

#include <armadillo>
#include <string>

#include "core/data/dataset.hpp"
#include "ntk/sdk/inputs.hpp"
#include "ntk/sdk/network.hpp"

namespace ntk::core::train {

struct Labelled {
  sdk::Inputs x;  // n examples
  arma::mat y;    // k × n targets

  arma::uword size() const { return x.size(); }
};

// Inputs from a Dataset's x (d × n; images of data.shape = {C, H, W} when given) and its
// targets y (k × n).
Labelled labelled(const Dataset& data);

// Throws ntk::Error (naming `where` and `what`, e.g. "train.gd(): data") unless the set is
// non-empty, y has net.outputs() rows and one column per example, and y is finite.
void check_labelled(const std::string& where, const std::string& what, const Labelled& data,
                    const sdk::Network& net);

}  // namespace ntk::core::train
