#include <mpi.h>

#include <algorithm>
#include <vector>

#include "core/distributed/mirror.hpp"
#include "core/distributed/process_grid.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::distributed {
namespace {

template <class T>
MPI_Datatype mpi_type() {
  return sizeof(T) == 8 ? MPI_DOUBLE : MPI_FLOAT;
}

// Entries sent per rank and round at most (a bounded buffer, whatever the matrix size).
constexpr double kRoundEntries = 16.0 * 1024 * 1024;

template <class T>
void mirror(arma::Mat<T>& local, const Layout& L, const ProcessGrid& grid, bool from_lower) {
  if (L.n_rows != L.n_cols) throw_error("mirror: the matrix is not square");
  const arma::uword nb = L.block, n = L.n_rows, blocks = (n + nb - 1) / nb;
  const int Pr = L.grid_rows, Pc = L.grid_cols, ranks = Pr * Pc;
  const auto extent = [&](arma::uword I) { return std::min(nb, n - I * nb); };
  const auto mine = [&](arma::uword I, arma::uword J) {
    return int(I % Pr) == L.my_row && int(J % Pc) == L.my_col;
  };
  const auto owner = [&](arma::uword I, arma::uword J) {
    return grid.rank_of(int(I % Pr), int(J % Pc));
  };
  // Block (I, J)'s top-left corner in its owner's local array.
  const auto corner = [&](arma::uword I, arma::uword J) {
    return std::pair<arma::uword, arma::uword>{(I / Pr) * nb, (J / Pc) * nb};
  };

  // Diagonal blocks: in place.
  for (arma::uword I = 0; I < blocks; ++I) {
    if (!mine(I, I)) continue;
    const auto [r, c] = corner(I, I);
    const arma::uword e = extent(I);
    for (arma::uword j = 0; j < e; ++j)
      for (arma::uword i = j + 1; i < e; ++i) {
        if (from_lower) local(r + j, c + i) = local(r + i, c + j);
        else local(r + i, c + j) = local(r + j, c + i);
      }
  }
  if (blocks < 2) return;

  // Off-diagonal pairs (I > J): the lower block (I, J) and the upper block (J, I). Rounds over
  // ranges of J, sized so that each holds about kRoundEntries / ranks entries per rank.
  const double total = double(n) * double(n) / 2;
  const double per_round = kRoundEntries * ranks;
  const int rounds = std::max(1, int(std::ceil(total / per_round)));
  std::vector<arma::uword> starts{0};
  {
    double cumulative = 0;
    const double target = total / rounds;
    for (arma::uword J = 0; J + 1 < blocks; ++J) {
      cumulative += double(blocks - 1 - J) * double(nb) * double(nb);
      if (cumulative >= target * double(starts.size()) && J + 1 < blocks - 1) starts.push_back(J + 1);
    }
    starts.push_back(blocks - 1);
  }
  std::vector<int> send_counts(ranks), recv_counts(ranks), send_offsets(ranks), recv_offsets(ranks);
  std::vector<T> send, receive;
  for (std::size_t round = 0; round + 1 < starts.size(); ++round) {
    const arma::uword J0 = starts[round], J1 = starts[round + 1];
    // The source and destination of a pair in this direction.
    const auto source = [&](arma::uword I, arma::uword J) {
      return from_lower ? std::pair{I, J} : std::pair{J, I};
    };
    std::fill(send_counts.begin(), send_counts.end(), 0);
    std::fill(recv_counts.begin(), recv_counts.end(), 0);
    for (arma::uword J = J0; J < J1; ++J)
      for (arma::uword I = J + 1; I < blocks; ++I) {
        const auto [sI, sJ] = source(I, J);
        const int count = int(extent(I) * extent(J));
        if (mine(sI, sJ)) send_counts[owner(sJ, sI)] += count;
        if (mine(sJ, sI)) recv_counts[owner(sI, sJ)] += count;
      }
    int send_total = 0, recv_total = 0;
    for (int r = 0; r < ranks; ++r) {
      send_offsets[r] = send_total, send_total += send_counts[r];
      recv_offsets[r] = recv_total, recv_total += recv_counts[r];
    }
    send.resize(std::size_t(send_total));
    receive.resize(std::size_t(recv_total));
    std::vector<int> cursor = send_offsets;
    for (arma::uword J = J0; J < J1; ++J)
      for (arma::uword I = J + 1; I < blocks; ++I) {
        const auto [sI, sJ] = source(I, J);
        if (!mine(sI, sJ)) continue;
        const auto [r, c] = corner(sI, sJ);
        int& at = cursor[owner(sJ, sI)];
        const arma::uword h = extent(sI), w = extent(sJ);
        arma::Mat<T> packed(send.data() + at, h, w, false, true);  // a view of the buffer
        packed = local.submat(r, c, r + h - 1, c + w - 1);
        at += int(h * w);
      }
    if (MPI_Alltoallv(send.data(), send_counts.data(), send_offsets.data(), mpi_type<T>(),
                      receive.data(), recv_counts.data(), recv_offsets.data(), mpi_type<T>(),
                      MPI_COMM_WORLD) != MPI_SUCCESS)
      throw_error("mirror: MPI_Alltoallv failed");
    cursor = recv_offsets;
    for (arma::uword J = J0; J < J1; ++J)
      for (arma::uword I = J + 1; I < blocks; ++I) {
        const auto [sI, sJ] = source(I, J);
        if (!mine(sJ, sI)) continue;
        const auto [r, c] = corner(sJ, sI);  // destination block (sJ, sI): the transpose
        int& at = cursor[owner(sI, sJ)];
        const arma::uword h = extent(sI), w = extent(sJ);
        const arma::Mat<T> block(receive.data() + at, h, w, false, true);
        local.submat(r, c, r + w - 1, c + h - 1) = block.t();
        at += int(h * w);
      }
  }
}

void run(DistributedMatrix& m, bool from_lower) {
  if (m.float32) mirror(m.local32, m.layout, *m.grid, from_lower);
  else mirror(m.local, m.layout, *m.grid, from_lower);
}

}  // namespace

void mirror_lower_to_upper(DistributedMatrix& m) { run(m, true); }
void mirror_upper_to_lower(DistributedMatrix& m) { run(m, false); }

}  // namespace ntk::core::distributed
