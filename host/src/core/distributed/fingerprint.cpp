// inputs_fingerprint (distributed.hpp): what every rank compares before a distributed kernel.
#include "core/distributed/distributed.hpp"
#include "core/mpi/comm.hpp"

namespace ntk::core::distributed {
namespace {

std::uint64_t add_sparse(const arma::sp_mat& m, std::uint64_t h) {
  const arma::uword sizes[3] = {m.n_rows, m.n_cols, m.n_nonzero};
  h = mpi::fingerprint(sizes, sizeof sizes, h);
  h = mpi::fingerprint(m.values, m.n_nonzero * sizeof(double), h);
  h = mpi::fingerprint(m.row_indices, m.n_nonzero * sizeof(arma::uword), h);
  return mpi::fingerprint(m.col_ptrs, (m.n_cols + 1) * sizeof(arma::uword), h);
}

}  // namespace

std::uint64_t inputs_fingerprint(const sdk::Inputs& in) {
  const int kind = int(in.kind());
  std::uint64_t h = mpi::fingerprint(&kind, sizeof kind);
  if (in.kind() == sdk::Inputs::Kind::graphs) {
    for (const auto& g : in.graph_list()) h = add_sparse(g.features, add_sparse(g.adjacency, h));
    return h;
  }
  const arma::uword sizes[5] = {in.x().n_rows, in.x().n_cols, in.shape().channels,
                                in.shape().height, in.shape().width};
  h = mpi::fingerprint(sizes, sizeof sizes, h);
  return mpi::fingerprint(in.x().memptr(), in.x().n_elem * sizeof(double), h);
}

}  // namespace ntk::core::distributed
