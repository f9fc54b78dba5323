// remote.hpp in a build without MPI: one process, so there are no other ranks.
#include "core/batch/remote.hpp"
#include "core/mpi/comm.hpp"

namespace ntk::core::batch {

RemoteRanks::RemoteRanks(int jobs_per_rank) : jobs_per_rank_(jobs_per_rank), ranks_(1) {}
std::size_t RemoteRanks::running() const { return 0; }
void RemoteRanks::hand_out(const std::function<std::optional<std::size_t>()>&) {}
void RemoteRanks::finish() {}
std::vector<RemoteJobEnd> RemoteRanks::receive() { return {}; }
bool RemoteRanks::all_done() const { return true; }
void RemoteRanks::request_stop() {}
bool RemoteRanks::wait_done(std::chrono::milliseconds,
                            const std::function<void(const RemoteJobEnd&)>&) {
  return true;
}

int serve_jobs(const BatchOptions&, const std::vector<Job>&) {
  mpi::throw_not_built("batch: serve_jobs()");
}

}  // namespace ntk::core::batch
