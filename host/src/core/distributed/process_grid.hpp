// A BLACS process grid (context) over MPI_COMM_WORLD: what ScaLAPACK routines run on.
// Only in an MPI build (process_grid_mpi.cpp).
#pragma once

#include <memory>

#include "core/distributed/layout.hpp"

namespace ntk::core::distributed {

class ProcessGrid {
 public:
  // Collective. Row-major grid of shape.rows × shape.cols = every rank.
  explicit ProcessGrid(GridShape shape);
  ~ProcessGrid();
  ProcessGrid(const ProcessGrid&) = delete;
  ProcessGrid& operator=(const ProcessGrid&) = delete;

  int context() const { return context_; }
  GridShape shape() const { return shape_; }
  int my_row() const { return my_row_; }
  int my_col() const { return my_col_; }
  // The MPI rank of grid position (row, col) (row-major order).
  int rank_of(int row, int col) const { return row * shape_.cols + col; }

 private:
  int context_ = -1;
  GridShape shape_;
  int my_row_ = 0, my_col_ = 0;
};

// Collective: the grid of the given shape, or the most square one (choose_grid) when rows = 0;
// checks that rows × cols is the number of ranks (an error on every rank otherwise).
std::shared_ptr<const ProcessGrid> make_grid(GridShape requested, const char* function);

}  // namespace ntk::core::distributed
