// One job of a batch as a local process, and the rows its end gives, wherever it ran.
//
// Under mpirun a job may run on another rank (remote.hpp), whose file system rank 0 may not
// see: that rank sends back a JobEnd (exit, time, the text of its rows file, its stderr tail)
// and rank 0 turns it into rows with record_job, exactly as for a job it ran itself.
#pragma once

#include <string>

#include "core/batch/batch.hpp"
#include "core/batch/grid.hpp"
#include "core/batch/workers.hpp"

namespace ntk::core::batch {

// DIR/jobs/ID.jsonl: the rows the job writes (its `out` parameter).
std::string job_output_path(const std::string& dir, const Job& job);
// DIR/logs/ID.err.
std::string job_stderr_path(const std::string& dir, const Job& job);

// The worker of a job: `worker_prefix… --set` the constants, the grid values, rep, seed, job,
// mode=job and out (batch.hpp), stdout/stderr to DIR/logs, and the MPI launcher's variables
// removed from its environment (a worker with them would take itself for a rank of the batch's
// MPI run). The thread variables (ThreadShares) are the caller's to add.
WorkerSpec job_worker_spec(const BatchOptions& options, const Job& job);

// How a job ended, with what it left.
struct JobEnd {
  int exit_code = 0;  // ≥ 0: exit status; < 0: minus the signal
  double elapsed_s = 0;
  bool timed_out = false;
  std::string rows;          // the text of its rows file (read only when it exited 0)
  std::string rows_source;   // that file's path, for errors
  std::string stderr_tail;   // the last lines of its stderr (read only when it failed)
  int rank = -1;             // the MPI rank it ran on, recorded in its rows (-1: not under MPI)
};

// The end of a local worker: reads its rows file or its stderr tail (see JobEnd).
JobEnd collect_job_end(const WorkerExit& exit, const std::string& dir, const Job& job);

// What to append for a job that ended, and how to report it.
struct JobRecord {
  std::string lines;         // rows for results.jsonl
  bool ok = false;
  std::size_t row_count = 0;
  std::string error;         // a failed job's error (batch.error)
  std::string error_line;    // its one line for the progress output
};
JobRecord record_job(const Job& job, const BatchOptions& options, const JobEnd& end);

}  // namespace ntk::core::batch
