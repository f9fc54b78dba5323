// A labelled data set split, the unit every engine piece exchanges.
//
// Examples are columns: x is d × n; y holds the regression/classification targets k × n
// (±1 rows for two classes, one-hot for many, real values for regression); labels are the
// integer class ids (1 × n, as doubles, empty for regression). After label noise, y/labels are
// the noisy ones and clean_y/clean_labels keep the originals (empty when no noise was applied).
//
// In Lua a Dataset is a table {x =, y =, labels =, clean_y =, clean_labels =, classes =, shape =}
// of ntk.matrix values (absent fields are nil); `classes` is a list of the original class ids
// in the order used by y's rows (one-hot) or {negative, positive} (±1); `shape` is the image
// shape {C, H, W} of each column when the examples are images flattened channel-major
// (e.g. {1, 28, 28} for MNIST), nil for plain vectors.
#pragma once

#include <armadillo>
#include <vector>

namespace ntk::core {

struct Dataset {
  arma::mat x;
  arma::mat y;
  arma::rowvec labels;
  arma::mat clean_y;
  arma::rowvec clean_labels;
  std::vector<double> classes;
  std::vector<arma::uword> shape;  // {C, H, W} for images, empty otherwise

  arma::uword size() const { return x.n_cols; }
};

// A train/test pair, as returned by loaders that split.
struct Split {
  Dataset train;
  Dataset test;
};

}  // namespace ntk::core
