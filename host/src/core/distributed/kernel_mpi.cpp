// distributed_kernel (distributed.hpp): each rank computes the kernel between the inputs of its
// local rows and of its local columns, in groups of local rows (working memory: one group ×
// local columns, then copied into place), so the plugin sees BLAS-sized problems rather than
// one call per block. For a symmetric kernel a group computes only the columns up to its last
// global row (the lower triangle and the diagonal band: a waste of about group/local rows),
// and mirror_lower_to_upper fills the rest.
#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/cache/architecture_tiles.hpp"
#include "core/distributed/distributed.hpp"
#include "core/distributed/mirror.hpp"
#include "core/distributed/process_grid.hpp"
#include "core/mpi/comm.hpp"
#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::distributed {
namespace {

constexpr arma::uword kGroupRows = 256;  // rows of one kernel call (rounded up to blocks)

// The examples `index` of `in`, as new inputs (a copy of those columns or graphs).
sdk::Inputs select(const sdk::Inputs& in, const arma::uvec& index) {
  switch (in.kind()) {
    case sdk::Inputs::Kind::dense:
      return sdk::Inputs::dense(in.x().cols(index));
    case sdk::Inputs::Kind::images:
      return sdk::Inputs::images(in.x().cols(index), in.shape());
    case sdk::Inputs::Kind::graphs: {
      std::vector<sdk::Graph> graphs;
      graphs.reserve(index.n_elem);
      for (arma::uword i : index) graphs.push_back(in.graph_list()[i]);
      return sdk::Inputs::graphs(std::move(graphs));
    }
  }
  return {};
}

template <class Tile>
void check_finite(const Tile& tile, const arma::uvec& rows, const arma::uvec& cols,
                  arma::uword r0, const char* what) {
  if (tile.is_finite()) return;
  for (arma::uword j = 0; j < tile.n_cols; ++j)
    for (arma::uword i = 0; i < tile.n_rows; ++i)
      if (!std::isfinite(tile(i, j)))
        throw_error("entry (", rows[r0 + i] + 1, ", ",
                    cols[j] + 1, ") of the ", what, " is ", tile(i, j), " (rank ", mpi::rank(),
                    " computed it)");
}

// The diagonal blocks among local rows [r0, r1) of a symmetric kernel, recomputed as the kernel
// of one block's inputs with themselves: engines treat x with itself exactly (an angle of 0),
// while the same pair met between two different input sets goes through arccos near 1, where a
// rounding of 1e-16 in the cosine becomes 1e-8 in the kernel. So the diagonal equals the
// single-process kernel's.
void diagonal_blocks(const sdk::Architecture& arch, const sdk::Inputs& a, DistributedMatrix& m,
                     arma::uword r0, arma::uword r1, bool ntk) {
  const Layout& L = m.layout;
  const arma::uword nb = L.block;
  for (arma::uword lr = r0; lr < r1; lr += nb) {
    const arma::uword I = L.global_row(lr) / nb;  // a global block row of this rank
    if (int(I % L.grid_cols) != L.my_col) continue;
    const arma::uword g0 = I * nb, g1 = std::min(L.n_rows, g0 + nb);
    const sdk::Inputs block = select(a, arma::regspace<arma::uvec>(g0, g1 - 1));
    sdk::KernelRequest request{!ntk, ntk};
    request.output = m.float32 ? sdk::Precision::float32 : sdk::Precision::float64;
    sdk::Kernels k = arch.kernels(block, block, request);
    const arma::uword lc = (I / L.grid_cols) * nb;
    if (m.float32) {
      arma::fmat tile = ntk ? std::move(k.ntk32) : std::move(k.nngp32);
      if (tile.is_empty()) tile = arma::conv_to<arma::fmat>::from(ntk ? k.ntk : k.nngp);
      m.local32.submat(lr, lc, lr + (g1 - g0) - 1, lc + (g1 - g0) - 1) = tile;
    } else {
      m.local.submat(lr, lc, lr + (g1 - g0) - 1, lc + (g1 - g0) - 1) = ntk ? k.ntk : k.nngp;
    }
  }
}

}  // namespace

DistributedMatrix distributed_kernel(const sdk::Architecture& arch, const sdk::Inputs& a,
                                     const sdk::Inputs& b, bool same, bool ntk,
                                     const DistributeOptions& options) {
  const char* fn = "A:kernel{distributed = true}";
  mpi::enter_collective(fn);
  const auto setup_start = std::chrono::steady_clock::now();
  const auto grid = make_grid(options.grid, fn);
  const arma::uword n1 = a.size(), n2 = b.size();
  // Every rank must hold the same inputs: the kernel's blocks would not fit together otherwise.
  mpi::check_same(inputs_fingerprint(a), fn, "x1 (the first inputs)");
  if (!same) mpi::check_same(inputs_fingerprint(b), fn, "x2 (the second inputs)");
  const arma::uword block = options.block ? options.block : default_block(n1, n2, grid->shape());
  check_fits(n1, n2, block, grid->shape(), fn);  // the same on every rank: no message needed

  DistributedMatrix m;
  m.grid = grid;
  m.layout = {n1, n2, block, grid->shape().rows, grid->shape().cols, grid->my_row(), grid->my_col()};
  m.float32 = options.float32;
  m.symmetric = same;
  m.what = ntk ? "ntk" : "nngp";
  m.inputs_fingerprint = inputs_fingerprint(a);
  const arma::uvec rows = m.layout.global_rows(), cols = m.layout.global_cols();

  // Memory: the local array plus one group's tile, checked on every rank together.
  const double entry = options.float32 ? 4 : 8;
  const arma::uword group = std::max(block, (kGroupRows + block - 1) / block * block);
  const double need = entry * (double(rows.n_elem) * cols.n_elem + double(group) * cols.n_elem);
  // The ranks on one host share its memory: each may use its share of the limit.
  const int neighbours = mpi::ranks_on_this_host();
  const double limit = sdk::memory_limit_bytes() / neighbours;
  mpi::check_all(need <= limit,
                 "the local part needs " + std::to_string(need / 1e9) + " GB, above this rank's "
                 "share of the memory, " + std::to_string(limit / 1e9) + " GB (the host's limit "
                 "divided among its " + std::to_string(neighbours) + " ranks): use more hosts, "
                 "fewer ranks per host or precision = \"float32\"", fn);
  // Not zeroed: every entry is written below (the groups, the diagonal blocks, the mirror), so
  // the memory is touched once.
  if (options.float32) m.local32.set_size(rows.n_elem, cols.n_elem);
  else m.local.set_size(rows.n_elem, cols.n_elem);

  const auto start = std::chrono::steady_clock::now();
  m.seconds.setup = std::chrono::duration<double>(start - setup_start).count();
  std::string failure;
  try {
    const sdk::Inputs col_inputs = select(b, cols);
    for (arma::uword r0 = 0; r0 < rows.n_elem; r0 += group) {
      const arma::uword r1 = std::min(rows.n_elem, r0 + group);
      // Symmetric: the columns up to this group's last row; the rest is the upper triangle.
      const arma::uword c1 = same ? m.layout.local_cols_before(rows[r1 - 1] + 1) : cols.n_elem;
      if (c1 == 0) continue;
      const sdk::Inputs row_inputs = select(a, rows.subvec(r0, r1 - 1));
      // The first c1 columns of col_inputs, aliased (no copy).
      const sdk::Inputs right = cache::columns(col_inputs, 0, c1);
      sdk::KernelRequest request{!ntk, ntk};
      request.output = options.float32 ? sdk::Precision::float32 : sdk::Precision::float64;
      sdk::Kernels k = arch.kernels(row_inputs, right, request);
      if (options.float32) {
        arma::fmat tile = ntk ? std::move(k.ntk32) : std::move(k.nngp32);
        if (tile.is_empty()) tile = arma::conv_to<arma::fmat>::from(ntk ? k.ntk : k.nngp);
        check_finite(tile, rows, cols, r0, ntk ? "NTK" : "NNGP");
        m.local32.submat(r0, 0, r1 - 1, c1 - 1) = tile;
      } else {
        const arma::mat& tile = ntk ? k.ntk : k.nngp;
        if (tile.n_rows != r1 - r0 || tile.n_cols != c1)
          throw_error(fn, ": the plugin returned a ", tile.n_rows, " x ", tile.n_cols,
                      " kernel for ", r1 - r0, " and ", c1, " inputs");
        check_finite(tile, rows, cols, r0, ntk ? "NTK" : "NNGP");
        m.local.submat(r0, 0, r1 - 1, c1 - 1) = tile;
      }
      if (same) diagonal_blocks(arch, a, m, r0, r1, ntk);
    }
  } catch (const std::exception& e) {
    failure = e.what();
  }
  // A plugin error on one rank (a NaN in its blocks) stops every rank with that message.
  mpi::check_all(failure.empty(), failure, fn);
  const auto computed = std::chrono::steady_clock::now();
  m.seconds.compute = std::chrono::duration<double>(computed - start).count();
  if (same) mirror_lower_to_upper(m);
  m.seconds.mirror = std::chrono::duration<double>(std::chrono::steady_clock::now() - computed).count();
  return m;
}

}  // namespace ntk::core::distributed
