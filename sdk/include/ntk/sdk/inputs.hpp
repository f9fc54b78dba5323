// Inputs to kernels and networks: dense vectors, images, or graphs.
//
// Examples are columns (Armadillo is column-major): dense inputs and images are d × n matrices;
// an image column is its pixels flattened channel-major (C, H, W), so d = C·H·W.
// Graphs are a list of (sparse adjacency, sparse node features) pairs, features f × n_nodes
// (nodes are columns, like examples). Features are sparse so that one-hot node labels cost
// memory in proportion to the nodes, not to nodes × distinct labels (15,000 one-node graphs
// with distinct tags: 15,000 entries, not 1.8 GB); dense attributes are stored as they are,
// with every entry (arma::sp_mat(dense) converts, and the kernel engine finds them dense).
#pragma once

#include <armadillo>
#include <string>
#include <utility>
#include <vector>

#include "ntk/sdk/error.hpp"

namespace ntk::sdk {

struct ImageShape {
  arma::uword channels = 0, height = 0, width = 0;
  arma::uword size() const { return channels * height * width; }
};

struct Graph {
  arma::sp_mat adjacency;  // n_nodes × n_nodes, symmetric, no self-loops
  arma::sp_mat features;   // f × n_nodes (SDK 4: sparse; SDK 3 had a dense arma::mat)
};

class Inputs {
 public:
  enum class Kind { dense, images, graphs };

  Inputs() = default;
  // Dense vectors, d × n.
  static Inputs dense(arma::mat x) {
    Inputs in;
    in.kind_ = Kind::dense;
    in.x_ = std::move(x);
    return in;
  }
  // Images flattened channel-major, (C·H·W) × n.
  static Inputs images(arma::mat x, ImageShape shape) {
    if (x.n_rows != shape.size())
      throw_error("Inputs::images(): matrix has ", x.n_rows, " rows but shape {", shape.channels,
                  ", ", shape.height, ", ", shape.width, "} needs ", shape.size());
    Inputs in;
    in.kind_ = Kind::images;
    in.x_ = std::move(x);
    in.shape_ = shape;
    return in;
  }
  static Inputs graphs(std::vector<Graph> graphs) {
    Inputs in;
    in.kind_ = Kind::graphs;
    in.graphs_ = std::move(graphs);
    return in;
  }

  Kind kind() const { return kind_; }
  // Number of examples (columns, or graphs).
  arma::uword size() const { return kind_ == Kind::graphs ? graphs_.size() : x_.n_cols; }
  // Feature dimension of dense inputs and images.
  arma::uword dim() const { return x_.n_rows; }
  const arma::mat& x() const { return x_; }
  const ImageShape& shape() const { return shape_; }
  const std::vector<Graph>& graph_list() const { return graphs_; }

 private:
  Kind kind_ = Kind::dense;
  arma::mat x_;
  ImageShape shape_;
  std::vector<Graph> graphs_;
};

}  // namespace ntk::sdk
