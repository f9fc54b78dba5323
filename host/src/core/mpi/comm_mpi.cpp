// comm.hpp on MPI (MPI_COMM_WORLD).
#include <mpi.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "core/mpi/comm.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::mpi {
namespace {

bool running() {
  int on = 0, off = 0;
  MPI_Initialized(&on);
  if (!on) return false;
  MPI_Finalized(&off);
  return !off;
}

void finalise_at_exit() {
  if (running()) MPI_Finalize();
}

}  // namespace

bool built_with_mpi() { return true; }

std::string build_description() {
  char version[MPI_MAX_LIBRARY_VERSION_STRING] = {0};
  int length = 0;
  MPI_Get_library_version(version, &length);
  std::string text(version, std::size_t(length));
  if (const auto comma = text.find(','); comma != std::string::npos) text.resize(comma);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return "MPI: " + text + ", ScaLAPACK (distributed kernels and batches: mpirun -np R ntklab ...)";
}

void throw_not_built(const std::string& function) {
  throw_error(function, ": internal error: throw_not_built in an MPI build");
}

void initialise(int& argc, char**& argv) {
  if (!launched_by_mpi_launcher() || running()) return;
  int provided = 0;
  if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
    throw_error("ntklab: MPI_Init_thread failed (started by an MPI launcher)");
  // Errors of MPI calls come back as codes, which the callers turn into ntk::Error.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  std::atexit(finalise_at_exit);
}

bool initialised() { return running(); }

int rank() {
  if (!running()) return 0;
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

int size() {
  if (!running()) return 1;
  int s = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &s);
  return s;
}

std::vector<std::string> all_host_names() {
  const std::string mine = host_name();
  if (!running()) return {mine};
  constexpr int kLength = 256;
  std::string buffer(kLength, '\0');
  buffer.replace(0, std::min<std::size_t>(mine.size(), kLength - 1), mine.substr(0, kLength - 1));
  std::string all(std::size_t(kLength) * size(), '\0');
  MPI_Allgather(buffer.data(), kLength, MPI_CHAR, all.data(), kLength, MPI_CHAR, MPI_COMM_WORLD);
  std::vector<std::string> names;
  for (int r = 0; r < size(); ++r) names.emplace_back(all.c_str() + std::size_t(r) * kLength);
  return names;
}

int ranks_on_this_host() {
  const std::vector<std::string> names = all_host_names();
  return int(std::count(names.begin(), names.end(), names[std::size_t(rank())]));
}

void barrier() {
  if (running()) MPI_Barrier(MPI_COMM_WORLD);
}

void enter_collective(const std::string& what) {
  if (!running() || size() == 1) return;
  constexpr int kLength = 96;
  std::string mine(kLength, '\0');
  mine.replace(0, std::min<std::size_t>(what.size(), kLength - 1), what.substr(0, kLength - 1));
  std::string all(std::size_t(kLength) * std::size_t(size()), '\0');
  MPI_Allgather(mine.data(), kLength, MPI_CHAR, all.data(), kLength, MPI_CHAR, MPI_COMM_WORLD);
  const char* first = all.c_str();
  for (int r = 1; r < size(); ++r) {
    const char* other = all.c_str() + std::size_t(r) * kLength;
    if (std::string(other) != first)
      throw_collective("the ranks are out of step: rank 0 is at " + std::string(first) +
                       " while rank " + std::to_string(r) + " is at " + other +
                       "; every rank must make the same distributed calls in the same order "
                       "(a call inside `if ntk.mpi.rank() == 0 then ... end` leaves the others "
                       "waiting)");
  }
}

void allreduce_sum(double* data, std::size_t count) {
  if (!running() || count == 0) return;
  // MPI counts are int: reduce in pieces.
  constexpr std::size_t kPiece = std::size_t(1) << 28;
  for (std::size_t start = 0; start < count; start += kPiece) {
    const int n = int(std::min(kPiece, count - start));
    if (MPI_Allreduce(MPI_IN_PLACE, data + start, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD) !=
        MPI_SUCCESS)
      throw_error("MPI_Allreduce of ", count, " doubles failed");
  }
}

std::vector<std::uint64_t> allgather(std::uint64_t value) {
  if (!running()) return {value};
  std::vector<std::uint64_t> all(static_cast<std::size_t>(size()));
  MPI_Allgather(&value, 1, MPI_UINT64_T, all.data(), 1, MPI_UINT64_T, MPI_COMM_WORLD);
  return all;
}

void broadcast(std::string& value, int root) {
  if (!running()) return;
  unsigned long long length = value.size();
  MPI_Bcast(&length, 1, MPI_UNSIGNED_LONG_LONG, root, MPI_COMM_WORLD);
  value.resize(length);
  if (length > 0) MPI_Bcast(value.data(), int(length), MPI_CHAR, root, MPI_COMM_WORLD);
}

void check_same(std::uint64_t value, const std::string& function, const std::string& what) {
  const std::vector<std::uint64_t> all = allgather(value);
  for (std::size_t r = 1; r < all.size(); ++r) {
    if (all[r] != all[0]) {
      std::ostringstream text;
      text << function << ": " << what << " differs between the ranks (rank 0 has fingerprint "
           << std::hex << all[0] << ", rank " << std::dec << r << " has " << std::hex << all[r]
           << std::dec << "): every rank must compute the same inputs (the same data, the same "
              "seeds; a script that draws data from a rank-dependent seed cannot distribute it)";
      throw_collective(text.str());
    }
  }
}

void check_all(bool ok, const std::string& detail, const std::string& function) {
  if (!running()) {
    if (!ok) throw_collective(function + ": " + detail);
    return;
  }
  // The first failing rank's message goes to all: its rank, then the text.
  int failing = ok ? size() : rank();
  MPI_Allreduce(MPI_IN_PLACE, &failing, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (failing == size()) return;
  std::string message = detail;
  broadcast(message, failing);
  throw_collective(function + ": " + message +
                   (failing == 0 ? "" : " (found on rank " + std::to_string(failing) + ")"));
}

void abort_all(int code) {
  if (running()) MPI_Abort(MPI_COMM_WORLD, code);
  std::exit(code);
}

}  // namespace ntk::core::mpi
