#include "core/threads/share.hpp"

#include <fcntl.h>
#include <omp.h>
#include <pthread.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <string>

extern "C" {
// Exported by every OpenBLAS build. The pthreads build (Debian's default) starts more server
// threads when the count grows, so a worker that began with 1 thread can grow to all cores.
void openblas_set_num_threads(int threads);
int openblas_get_num_threads(void);
}

namespace ntk::core::threads {

namespace {

// Static initialisation runs on the main thread: the one that runs Lua and starts the parallel
// regions whose size omp_set_num_threads sets.
const pthread_t g_main_thread = pthread_self();

std::mutex g_path_mutex;  // watch() against poll_file() (tests only change the path)
std::string g_path;
int g_applied = 0;  // the last share applied (0: none yet)

std::int64_t ticks_from_now(std::chrono::steady_clock::duration delay) {
  return (std::chrono::steady_clock::now() + delay).time_since_epoch().count();
}

bool watch_environment() {
  const char* path = std::getenv(kShareFileVariable);
  if (path == nullptr || *path == '\0') return false;
  g_path = path;
  return true;
}

// The share in `path`, or 0 when the file is missing or does not hold one.
int read_share(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char text[32];
  const ssize_t length = ::read(fd, text, sizeof text);
  ::close(fd);
  return length > 0 ? parse_share(text, static_cast<std::size_t>(length)) : 0;
}

}  // namespace

namespace detail {
std::atomic<bool> g_watching{watch_environment()};
std::atomic<std::int64_t> g_next_poll{0};

void poll_file() noexcept {
  // Only the main thread between parallel regions: inside a region omp_set_num_threads would
  // change that region's copy of the count only, and OpenBLAS's count must not change under a
  // BLAS call that another thread of ours is making. omp_get_level, not omp_in_parallel: a
  // region of one thread (a worker with a share of 1) is not "active" but has its own copy too.
  if (omp_get_level() > 0 || !pthread_equal(pthread_self(), g_main_thread)) return;
  g_next_poll.store(ticks_from_now(kPollInterval), std::memory_order_relaxed);
  int share = 0;
  {
    const std::lock_guard<std::mutex> lock(g_path_mutex);
    if (g_path.empty()) return;
    share = read_share(g_path);
  }
  if (share > 0 && share != g_applied) apply(share);
}
}  // namespace detail

Counts current() { return {omp_get_max_threads(), openblas_get_num_threads()}; }

void apply(int n) {
  if (n < 1) n = 1;
  omp_set_num_threads(n);
  openblas_set_num_threads(n);
  g_applied = n;
}

int parse_share(const char* text, std::size_t length) {
  std::size_t i = 0;
  long value = 0;
  while (i < length && text[i] >= '0' && text[i] <= '9') {
    value = value * 10 + (text[i] - '0');
    if (value > 1 << 20) return 0;  // no machine has a million cores: a corrupt file
    ++i;
  }
  if (i == 0) return 0;
  if (i < length && text[i] == '\n') ++i;
  return i == length && value >= 1 ? static_cast<int>(value) : 0;
}

void watch(const char* path) {
  const std::lock_guard<std::mutex> lock(g_path_mutex);
  g_path = path == nullptr ? "" : path;
  g_applied = 0;
  detail::g_next_poll.store(0, std::memory_order_relaxed);
  detail::g_watching.store(!g_path.empty(), std::memory_order_relaxed);
}

}  // namespace ntk::core::threads
