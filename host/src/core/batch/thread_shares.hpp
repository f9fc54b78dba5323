// The threads of a batch's workers, and the cores of finished workers given to those still
// running.
//
// Each worker starts with OMP_NUM_THREADS = OPENBLAS_NUM_THREADS = its share of the usable cores.
// When the number of running workers changes (at the end of a batch: a job ends and no job is
// left to start), the shares are computed again and each worker whose share changed is told so
// through its share file, DIR/.threads/JOB_ID, which holds one number ("2\n") and is replaced
// atomically (written to JOB_ID.tmp, then renamed). The worker finds the path in
// NTKLAB_THREADS_FILE and applies the number at its next safe point (core/threads/share.hpp).
//
// Why a file: the worker reads it when it can use it, between parallel regions on its main
// thread, and nothing reaches it in between. A signal would interrupt its system calls (a
// script's os.execute, a read) and would kill a worker that has not yet installed a handler
// (SIGUSR1's default action is to terminate); a pipe or shared memory would need a reader thread
// or a mapping kept in step with the batch. The file costs one open and read every 0.5 s.
//
// If OMP_NUM_THREADS or OPENBLAS_NUM_THREADS is set in the batch's environment, the user chose
// the threads: nothing is rebalanced, and a variable left unset gets max(1, cores / --jobs) as
// before.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace ntk::core::batch {

// The threads of each of `running` workers sharing `cores` cores, oldest worker first:
// cores / running each and one more for the first cores % running; at least 1 each (more
// workers than cores: 1 each). Empty for no worker.
std::vector<int> thread_shares(unsigned cores, std::size_t running);

using Environment = std::vector<std::pair<std::string, std::string>>;

class ThreadShares {
 public:
  // `out_dir`: the batch's folder (the share files go in OUT_DIR/SUBDIR, made afresh; another
  // MPI rank of the batch uses a SUBDIR of its own, so that a shared folder keeps them apart).
  // `workers`: --jobs. `rebalance`: false when the user set the thread variables.
  ThreadShares(const std::string& out_dir, unsigned cores, int workers, bool rebalance,
               const std::string& subdir = ".threads");
  // Removes OUT_DIR/SUBDIR.
  ~ThreadShares();
  ThreadShares(const ThreadShares&) = delete;
  ThreadShares& operator=(const ThreadShares&) = delete;

  // True unless OMP_NUM_THREADS or OPENBLAS_NUM_THREADS is set in this process's environment.
  static bool rebalance_allowed();

  bool rebalancing() const { return rebalance_; }
  unsigned cores() const { return cores_; }

  // A worker about to start as job `id`, while `running_after` workers (itself included) will
  // run: its share file is written, and the variables to give it are returned.
  Environment starting(const std::string& id, std::size_t running_after);
  // The worker of job `id` has ended: its file is removed.
  void ended(const std::string& id);
  // Gives each running worker its share of the cores, rewriting the files that change. Returns
  // true for the first shares, and then when the shares differ from the last ones seen and some
  // worker's share changed (never for no worker). Throws ntk::Error when a file cannot be
  // written.
  bool rebalance();
  // The current shares, oldest worker first.
  std::vector<int> shares() const;

  // OUT_DIR/.threads/ID.
  std::string file(const std::string& id) const;

 private:
  void write(const std::string& id, int share) const;

  struct Worker {
    std::string id;
    int share;
  };
  std::string dir_;
  unsigned cores_;
  int workers_;
  bool rebalance_;
  std::vector<Worker> running_;
  std::vector<int> last_change_;
};

}  // namespace ntk::core::batch
