#include "core/data/labels.hpp"

#include <algorithm>
#include <set>
#include <sstream>

#include "core/data/transforms.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::data {

LabelEncoding parse_encoding(const std::string& name, const std::string& who) {
  if (name == "pm1") return LabelEncoding::pm1;
  if (name == "onehot") return LabelEncoding::onehot;
  throw_error(who, ": unknown label encoding '", name, "' (accepted: \"pm1\", \"onehot\")");
}

const char* encoding_name(LabelEncoding encoding) {
  return encoding == LabelEncoding::pm1 ? "pm1" : "onehot";
}

LabelEncoding encoding_of(const Dataset& data, const std::string& who) {
  const arma::uword k = data.classes.size();
  if (k == 2 && data.y.n_rows == 1) return LabelEncoding::pm1;
  if (k >= 2 && data.y.n_rows == k) return LabelEncoding::onehot;
  throw_error(who, ": y has ", data.y.n_rows, " rows for ", k,
              " classes: expected ±1 targets (1 row, 2 classes) or one-hot targets (one row per "
              "class); use filter_classes/encode to set class labels first");
}

arma::mat encode_labels(const arma::rowvec& labels, const std::vector<double>& classes,
                        LabelEncoding encoding, const std::string& who) {
  const arma::uword k = classes.size();
  if (encoding == LabelEncoding::pm1 && k != 2)
    throw_error(who, ": \"pm1\" targets need exactly 2 classes, got ", k, " (use \"onehot\")");
  if (k < 2) throw_error(who, ": need at least 2 classes, got ", k);
  arma::mat y(encoding == LabelEncoding::pm1 ? 1 : k, labels.n_elem, arma::fill::zeros);
  for (arma::uword j = 0; j < labels.n_elem; ++j) {
    const auto it = std::find(classes.begin(), classes.end(), labels(j));
    if (it == classes.end())
      throw_error(who, ": example ", j + 1, " has label ", labels(j), ", not one of the classes");
    const arma::uword r = static_cast<arma::uword>(it - classes.begin());
    if (encoding == LabelEncoding::pm1)
      y(0, j) = r == 0 ? -1.0 : 1.0;
    else
      y(r, j) = 1.0;
  }
  return y;
}

Dataset filter_classes(const Dataset& data, const std::vector<double>& classes,
                       LabelEncoding encoding) {
  const char* who = "filter_classes()";
  check_dataset(data, who);
  if (data.labels.n_elem != data.size())
    throw_error(who, ": the data set has no class labels (", data.labels.n_elem, " labels for ",
                data.size(), " examples)");
  if (!data.clean_labels.is_empty())
    throw_error(who, ": the data set already carries label noise; filter classes first, then "
                "add noise");
  if (std::set<double>(classes.begin(), classes.end()).size() != classes.size())
    throw_error(who, ": duplicate class in the list of ", classes.size(), " classes");

  std::vector<arma::uword> keep;
  std::vector<arma::uword> count(classes.size(), 0);
  for (arma::uword j = 0; j < data.size(); ++j) {
    const auto it = std::find(classes.begin(), classes.end(), data.labels(j));
    if (it == classes.end()) continue;
    keep.push_back(j);
    ++count[static_cast<std::size_t>(it - classes.begin())];
  }
  for (std::size_t c = 0; c < classes.size(); ++c)
    if (count[c] == 0) {
      std::set<double> present(data.labels.begin(), data.labels.end());
      std::ostringstream list;
      for (double v : present) list << (list.tellp() > 0 ? ", " : "") << v;
      throw_error(who, ": unknown class ", classes[c], " (no example has it; labels present: ",
                  list.str(), ")");
    }

  Dataset out = select(data, keep);
  out.classes = classes;
  out.y = encode_labels(out.labels, classes, encoding, who);
  return out;
}

Dataset encode(const Dataset& data, LabelEncoding encoding) {
  std::set<double> distinct(data.labels.begin(), data.labels.end());
  return filter_classes(data, std::vector<double>(distinct.begin(), distinct.end()), encoding);
}

}  // namespace ntk::core::data
