#include <sstream>

#include "core/distributed/distributed_matrix.hpp"

namespace ntk::core::distributed {

std::string DistributedMatrix::describe() const {
  std::ostringstream text;
  text << "a " << layout.n_rows << " x " << layout.n_cols << " distributed "
       << (what.empty() ? "matrix" : what == "ntk" ? "NTK" : "NNGP") << " ("
       << (float32 ? "float32" : "float64") << ", " << layout.grid_rows << " x "
       << layout.grid_cols << " ranks, blocks of " << layout.block << ")";
  return text.str();
}

}  // namespace ntk::core::distributed
