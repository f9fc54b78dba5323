#include <mpi.h>

#include "core/distributed/process_grid.hpp"
#include "core/distributed/scalapack.hpp"
#include "core/mpi/comm.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::distributed {

ProcessGrid::ProcessGrid(GridShape shape) : shape_(shape) {
  Cblacs_get(-1, 0, &context_);  // the system context: MPI_COMM_WORLD
  Cblacs_gridinit(&context_, "Row", shape.rows, shape.cols);
  int rows = 0, cols = 0;
  Cblacs_gridinfo(context_, &rows, &cols, &my_row_, &my_col_);
  if (rows != shape.rows || cols != shape.cols || my_row_ < 0)
    throw_error("BLACS: could not make a ", shape.rows, " x ", shape.cols, " process grid");
}

ProcessGrid::~ProcessGrid() {
  if (context_ >= 0 && mpi::initialised()) Cblacs_gridexit(context_);
}

std::shared_ptr<const ProcessGrid> make_grid(GridShape requested, const char* function) {
  const int ranks = mpi::size();
  if (!mpi::initialised() || ranks < 2)
    mpi::throw_collective(std::string(function) +
                          ": distributed = true needs at least 2 MPI ranks, and this run has " +
                          std::to_string(ranks) +
                          " (start it with `mpirun -np R ntklab run SCRIPT`, R >= 2; on one "
                          "process, compute the kernel without distributed = true)");
  GridShape shape = requested.rows == 0 ? choose_grid(ranks) : requested;
  if (shape.rows < 1 || shape.cols < 1 || shape.rows * shape.cols != ranks)
    mpi::throw_collective(std::string(function) + ": grid = {" + std::to_string(shape.rows) +
                          ", " + std::to_string(shape.cols) + "} has " +
                          std::to_string(shape.rows * shape.cols) + " places for " +
                          std::to_string(ranks) + " ranks: rows x cols must equal the number "
                          "of ranks (or leave grid out for the most square one)");
  return std::make_shared<const ProcessGrid>(shape);
}

}  // namespace ntk::core::distributed
