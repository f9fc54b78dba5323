// The parts of comm.hpp that do not depend on MPI.
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "core/mpi/comm.hpp"
#include "ntk/sdk/error.hpp"

extern char** environ;

namespace ntk::core::mpi {
namespace {
// Set once at start-up (main thread), read later.
bool g_collective_failure = false;
int g_writes = -1;  // -1: the default (rank 0 only)
}  // namespace

std::vector<std::string> launcher_variables() {
  // Open MPI's mpirun (OMPI_*), PMIx launchers (PMIX_RANK), MPICH / Slurm PMI (PMI_RANK,
  // PMI_SIZE). SLURM_* alone is not a launcher: srun without --mpi starts plain processes.
  static const char* prefixes[] = {"OMPI_", "PMIX_", "PMI_"};
  std::vector<std::string> names;
  for (char** e = environ; e && *e; ++e) {
    const char* entry = *e;
    for (const char* prefix : prefixes) {
      if (std::strncmp(entry, prefix, std::strlen(prefix)) == 0) {
        const char* eq = std::strchr(entry, '=');
        names.emplace_back(entry, eq ? std::size_t(eq - entry) : std::strlen(entry));
        break;
      }
    }
  }
  return names;
}

bool launched_by_mpi_launcher() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(name) != nullptr) return true;
  return false;
}

std::string host_name() {
  char name[256] = {0};
  if (::gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

void throw_collective(const std::string& message) {
  g_collective_failure = true;
  throw Error(message);
}

bool collective_failure() { return g_collective_failure; }

bool writes() { return g_writes < 0 ? rank() == 0 : g_writes == 1; }
void set_writes(bool on) { g_writes = on ? 1 : 0; }

std::uint64_t fingerprint(const void* data, std::size_t bytes, std::uint64_t seed) {
  const auto* p = static_cast<const unsigned char*>(data);
  std::uint64_t h = seed;
  for (std::size_t i = 0; i < bytes; ++i) {
    h ^= p[i];
    h *= 1099511628211ULL;
  }
  return h;
}

}  // namespace ntk::core::mpi
