// Worker processes of a batch: fork/exec, wait without blocking, stop on an interrupt.
//
// Each worker runs in its own process group (a Ctrl-C on the terminal reaches only the batch,
// which then stops its workers itself, so a worker killed by the interrupt is never mistaken for
// a failed job) and gets PR_SET_PDEATHSIG = SIGKILL (a batch killed with SIGKILL takes its
// workers with it instead of leaving orphans that keep computing).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <string>
#include <utility>
#include <vector>

namespace ntk::core::batch {

struct WorkerSpec {
  std::vector<std::string> argv;  // argv[0] is the executable's path (no PATH search)
  std::string stdout_path;        // truncated and written by the worker
  std::string stderr_path;
  std::vector<std::pair<std::string, std::string>> environment;  // set or replaced
  std::vector<std::string> unset;  // removed from the environment (an MPI launcher's variables)
};

struct WorkerExit {
  pid_t pid = 0;
  int exit_code = 0;  // ≥ 0: exit status; < 0: minus the signal that ended it
  double elapsed_s = 0;
  bool timed_out = false;  // stopped by enforce_time_limit
};

class WorkerPool {
 public:
  WorkerPool() = default;
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  // Kills and reaps whatever is still running.
  ~WorkerPool();

  // Starts a worker; throws ntk::Error if fork fails or the log files cannot be opened.
  // An exec failure shows up as exit code 127 with the reason in the worker's stderr file.
  pid_t launch(const WorkerSpec& spec);

  // The workers that have exited, waiting up to `timeout` for the first one.
  // Returns early (possibly empty) when a signal arrives.
  std::vector<WorkerExit> wait_some(std::chrono::milliseconds timeout);

  // A worker running for `limit` or longer gets SIGTERM (its whole process group), and SIGKILL
  // `grace` later if it is still there; its exit then says timed_out. When a timed-out worker
  // is reaped, what is left of its group (children that ignored SIGTERM) gets SIGKILL too.
  // Call it between wait_some calls; it never blocks.
  void enforce_time_limit(std::chrono::duration<double> limit, std::chrono::milliseconds grace);

  // SIGTERM to every running worker's group, SIGKILL after `grace`, then reaps them all.
  // Returns the pids that were stopped.
  std::vector<pid_t> stop_all(std::chrono::milliseconds grace);

  std::size_t running() const { return running_.size(); }

 private:
  struct Running {
    pid_t pid;
    std::chrono::steady_clock::time_point start;
    bool timed_out = false;
    std::chrono::steady_clock::time_point terminated{};  // when it got SIGTERM for its time
  };
  std::vector<Running> running_;
};

// Installs handlers for SIGINT, SIGTERM and SIGHUP that record the signal; restores the
// previous handlers on destruction. One at a time per process.
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
  // The first signal received, or 0.
  int signal() const;

 private:
  struct sigaction old_int_ {}, old_term_ {}, old_hup_ {};
};

}  // namespace ntk::core::batch
