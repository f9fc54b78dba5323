#include <sstream>

#include "core/distributed/distributed_matrix.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::distributed {

std::string DistributedMatrix::describe() const {
  std::ostringstream text;
  text << "a " << layout.n_rows << " x " << layout.n_cols << " distributed "
       << (what.empty() ? "matrix" : what == "ntk" ? "NTK" : "NNGP") << " ("
       << (float32 ? "float32" : "float64") << ", " << layout.grid_rows << " x "
       << layout.grid_cols << " ranks, blocks of " << layout.block << ")";
  return text.str();
}

void DistributedMatrix::require_kernel(const std::string& function) const {
  if (factorised)
    throw_error(function, ": ", describe(), " was consumed by ntk.solve.ridge with keep_kernel "
                "= false (its lower triangle holds the Cholesky factor); compute it again");
}

}  // namespace ntk::core::distributed
