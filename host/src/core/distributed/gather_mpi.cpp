// gather and distributed_predict (distributed.hpp).
#include <mpi.h>

#include <algorithm>

#include "core/distributed/distributed.hpp"
#include "core/distributed/process_grid.hpp"
#include "core/mpi/comm.hpp"
#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::distributed {
namespace {

// Point-to-point messages carry at most this many entries (MPI counts are int).
constexpr arma::uword kPiece = arma::uword(1) << 27;

template <class T>
MPI_Datatype mpi_type() {
  return sizeof(T) == 8 ? MPI_DOUBLE : MPI_FLOAT;
}

template <class T>
void send_local(const arma::Mat<T>& local) {
  for (arma::uword at = 0; at < local.n_elem; at += kPiece)
    MPI_Send(local.memptr() + at, int(std::min(kPiece, local.n_elem - at)), mpi_type<T>(), 0, 17,
             MPI_COMM_WORLD);
}

template <class T>
void receive_into(arma::mat& whole, const Layout& theirs, int from) {
  arma::Mat<T> part(theirs.local_rows(), theirs.local_cols());
  for (arma::uword at = 0; at < part.n_elem; at += kPiece)
    MPI_Recv(part.memptr() + at, int(std::min(kPiece, part.n_elem - at)), mpi_type<T>(), from, 17,
             MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  const arma::uvec rows = theirs.global_rows(), cols = theirs.global_cols();
  for (arma::uword j = 0; j < cols.n_elem; ++j)
    for (arma::uword i = 0; i < rows.n_elem; ++i) whole(rows[i], cols[j]) = double(part(i, j));
}

template <class T>
void place(arma::mat& whole, const Layout& mine, const arma::Mat<T>& local) {
  const arma::uvec rows = mine.global_rows(), cols = mine.global_cols();
  for (arma::uword j = 0; j < cols.n_elem; ++j)
    for (arma::uword i = 0; i < rows.n_elem; ++i) whole(rows[i], cols[j]) = double(local(i, j));
}

}  // namespace

arma::mat gather(const DistributedMatrix& m) {
  mpi::enter_collective("D:gather()");
  m.require_kernel("D:gather()");
  const double bytes = 8.0 * double(m.n_rows()) * double(m.n_cols());
  const double limit = sdk::memory_limit_bytes();
  mpi::check_all(mpi::rank() != 0 || bytes <= limit,
                 "the whole matrix needs " + std::to_string(bytes / 1e9) + " GB on rank 0, "
                 "above its memory limit of " + std::to_string(limit / 1e9) + " GB (gather is "
                 "for small matrices)", "D:gather()");
  const ProcessGrid& grid = *m.grid;
  if (mpi::rank() != 0) {
    if (m.float32) send_local(m.local32);
    else send_local(m.local);
    return {};
  }
  arma::mat whole(m.n_rows(), m.n_cols());
  if (m.float32) place(whole, m.layout, m.local32);
  else place(whole, m.layout, m.local);
  for (int row = 0; row < grid.shape().rows; ++row)
    for (int col = 0; col < grid.shape().cols; ++col) {
      const int from = grid.rank_of(row, col);
      if (from == 0) continue;
      if (m.float32) receive_into<float>(whole, m.layout.at(row, col), from);
      else receive_into<double>(whole, m.layout.at(row, col), from);
    }
  return whole;
}

arma::mat distributed_predict(const DistributedMatrix& K, const arma::mat& alpha) {
  const char* fn = "ntk.solve.predict (distributed kernel)";
  mpi::enter_collective(fn);
  K.require_kernel(fn);
  if (alpha.n_rows != K.n_cols())
    mpi::throw_collective(std::string(fn) + ": alpha has " + std::to_string(alpha.n_rows) +
                          " rows but the kernel has " + std::to_string(K.n_cols()) + " columns");
  mpi::check_same(mpi::fingerprint(alpha.memptr(), alpha.n_elem * sizeof(double)), fn, "alpha");
  const arma::uvec rows = K.layout.global_rows(), cols = K.layout.global_cols();
  arma::mat sum(K.n_rows(), alpha.n_cols, arma::fill::zeros);
  if (!rows.is_empty() && !cols.is_empty()) {
    const arma::mat a = alpha.rows(cols);
    arma::mat part;
    if (!K.float32) {
      part = K.local * a;
    } else {
      // float32 entries, float64 sums: a block of columns at a time.
      part.zeros(rows.n_elem, alpha.n_cols);
      constexpr arma::uword kColumns = 512;
      for (arma::uword c0 = 0; c0 < cols.n_elem; c0 += kColumns) {
        const arma::uword c1 = std::min(cols.n_elem, c0 + kColumns) - 1;
        part += arma::conv_to<arma::mat>::from(K.local32.cols(c0, c1)) * a.rows(c0, c1);
      }
    }
    sum.rows(rows) = part;
  }
  mpi::allreduce_sum(sum.memptr(), sum.n_elem);
  return sum.t();
}

}  // namespace ntk::core::distributed
