// Targets from class labels: ±1 for two classes, one-hot for any number; the class filter.
//
// Labels are the original class ids (e.g. 3 and 5 for MNIST "3 vs 5"); `classes` fixes the
// order: ±1 maps classes[0] -> -1 and classes[1] -> +1; one-hot row r is classes[r].
#pragma once

#include <string>
#include <vector>

#include "core/data/dataset.hpp"

namespace ntk::core::data {

enum class LabelEncoding { pm1, onehot };

// "pm1" or "onehot"; anything else throws naming `who` and the accepted names.
LabelEncoding parse_encoding(const std::string& name, const std::string& who);
const char* encoding_name(LabelEncoding encoding);

// The encoding a data set's y has: pm1 for one row and two classes, onehot for one row per
// class; throws if y fits neither (e.g. regression targets).
LabelEncoding encoding_of(const Dataset& data, const std::string& who);

// Targets (1 × n for pm1, k × n for onehot) of `labels`; a label not in `classes` throws.
arma::mat encode_labels(const arma::rowvec& labels, const std::vector<double>& classes,
                        LabelEncoding encoding, const std::string& who);

// The examples whose label is one of `classes`, in their original order, with y rebuilt in
// `encoding` and data.classes = classes. pm1 needs exactly two classes. Throws for a class that
// no example has ("unknown class"), duplicate classes, a data set without labels, or one that
// already carries label noise (filter first, then add noise).
Dataset filter_classes(const Dataset& data, const std::vector<double>& classes,
                       LabelEncoding encoding);

// filter_classes with every distinct label, ascending (for CSV data with a class column).
Dataset encode(const Dataset& data, LabelEncoding encoding);

}  // namespace ntk::core::data
