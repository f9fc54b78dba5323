#include "core/train/labelled.hpp"

#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::train {

Labelled labelled(const Dataset& data) {
  if (data.y.n_cols != data.x.n_cols)
    throw_error("labelled(): dataset has ", data.x.n_cols, " inputs (x is ", data.x.n_rows, " x ",
                data.x.n_cols, ") but ", data.y.n_cols, " targets (y is ", data.y.n_rows, " x ",
                data.y.n_cols, ")");
  if (data.shape.empty()) return Labelled{sdk::Inputs::dense(data.x), data.y};
  if (data.shape.size() != 3)
    throw_error("labelled(): dataset shape has ", data.shape.size(),
                " entries; images need {C, H, W}");
  return Labelled{sdk::Inputs::images(data.x, {data.shape[0], data.shape[1], data.shape[2]}),
                  data.y};
}

void check_labelled(const std::string& where, const std::string& what, const Labelled& data,
                    const sdk::Network& net) {
  if (data.size() == 0) throw_error(where, ": ", what, " has no examples");
  if (data.y.n_cols != data.size())
    throw_error(where, ": ", what, " has ", data.size(), " inputs but y has ", data.y.n_cols,
                " columns (targets are k x n, one column per example)");
  if (data.y.n_rows != net.outputs())
    throw_error(where, ": ", what, ".y has ", data.y.n_rows, " rows but the network has ",
                net.outputs(), " outputs (targets are k x n)");
  sdk::check_finite(where + ": " + what + ".y", data.y);
}

}  // namespace ntk::core::train
