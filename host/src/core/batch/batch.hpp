// A headless batch: run every job of grid × repetitions as its own process, J at a time.
//
// Folder layout (DIR = BatchOptions::out_dir):
//   DIR/results.jsonl    one line per result row, appended atomically (see results.hpp)
//   DIR/manifest.json    version, plugins, grid, seeds, times (see manifest.hpp)
//   DIR/jobs/ID.jsonl    rows a running job writes; merged into results.jsonl and removed when
//                        the job exits 0, removed when it fails or is stopped
//   DIR/logs/ID.log      the job's stdout;  DIR/logs/ID.err  its stderr
//   DIR/results.quarantine.jsonl  corrupt lines --resume (or plot) moved out of results.jsonl,
//                        with their line numbers and reasons (quarantine.hpp)
//   DIR/.threads/ID      the running job's share of the cores, while it runs (thread_shares.hpp)
//   DIR/batch.lock       flock'ed by the running batch, with its pid (folder_lock.hpp): a second
//                        batch or --resume on DIR is refused while it runs
//
// A worker is `worker_prefix… --set NAME=VALUE…` with, in this order: the constants (--set of
// the batch), the grid parameters, then rep=R, seed=S, job=ID, mode=job and out=DIR/jobs/ID.jsonl.
// (For ntklab the prefix is `/proc/self/exe run SCRIPT`, so all of them arrive in the script's
// global `params`.) These names are reserved: rep, seed, job, mode, out, results, out_dir, and batch
// (the key of the batch's own fields in each result row, results.hpp).
//
// Limits: more than kMaxJobs jobs are refused before anything runs; --jobs above twice the
// usable cores gives a warning (limits.hpp).
//
// Workers share the cores: unless OMP_NUM_THREADS / OPENBLAS_NUM_THREADS are set in the
// environment, each running worker gets its share of the usable cores for both (cores / running,
// the remainder to the oldest), and when fewer jobs run than before (the last jobs of a batch)
// the running ones are told their larger share, which they apply between parallel regions
// (thread_shares.hpp, core/threads/share.hpp). Each change is a line of progress and an entry of
// the manifest's "threads". With either variable set, the threads stay as the user chose and an
// unset one gets max(1, cores / J).
//
// Under mpirun with R > 1 ranks (remote.hpp): rank 0 alone locks DIR, writes the manifest (with
// "mpi": {"ranks", "hosts", "jobs_per_rank"}) and appends the rows (with batch.rank); the jobs
// run on all ranks, `workers` at a time on each, and the other ranks send back what each job
// left. With one rank, or without MPI, none of this happens.
//
// Stopping: SIGINT, SIGTERM or SIGHUP make the batch stop its running workers (SIGTERM, then
// SIGKILL after `stop_grace`), drop their partial output, finish the manifest and return; the
// lines already in results.jsonl are untouched, and `--resume` runs the stopped jobs again.
#pragma once

#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "core/batch/grid.hpp"
#include "core/batch/json.hpp"

namespace ntk::core::batch {

struct BatchOptions {
  std::string script;                      // recorded in the manifest (make it absolute)
  std::vector<GridAxis> grid;
  Params constants;                        // the batch's --set NAME=VALUE
  int reps = 1;
  int workers = 1;
  std::string out_dir;
  bool resume = false;
  std::vector<std::string> worker_prefix;  // argv before the --set options
  Json manifest_extra = Json::object();    // first fields of the manifest (version, plugins, …)
  std::ostream* progress = &std::cerr;
  bool terminal = false;                   // draw a bar instead of lines
  std::chrono::milliseconds stop_grace{2000};  // SIGTERM → SIGKILL, on a stop or a timeout
  // > 0: a job running longer is stopped (SIGTERM to its process group, SIGKILL `stop_grace`
  // later) and recorded as failed with batch.reason "timeout" and batch.error
  // "timeout after S s"; the batch goes on. 0: no limit.
  double job_timeout_s = 0;
};

struct BatchSummary {
  std::size_t total = 0;    // jobs in grid × reps
  std::size_t skipped = 0;  // already done (--resume)
  std::size_t ok = 0;
  std::size_t failed = 0;
  std::size_t not_run = 0;  // stopped or never started because of an interrupt
  int interrupted_by = 0;   // the signal that stopped the batch, or 0
};

// Throws ntk::Error for bad options (reserved or clashing names, workers < 1, a job timeout that
// is negative or not a number, results in DIR
// without --resume, --resume with another script or other constants than the manifest's,
// DIR locked by another running batch).
BatchSummary run_batch(const BatchOptions& options);

// The error recorded for a job stopped by its time limit: "timeout after 1.5 s".
std::string timeout_text(double seconds);

// The names the runner passes itself; a grid axis or constant may not use them.
bool is_reserved_parameter(const std::string& name);

}  // namespace ntk::core::batch
