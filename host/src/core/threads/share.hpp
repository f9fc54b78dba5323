// A batch worker's share of the cores, which the batch may change while the worker runs.
//
// `ntklab batch` starts each job as its own process with OMP_NUM_THREADS = its share of the
// cores. When jobs end and none is left to start, the batch gives the freed cores to the jobs
// still running: it rewrites a small file per worker (core/batch/thread_shares.hpp) whose path
// the worker finds in NTKLAB_THREADS_FILE. The worker reads that file at safe points and applies
// the number with omp_set_num_threads (the next parallel regions started by the main thread) and
// openblas_set_num_threads (the next BLAS calls).
//
// Safe points: every call from Lua into ntk (lua::protect) and every progress report of a long
// computation (progress::Reporter::update). A report made inside a parallel region is skipped:
// omp_set_num_threads there would set only that region's own copy of the thread count, and a
// running team cannot grow anyway. So a single parallel kernel computation keeps the team it
// started with and the next call gets the new share, while work that reports between BLAS calls
// on the main thread (training steps, the blocked Cholesky's slabs) gets it at once.
//
// OpenMP keeps the count per thread: a std::thread started later still has the start-up
// OMP_NUM_THREADS. Code that sizes its own threads should ask omp_get_max_threads() on the main
// thread (as ntk.threads() does).
//
// Cost: without NTKLAB_THREADS_FILE (outside a batch) one load of a flag. With it, one reading of
// the steady clock per safe point, and the file is opened at most every `kPollInterval`.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace ntk::core::threads {

// How often the file is read at most.
constexpr std::chrono::milliseconds kPollInterval{500};

// The environment variable that names the worker's share file.
constexpr const char* kShareFileVariable = "NTKLAB_THREADS_FILE";

namespace detail {
// Atomics because a progress report may come from any thread (relaxed: they only gate a check).
extern std::atomic<bool> g_watching;             // a share file is named
extern std::atomic<std::int64_t> g_next_poll;    // steady_clock ticks
void poll_file() noexcept;
}  // namespace detail

// Applies a new share if the batch wrote one. Call at safe points; never throws.
inline void poll() noexcept {
  if (!detail::g_watching.load(std::memory_order_relaxed)) return;
  if (std::chrono::steady_clock::now().time_since_epoch().count() <
      detail::g_next_poll.load(std::memory_order_relaxed))
    return;
  detail::poll_file();
}

// The threads the next parallel region and BLAS call of the main thread may use.
struct Counts {
  int openmp;  // omp_get_max_threads()
  int blas;    // openblas_get_num_threads()
};
Counts current();

// Sets both counts (n ≥ 1) for the main thread's next parallel regions and BLAS calls.
void apply(int n);

// The share written in a share file: a whole number ≥ 1 alone on its line ("2\n").
// Returns 0 for anything else (a missing, empty or malformed file changes nothing).
int parse_share(const char* text, std::size_t length);

// Starts watching `path` (tests; the process does so by itself when NTKLAB_THREADS_FILE is set
// at start-up). An empty path stops watching. The next poll() reads the file at once.
void watch(const char* path);

}  // namespace ntk::core::threads
