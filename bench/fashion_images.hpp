// The benchmarks' data: the first n Fashion-MNIST training images (pixels / 255, one column
// each), or an empty matrix when the files are missing (callers fall back to random images).
#pragma once

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "core/data/mnist.hpp"

namespace ntk::bench {

inline arma::mat first_fashion_images(arma::uword n) {
  namespace data = ntk::core::data;
  const std::string dir = data::fashion_mnist_default_dir();
  const std::string images = dir + "/train-images-idx3-ubyte.gz";
  const std::string labels = dir + "/train-labels-idx1-ubyte.gz";
  if (!std::filesystem::exists(images) || !std::filesystem::exists(labels)) return {};
  const data::LabelledImages set = data::read_labelled_images(images, labels, "benchmark");
  std::vector<arma::uword> items(std::min<arma::uword>(n, set.images.items()));
  for (arma::uword i = 0; i < items.size(); ++i) items[i] = i;
  return data::to_dataset(set, items).x;
}

}  // namespace ntk::bench
