// comm.hpp in a build without MPI: one process, rank 0 of 1; collectives are identities.
#include <cstdlib>

#include "core/mpi/comm.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::mpi {

bool built_with_mpi() { return false; }

std::string build_description() {
  return "MPI: not built (install openmpi-bin libopenmpi-dev libscalapack-openmpi-dev and "
         "rebuild for distributed kernels and batches)";
}

void throw_not_built(const std::string& function) {
  throw_error(function, ": this ntklab was built without MPI and ScaLAPACK, so it cannot "
              "distribute (install openmpi-bin libopenmpi-dev libscalapack-openmpi-dev and "
              "rebuild; `ntklab --version` says what a build has)");
}

void initialise(int&, char**&) {}
bool initialised() { return false; }
int rank() { return 0; }
int size() { return 1; }
std::vector<std::string> all_host_names() { return {host_name()}; }
int ranks_on_this_host() { return 1; }
void barrier() {}
void enter_collective(const std::string&) {}
void allreduce_sum(double*, std::size_t) {}
std::vector<std::uint64_t> allgather(std::uint64_t value) { return {value}; }
void broadcast(std::string&, int) {}
void check_same(std::uint64_t, const std::string&, const std::string&) {}
void check_all(bool ok, const std::string& detail, const std::string& function) {
  if (!ok) throw_collective(function + ": " + detail);
}
void abort_all(int code) { std::exit(code); }

}  // namespace ntk::core::mpi
