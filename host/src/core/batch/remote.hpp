// A batch over the ranks of `mpirun -np R ntklab batch …` (R > 1): rank 0 coordinates, every
// rank (rank 0 included) runs jobs as local workers, --jobs J at a time.
//
// Rank 0 alone locks DIR, writes the manifest and appends results. It hands each other rank
// one job at a time as an index into the batch's job list (every rank expands the same list
// from the same command line; batch.cpp checks that they agree) and the next one when a job
// comes back, so a fast rank gets more jobs. A rank sends back each job's JobEnd (job_run.hpp):
// the text of its rows file, not the file, since the ranks need not share a file system.
//
// Messages (MPI_COMM_WORLD, point to point, rank 0's loop polls with MPI_Iprobe and never blocks
// while its own workers run):
//   0 → r  job (the index)  finish (no job left)  stop (a signal: stop your workers now)
//   r → 0  result (a JobEnd)  interrupted (r received a signal)  done (r's last message)
// A rank sends done after finish once its jobs are back, or at once after stop. A signal on any
// rank stops the whole batch: the rank stops its own workers and tells rank 0, which sends stop
// to all. A rank that dies is noticed by mpirun, which ends all ranks; the rows appended so far
// are whole (results.hpp) and --resume runs the rest.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <vector>

#include "core/batch/batch.hpp"
#include "core/batch/job_run.hpp"

namespace ntk::core::batch {

struct RemoteJobEnd {
  std::size_t job_index = 0;  // into the batch's job list
  JobEnd end;                 // end.rank says where it ran
};

// Rank 0's view of ranks 1 … R-1. Without MPI (or with one rank) there are none: active() is
// false, all_done() true and every call does nothing.
class RemoteRanks {
 public:
  explicit RemoteRanks(int jobs_per_rank);
  RemoteRanks(const RemoteRanks&) = delete;
  RemoteRanks& operator=(const RemoteRanks&) = delete;

  bool active() const { return ranks_.size() > 1; }
  // Jobs handed out and not back yet.
  std::size_t running() const;
  // Fills every free slot with the jobs `next` gives (an index, or nothing when none is left).
  void hand_out(const std::function<std::optional<std::size_t>()>& next);
  // No job is left: each rank is told once, and answers done when its jobs are back.
  void finish();
  // The jobs that ended on other ranks since the last call; never blocks.
  std::vector<RemoteJobEnd> receive();
  bool all_done() const;
  // The signal another rank received (it has stopped its workers), or 0.
  int interrupted_by() const { return interrupted_by_; }
  // Tells every rank not yet done to stop its workers.
  void request_stop();
  // Receives until every rank is done or `wait` has passed; the jobs that ended normally
  // meanwhile go to `on_end`. False when a rank did not answer in time.
  bool wait_done(std::chrono::milliseconds wait,
                 const std::function<void(const RemoteJobEnd&)>& on_end);

 private:
  struct Rank {
    int running = 0;
    bool finished = false, stopped = false, done = false;
  };
  void send(int rank, int tag, const void* data, int bytes);
  // Handles one message if one is waiting; returns false when none was.
  bool receive_one(std::vector<RemoteJobEnd>& ends);

  int jobs_per_rank_;
  std::vector<Rank> ranks_;  // by rank; entry 0 (this rank) unused
  int interrupted_by_ = 0;
};

// The life of a rank ≥ 1 in a batch: runs the jobs rank 0 hands it as local workers (J at a
// time, with --job-timeout) and sends back their ends, until rank 0 says finish or stop.
// Returns the signal this rank received, or 0. Throws ntk::Error when a worker cannot start or
// an MPI call fails (the caller then aborts all ranks).
int serve_jobs(const BatchOptions& options, const std::vector<Job>& jobs);

}  // namespace ntk::core::batch
