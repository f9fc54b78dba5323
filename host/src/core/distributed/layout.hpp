// ScaLAPACK's 2-D block-cyclic layout (issue 16): how an n_rows × n_cols matrix is spread over a
// grid of grid_rows × grid_cols processes, in square blocks of `block` × `block` entries.
//
// Global block (I, J) (0-based) lives on process (I mod grid_rows, J mod grid_cols), which
// stores its blocks contiguously, in order, as a column-major local array of
// local_rows() × local_cols() entries (the first block row and column start on process (0, 0):
// RSRC = CSRC = 0). Local row l is global row ((l / block)·grid_rows + my_row)·block + l mod
// block, so a process's global rows increase with its local index. Everything here is index
// arithmetic, the same on every rank, and needs no MPI.
//
// Reference: the ScaLAPACK Users' Guide, §4.3 ("The Two-dimensional Block-Cyclic Distribution").
#pragma once

#include <armadillo>
#include <array>
#include <string>
#include <vector>

namespace ntk::core::distributed {

struct GridShape {
  int rows = 0, cols = 0;
};

// The most square grid of `ranks` processes, rows ≤ cols (4 → 2 × 2, 6 → 2 × 3, 7 → 1 × 7).
GridShape choose_grid(int ranks);

// Entries of a length-n dimension held by process `p` of `procs` (ScaLAPACK's NUMROC).
arma::uword numroc(arma::uword n, arma::uword block, int p, int procs);

struct Layout {
  arma::uword n_rows = 0, n_cols = 0;
  arma::uword block = 1;
  int grid_rows = 1, grid_cols = 1;
  int my_row = 0, my_col = 0;  // this process's coordinates in the grid

  arma::uword local_rows() const { return numroc(n_rows, block, my_row, grid_rows); }
  arma::uword local_cols() const { return numroc(n_cols, block, my_col, grid_cols); }
  arma::uword global_row(arma::uword local) const;
  arma::uword global_col(arma::uword local) const;
  // The global indices of this process's rows / columns, in local order (increasing).
  arma::uvec global_rows() const;
  arma::uvec global_cols() const;
  // Local rows (columns) whose global index is < g: a prefix of the local rows.
  arma::uword local_rows_before(arma::uword g) const;
  arma::uword local_cols_before(arma::uword g) const;
  // The same layout seen from process (row, col).
  Layout at(int row, int col) const;
  // ScaLAPACK's array descriptor (DESCINIT's 9 integers) in BLACS context `context`.
  std::array<int, 9> descriptor(int context) const;
};

// The block size for an n1 × n2 matrix on `grid` when the user gave none: 128 (measured best of
// 64/128/256 for pdpotrf here, docs/scaling.md), smaller when some process would otherwise
// hold nothing.
arma::uword default_block(arma::uword n1, arma::uword n2, GridShape grid);

// Throws ntk::Error naming `function` when some process row or column of the grid would hold no
// block of the matrix ("a grid of ranks that does not fit the matrix"), with what would fit.
void check_fits(arma::uword n1, arma::uword n2, arma::uword block, GridShape grid,
                const std::string& function);

}  // namespace ntk::core::distributed
