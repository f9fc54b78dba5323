// Label noise: the corrupted-label experiments of Hu et al. 2020 ("Simple and effective
// regularization methods for training on noisily labeled data with generalization guarantee").
//
// Both functions keep the originals in clean_labels / clean_y (if the data set already carries
// noise, the existing clean fields are kept, so "clean" always means the original labels), and
// rebuild y from the noisy labels in the data set's encoding (±1 or one-hot, see labels.hpp).
#pragma once

#include <cstdint>

#include "core/data/dataset.hpp"

namespace ntk::core::data {

// Each label, with probability p, is replaced by a class drawn uniformly from the OTHER k-1
// classes. p in [0, 1].
Dataset symmetric_noise(const Dataset& data, double p, std::uint64_t seed);

// Each label of class i (the i-th entry of data.classes) becomes class j with probability
// P(i, j). P is k × k, entries in [0, 1], rows summing to 1 (to 1e-9).
Dataset transition_noise(const Dataset& data, const arma::mat& P, std::uint64_t seed);

}  // namespace ntk::core::data
