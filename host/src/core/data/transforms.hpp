// Transforms of a Dataset: selecting and subsampling examples, splits, normalisation.
//
// Examples are columns, so "unit norm" scales each example (column of x) to Euclidean norm 1
// and "standardise" works per feature (row of x) with statistics from the training set.
// Seeded draws use data/random.hpp: the same seed gives the same subset everywhere.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/data/dataset.hpp"

namespace ntk::core::data {

// Throws (naming `who`) if y, labels, clean_y or clean_labels, when present, do not have one
// column per example of x, or if x is empty.
void check_dataset(const Dataset& data, const std::string& who);

// The examples `columns` (0-based, in that order) of every field; classes are kept.
Dataset select(const Dataset& data, const std::vector<arma::uword>& columns);

// A seeded draw of disjoint train and test indices out of 0..available-1: one random
// permutation, train = its first n_train entries, test = its last n_test entries. So with a
// fixed seed a larger n_train extends the training set and leaves the test set unchanged.
// Throws naming the counts if n_train + n_test > available.
std::pair<std::vector<arma::uword>, std::vector<arma::uword>> split_indices(
    arma::uword available, arma::uword n_train, arma::uword n_test, std::uint64_t seed,
    const std::string& who);

// Disjoint seeded train/test subsets of a data set (see split_indices).
Split split(const Dataset& data, arma::uword n_train, arma::uword n_test, std::uint64_t seed);

// n examples drawn without replacement (the first n of a seeded permutation, so nested in n).
Dataset subsample(const Dataset& data, arma::uword n, std::uint64_t seed);

// Each example (column of x) scaled to Euclidean norm 1; a zero example throws.
Dataset unit_norm(const Dataset& data);

// Per-feature standardisation: x_i <- (x_i - mean_i) / scale_i, with the population standard
// deviation (divide by n) as scale; a feature constant on the training set gets scale 1 (it is
// only centred), so e.g. MNIST's always-black border pixels stay 0 instead of becoming NaN.
struct Standardizer {
  arma::vec mean;
  arma::vec scale;
};
Standardizer fit_standardizer(const arma::mat& x);
arma::mat apply_standardizer(const Standardizer& s, const arma::mat& x);

// Standardises train with its own statistics and test with the train statistics.
void standardize(Dataset& train, Dataset& test);
void standardize(Dataset& train);

// Applies a loader's `normalize` option to a split: "none", "unit" (unit_norm on both) or
// "standardize" (train statistics applied to test).
void normalize(Split& split, const std::string& method, const std::string& who);

}  // namespace ntk::core::data
