#include "core/distributed/layout.hpp"

#include <algorithm>
#include <cmath>

#include "ntk/sdk/error.hpp"

namespace ntk::core::distributed {

GridShape choose_grid(int ranks) {
  int rows = std::max(1, int(std::sqrt(double(ranks))));
  while (rows > 1 && ranks % rows != 0) --rows;
  return {rows, ranks / rows};
}

arma::uword numroc(arma::uword n, arma::uword block, int p, int procs) {
  const arma::uword blocks = n / block;
  arma::uword count = (blocks / arma::uword(procs)) * block;
  const arma::uword extra = blocks % arma::uword(procs);
  if (arma::uword(p) < extra) count += block;
  else if (arma::uword(p) == extra) count += n % block;
  return count;
}

arma::uword Layout::global_row(arma::uword l) const {
  return ((l / block) * arma::uword(grid_rows) + arma::uword(my_row)) * block + l % block;
}

arma::uword Layout::global_col(arma::uword l) const {
  return ((l / block) * arma::uword(grid_cols) + arma::uword(my_col)) * block + l % block;
}

arma::uvec Layout::global_rows() const {
  arma::uvec g(local_rows());
  for (arma::uword l = 0; l < g.n_elem; ++l) g[l] = global_row(l);
  return g;
}

arma::uvec Layout::global_cols() const {
  arma::uvec g(local_cols());
  for (arma::uword l = 0; l < g.n_elem; ++l) g[l] = global_col(l);
  return g;
}

namespace {
// Local indices whose global index is < g, for a process at `p` of `procs`.
arma::uword before(arma::uword g, arma::uword n, arma::uword block, int p, int procs) {
  return numroc(std::min(g, n), block, p, procs);
}
}  // namespace

arma::uword Layout::local_rows_before(arma::uword g) const {
  return before(g, n_rows, block, my_row, grid_rows);
}

arma::uword Layout::local_cols_before(arma::uword g) const {
  return before(g, n_cols, block, my_col, grid_cols);
}

Layout Layout::at(int row, int col) const {
  Layout other = *this;
  other.my_row = row;
  other.my_col = col;
  return other;
}

std::array<int, 9> Layout::descriptor(int context) const {
  // DTYPE 1 (dense), CTXT, M, N, MB, NB, RSRC, CSRC, LLD ≥ 1.
  return {1,        context, int(n_rows), int(n_cols), int(block), int(block), 0, 0,
          int(std::max<arma::uword>(1, local_rows()))};
}

arma::uword default_block(arma::uword n1, arma::uword n2, GridShape grid) {
  const arma::uword fit = std::min(n1 / arma::uword(grid.rows), n2 / arma::uword(grid.cols));
  return std::max<arma::uword>(1, std::min<arma::uword>(128, fit));
}

void check_fits(arma::uword n1, arma::uword n2, arma::uword block, GridShape grid,
                const std::string& function) {
  const arma::uword row_blocks = (n1 + block - 1) / block, col_blocks = (n2 + block - 1) / block;
  if (row_blocks >= arma::uword(grid.rows) && col_blocks >= arma::uword(grid.cols)) return;
  const arma::uword fit = std::min(n1 / arma::uword(grid.rows), n2 / arma::uword(grid.cols));
  throw_error(function, ": a ", n1, " x ", n2, " matrix in blocks of ", block, " does not fit a ",
              grid.rows, " x ", grid.cols, " grid of ranks: it has ", row_blocks, " x ",
              col_blocks, " blocks, so some rank would hold nothing; ",
              fit >= 1 ? "use block <= " + std::to_string(fit) + ", fewer ranks or another grid"
                       : std::string("use fewer ranks or a larger matrix"));
}

}  // namespace ntk::core::distributed
