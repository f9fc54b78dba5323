// setrlimit for `ntklab run` (resource_limits.hpp).
#include "cli/resource_limits.hpp"

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <algorithm>
#include <cstring>

#include "ntk/sdk/error.hpp"

namespace ntk::cli {
namespace {

char cpu_message[96];  // formatted before the signal can arrive: the handler only writes it

void on_cpu_limit(int) {
  const ssize_t ignored = ::write(STDERR_FILENO, cpu_message, std::strlen(cpu_message));
  (void)ignored;
  ::_exit(1);
}

void set_limit(int resource, rlim_t soft, rlim_t hard, const char* what) {
  rlimit current{};
  ::getrlimit(resource, &current);
  if (current.rlim_max != RLIM_INFINITY) {
    hard = std::min(hard, current.rlim_max);
    soft = std::min(soft, hard);
  }
  const rlimit limit{soft, hard};
  if (::setrlimit(resource, &limit) != 0)
    throw_error("cannot set the ", what, " limit: ", std::strerror(errno));
}

}  // namespace

void apply_resource_limits(const ResourceLimits& limits) {
  if (limits.cpu_seconds > 0) {
    std::snprintf(cpu_message, sizeof cpu_message, "ntklab: CPU time limit of %llu s reached\n",
                  limits.cpu_seconds);
    struct sigaction action {};
    action.sa_handler = on_cpu_limit;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGXCPU, &action, nullptr);
    set_limit(RLIMIT_CPU, limits.cpu_seconds, limits.cpu_seconds + 2, "CPU time (--cpu-seconds)");
  }
  if (limits.memory_mb > 0) {
    const rlim_t bytes = static_cast<rlim_t>(limits.memory_mb) << 20;
    set_limit(RLIMIT_AS, bytes, bytes, "memory (--memory-mb)");
  }
}

}  // namespace ntk::cli
