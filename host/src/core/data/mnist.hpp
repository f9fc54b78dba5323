// MNIST and Fashion-MNIST: 28 × 28 grey images with labels 0..9, as 784 × n data sets.
//
// Images become columns (row-major pixel order, see idx.hpp) with pixel values scaled from
// 0..255 to [0, 1]; labels are the digit / clothing class ids 0..9.
//
// * mnist(): the project ships only the MNIST *test* split (10,000 images, data/mnist, see its
//   SOURCE.txt), so train and test are disjoint seeded draws from it (transforms.hpp's
//   split_indices: nested in n_train for a fixed seed, test set independent of n_train).
// * fashion_mnist(): the official 60,000 / 10,000 split from the Debian package
//   dataset-fashion-mnist (/usr/share/datasets/fashion-mnist), each side subsampled (seeded).
// Both keep the last three decoded file pairs in memory (keyed by path, size and modification
// time), so repeated calls in a script do not decompress the files again.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/data/dataset.hpp"
#include "core/data/idx.hpp"
#include "core/data/labels.hpp"

namespace ntk::core::data {

struct ImageSetOptions {
  std::vector<double> classes;           // empty: all ten, 0..9
  std::optional<arma::uword> n_train;    // mnist: required; fashion: default all of the class
  std::optional<arma::uword> n_test;     // mnist: required; fashion: default all of the class
  std::uint64_t seed = 0;
  std::optional<LabelEncoding> labels;   // default: pm1 for two classes, onehot otherwise
  std::string normalize = "none";        // "none" | "unit" | "standardize" (transforms.hpp)
  std::string dir;                       // folder of the IDX files; empty: the default one
};

Split mnist(const ImageSetOptions& options);
Split fashion_mnist(const ImageSetOptions& options);

// The default folders: data_dir()/mnist and /usr/share/datasets/fashion-mnist.
std::string mnist_dir();
inline const char* fashion_mnist_default_dir() { return "/usr/share/datasets/fashion-mnist"; }

// An image file and its label file, checked against each other: images n × r × c unsigned
// bytes, labels n unsigned bytes in 0..9, the same n. Errors name the file and byte offset.
struct LabelledImages {
  IdxArray images;
  IdxArray labels;
};
LabelledImages read_labelled_images(const std::string& images_path, const std::string& labels_path,
                                    const std::string& who);

// The examples `items` (0-based) as a Dataset: x = pixels / 255, labels = class ids, no y,
// shape = {1, rows, cols}.
Dataset to_dataset(const LabelledImages& set, const std::vector<arma::uword>& items);

}  // namespace ntk::core::data
