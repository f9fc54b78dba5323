// The UCI classification sets as preprocessed by Fernández-Delgado et al. (2014), the format
// Arora et al. (2020) used for their 90-data-set NTK benchmark (data/uci, SOURCE.txt there).
//
// A data set is a folder DIR = .../NAME holding
//   NAME.txt             metadata lines "key= value": n_entradas (features d), n_clases (k),
//                        fich1 (the data file, NAME_R.dat), n_patrons1 (samples n), …
//   NAME_R.dat           a header line (tab, f1 … fd, clase), then one line per sample:
//                        "index f1 … fd class" (index 1..n; features standardised; class an
//                        integer 0..k−1), blank- or tab-separated
//   conxuntos.dat        line 1: training indices, line 2: validation indices (hyper-parameter
//                        selection)
//   conxuntos_kfold.dat  4 folds × 2 lines: training indices, test indices
// Indices in both split files are 0-based sample numbers (every one of the 90 sets uses 0 and
// none reaches n; Arora et al.'s UCI.py indexes numpy arrays with them directly).
//
// Malformed files throw ntk::Error naming FILE:LINE and what was expected.
#pragma once

#include <armadillo>
#include <string>
#include <vector>

namespace ntk::core::data {

struct UciSplit {
  std::vector<arma::uword> train, test;  // 0-based sample indices, in file order
};

struct UciDataset {
  std::string name;                // the folder's name, e.g. "iris"
  std::string dir;                 // the folder read
  arma::mat x;                     // d × n features, one sample per column
  arma::urowvec labels;            // 1 × n class ids 0..k−1
  arma::uword classes = 0;         // k (n_clases of NAME.txt)
  UciSplit validation;             // conxuntos.dat: train / validation
  std::vector<UciSplit> folds;     // conxuntos_kfold.dat: 4 × train / test
};

// The folder of a data set: an existing directory path, or a name looked up as uci/NAME in the
// data folder (core/data/data_dir.hpp). Throws naming what was tried.
std::string find_uci_dir(const std::string& name_or_path);

// Reads a whole data set (metadata, table, both split files) and cross-checks the sizes:
// n_patrons1 against the samples, n_clases against the labels (each class 0..k−1 must appear,
// so k is at most the number of samples).
UciDataset read_uci(const std::string& name_or_path);

// The pieces, for tests and other formats.
// The metadata NAME.txt as key/value pairs (keys without the trailing '=').
std::vector<std::pair<std::string, std::string>> read_uci_metadata(const std::string& path);
// NAME_R.dat: features (d × n) and labels; `features` and `classes` are the expected d and k.
void read_uci_table(const std::string& path, arma::uword features, arma::uword classes,
                    arma::mat& x, arma::urowvec& labels);
// A split file of exactly `lines` non-empty lines of indices < n, pairs (2i, 2i+1) being one
// train / test split: no index twice in a line, train and test disjoint.
std::vector<UciSplit> read_uci_splits(const std::string& path, arma::uword n,
                                      std::size_t lines);

// The names in data/uci/INDEX.tsv (columns: dataset, …, in_arora2020_90, …); with
// `arora2020_only` only the rows whose in_arora2020_90 is "yes" (the paper's 90), in file order.
std::vector<std::string> uci_index(bool arora2020_only = true);
std::vector<std::string> read_uci_index(const std::string& index_path, bool arora2020_only);

}  // namespace ntk::core::data
