// A matrix spread over the ranks of `mpirun` in ScaLAPACK's block-cyclic layout (issue 16):
// each rank holds only its blocks (layout.hpp), never the whole matrix.
//
// Kernels made by distributed_kernel (kernel.hpp) are this type. A symmetric kernel (the same
// inputs on both sides) is computed on one triangle (the lower one) and its upper triangle is
// filled by sending each block to the rank that holds its mirror (mirror.hpp), so the matrix is
// complete and the solvers can factorise the lower triangle in place and restore it from the
// upper one.
#pragma once

#include <armadillo>
#include <cstdint>
#include <memory>
#include <string>

#include "core/distributed/layout.hpp"

namespace ntk::core::distributed {

class ProcessGrid;  // a BLACS context (process_grid.hpp; exists only in an MPI build)

struct DistributedMatrix {
  Layout layout;
  std::shared_ptr<const ProcessGrid> grid;
  bool float32 = false;
  arma::mat local;     // local_rows × local_cols, when float64
  arma::fmat local32;  // when float32
  // The kernel of one set of inputs with itself: symmetric, both triangles filled.
  bool symmetric = false;
  // Its lower triangle holds a Cholesky factor (a ridge with keep_kernel = false): unusable.
  bool factorised = false;
  std::string what;  // "ntk" or "nngp", for messages
  // Fingerprint of the inputs the kernel came from (mpi::fingerprint), for mismatch checks.
  std::uint64_t inputs_fingerprint = 0;
  // Wall seconds this rank spent on the checks and the allocation (setup), computing its blocks
  // (until every rank had finished) and mirroring the lower triangle onto the upper one.
  struct {
    double setup = 0, compute = 0, mirror = 0;
  } seconds;

  arma::uword n_rows() const { return layout.n_rows; }
  arma::uword n_cols() const { return layout.n_cols; }
  // "a 2000 x 2000 distributed NTK (float64, 2 x 2 ranks, blocks of 64)"
  std::string describe() const;
  // Throws (on every rank: every rank has the same flag) when the matrix holds a factor.
  void require_kernel(const std::string& function) const;
};

}  // namespace ntk::core::distributed
