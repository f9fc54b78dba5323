#include "graph_range.hpp"

#include <cmath>
#include <limits>

#include "ntk/sdk/error.hpp"

namespace ntk::sdk::graph {

std::string graph_name(const char* set, arma::uword index) {
  return std::string(set) + "graph " + std::to_string(index + 1);
}

void check_input_variances(const arma::vec& v, const PreparedGraph& g, const std::string& where,
                           const std::string& who, const std::string& caller) {
  for (arma::uword u = 0; u < v.n_elem; ++u) {
    if (!std::isfinite(v[u]))
      throw_error(caller, ": the node features of ", who, " overflow double precision: x·x' of "
                  "node ", u + 1, " is ", v[u], " at the input of ", where,
                  "; rescale the node features");
    const bool features = g.fptr[u + 1] > g.fptr[u];  // the node has a non-zero feature
    if (features && v[u] < std::numeric_limits<double>::min())
      throw_error(caller, ": x·x' of node ", u + 1, " of ", who, " is ", v[u], " at the input of ",
                  where, ", below the double range (it underflows) although its features are "
                  "not zero; rescale the node features");
  }
}

void check_node_variances(const arma::vec& before, const arma::vec& after,
                          const std::string& label, bool keeps_positive, const std::string& who,
                          const std::string& caller) {
  for (arma::uword u = 0; u < after.n_elem; ++u) {
    if (!std::isfinite(after[u]))
      throw_error(caller, ": a non-finite variance (", after[u], ") of node ", u + 1, " of ", who,
                  " first appeared at ", label, "; the node features or the layers' scales are "
                  "too large for this depth (the variances overflow double precision): use "
                  "smaller weight scales (w_std) or rescale the node features");
    const bool subnormal =
        after[u] != 0 && std::fabs(after[u]) < std::numeric_limits<double>::min();
    const bool vanished = keeps_positive && after[u] == 0 && before[u] > 0;
    if (subnormal || vanished)
      throw_error(caller, ": the variance of node ", u + 1, " of ", who, " underflowed (",
                  before[u], " became ", after[u], ") at ", label, "; the node features or the "
                  "layers' scales are too small for this depth (the variances leave double "
                  "precision): use larger weight scales (w_std) or rescale the node features");
  }
}

void FirstError::capture(arma::uword index) {
#pragma omp critical(ntk_graph_first_error)
  if (!error_ || index < index_) {
    error_ = std::current_exception();
    index_ = index;
  }
}

bool FirstError::skip(arma::uword index) const {
  bool skip = false;
#pragma omp critical(ntk_graph_first_error)
  skip = error_ && index_ < index;
  return skip;
}

void FirstError::rethrow() const {
  if (error_) std::rethrow_exception(error_);
}

}  // namespace ntk::sdk::graph
