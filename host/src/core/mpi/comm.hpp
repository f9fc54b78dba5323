// The MPI processes of one run (issue 16): `mpirun -np R ntklab run|batch …` starts R copies of
// ntklab, the ranks, which run the same script (SPMD) and meet in collective calls.
//
// ntklab initialises MPI only when it was started by an MPI launcher (mpirun, mpiexec, srun
// with PMI: the launcher's environment variables say so), so a plain `ntklab run` and a batch's
// worker processes never touch MPI. Every function here works in all three cases: not built
// with MPI, built but not launched by mpirun (rank 0 of 1), and launched (rank r of R).
//
// Collective calls (every rank must make them, in the same order) are marked so. A collective
// check that fails throws the same ntk::Error on every rank and records it
// (collective_failure()), so the command can print it once, on rank 0, and every rank exits
// cleanly; an error on one rank only is printed by that rank, which then aborts all ranks
// (abort_all): never a hang.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ntk::core::mpi {

// True when this ntklab was built with MPI and ScaLAPACK (NTKLAB_HAVE_MPI).
bool built_with_mpi();
// One line for --version: "MPI: Open MPI v4.1.4, ScaLAPACK (distributed kernels and batches)"
// or "MPI: not built (install openmpi-bin libopenmpi-dev libscalapack-openmpi-dev and rebuild)".
std::string build_description();
// The error a distributed call gives in a build without MPI, naming `function`.
[[noreturn]] void throw_not_built(const std::string& function);

// The environment says an MPI launcher started this process (OMPI_COMM_WORLD_SIZE, PMIX_RANK,
// PMI_RANK…). Worker processes of a batch have these variables removed (launcher_variables).
bool launched_by_mpi_launcher();
// The names of those variables present in the environment (a batch strips them from workers).
std::vector<std::string> launcher_variables();

// MPI_Init_thread (MPI_THREAD_FUNNELED: only the main thread calls MPI; OpenMP threads compute)
// when launched by a launcher, else nothing. MPI_Finalize runs at exit. Call once, early.
void initialise(int& argc, char**& argv);
bool initialised();

int rank();  // 0 when MPI is not running
int size();  // 1 when MPI is not running
// The host name of this process (MPI_Get_processor_name, or gethostname).
std::string host_name();

// Collective: every rank's host name, in rank order (one entry without MPI).
std::vector<std::string> all_host_names();
// Collective: how many ranks share this rank's host (1 without MPI): they share its memory.
int ranks_on_this_host();
// Collective.
void barrier();
// Collective: element-wise sum over the ranks, the result on every rank.
void allreduce_sum(double* data, std::size_t count);
// Collective: the value of every rank, in rank order.
std::vector<std::uint64_t> allgather(std::uint64_t value);
// Collective: `value` as rank `root` has it, on every rank.
void broadcast(std::string& value, int root = 0);

// Collective: throws ntk::Error (and records a collective failure) on every rank when the
// ranks' fingerprints differ: "FUNCTION: WHAT differs between the ranks (rank 0: …, rank 2: …):
// every rank must compute the same inputs (same data, same seeds)".
void check_same(std::uint64_t fingerprint, const std::string& function, const std::string& what);
// Collective: every rank gets `ok` of all; when a rank has false, throws on every rank with
// `message` (from the first failing rank's text `detail`) and records a collective failure.
void check_all(bool ok, const std::string& detail, const std::string& function);

// Collective, first in every distributed call: every rank says what it is about to do (`what`,
// e.g. "A:kernel{distributed = true}"), and when the ranks are not all doing the same thing —
// a call made on some ranks only, or a rank that has reached the end of its script — every
// rank throws, naming both, instead of waiting for ever in mismatched collectives.
void enter_collective(const std::string& what);

// Throws ntk::Error(message) after recording that every rank throws it (a collective failure).
[[noreturn]] void throw_collective(const std::string& message);
bool collective_failure();

// Stops every rank (MPI_Abort) with `code`; without MPI, exits with it.
[[noreturn]] void abort_all(int code);

// Whether this rank writes files and prints (ntk.io writes, M:save, print): rank 0 by default,
// every rank after set_writes(true) on it (ntk.mpi.output(true)).
bool writes();
void set_writes(bool on);

// FNV-1a over bytes, chained: the fingerprint of data for check_same.
std::uint64_t fingerprint(const void* data, std::size_t bytes, std::uint64_t seed = 1469598103934665603ULL);

}  // namespace ntk::core::mpi
