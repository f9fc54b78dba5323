// The TU graph benchmarks in the text format of GIN (Xu et al. 2019, weihua916/powerful-gnns)
// and GNTK (Du et al. 2019, KangchengHou/gntk), with their 10-fold split files.
//
// NAME.txt: line 1 = number of graphs N; per graph a line "n_nodes label", then n_nodes lines
// "tag n_neighbours neighbour_1 … neighbour_k [node attributes…]" (0-based neighbours; the
// attributes, if any, are ignored as in both reference loaders). As in those loaders: edges are
// undirected (a neighbour listed by one end only is still an edge) and deduplicated; labels are
// mapped to class ids 0, 1, … in order of first appearance; the node features are the one-hot
// encoding of the node tag over the tags seen in the whole file, or, with degree_as_tag, of the
// node's degree. Malformed files throw ntk::Error naming FILE:LINE.
//
// Bounded by the file: the graph count and each node count are checked against the non-blank
// lines left (a graph needs a line, a node needs a line) before anything is sized by them. The
// one-hot features are sparse (sdk::Graph::features, SDK 4): one entry per node, so their memory
// is O(nodes) = O(lines) whatever the number of distinct tags.
//
// Folds: DIR/10fold_idx/{train,test}_idx-K.txt, K = 1, 2, …, one 0-based graph index per line.
#pragma once

#include <armadillo>
#include <string>
#include <vector>

#include "ntk/sdk/inputs.hpp"

namespace ntk::core::data {

struct TuGraphs {
  std::string name;                  // the file's stem, e.g. "MUTAG"
  std::string path;                  // the file read
  bool degree_as_tag = false;
  std::vector<sdk::Graph> graphs;    // adjacency symmetric 0/1 without self-loops; features f × n
                                     // (sparse one-hot: one entry per node)
  arma::rowvec labels;               // class id of each graph (0-based, first-appearance order)
  std::vector<double> classes;       // the file's label of each class id
  std::vector<long long> tags;       // the tag (or degree) of each feature row, ascending

  arma::uword size() const { return graphs.size(); }
  arma::uword features() const { return tags.size(); }
};

struct TuFold {
  std::vector<arma::uword> train, test;  // 0-based graph indices, in file order
};

// Reads a NAME.txt file.
TuGraphs read_tu_graphs(const std::string& path, bool degree_as_tag);

// The .txt file of a data set: an existing file path; a directory DIR (DIR/basename(DIR).txt);
// or a name looked up as graphs/NAME/NAME.txt in the data folder (core/data/data_dir.hpp).
std::string find_tu_file(const std::string& name_or_path);

// The GIN/GNTK default: degree tags for the social networks (IMDBBINARY, IMDBMULTI, COLLAB,
// their names without the directory), node labels otherwise.
bool tu_default_degree_as_tag(const std::string& name);

// The folds next to a data set file (DIR/10fold_idx for DIR = the file's folder). Checks every
// index is below n_graphs and appears once per file, train and test of a fold are disjoint
// and together cover all graphs, and the test sets of different folds are disjoint. (They need
// not cover every graph: the shipped MUTAG, PTC and PROTEINS folds leave 8, 4 and 3 graphs out
// of every test set, as in the files GIN and GNTK used.) Throws naming FILE:LINE; a missing
// folder or train_idx-1.txt is an error naming the path.
std::vector<TuFold> read_tu_folds(const std::string& data_file, arma::uword n_graphs);

}  // namespace ntk::core::data
