#include "core/batch/limits.hpp"

#include <sched.h>

#include <thread>

#include "ntk/sdk/error.hpp"

namespace ntk::core::batch {

std::uint64_t count_jobs(const std::vector<GridAxis>& grid, std::uint64_t reps, bool& overflow) {
  overflow = false;
  std::uint64_t count = reps;
  for (const auto& axis : grid) {
    if (__builtin_mul_overflow(count, static_cast<std::uint64_t>(axis.values.size()), &count)) {
      overflow = true;
      return 0;
    }
  }
  return count;
}

void check_job_count(const std::vector<GridAxis>& grid, std::uint64_t reps,
                     std::uint64_t max_jobs) {
  bool overflow = false;
  const std::uint64_t count = count_jobs(grid, reps, overflow);
  if (!overflow && count <= max_jobs) return;
  std::string factors;
  for (const auto& axis : grid)
    factors += "--grid " + axis.name + " (" + std::to_string(axis.values.size()) + " values) × ";
  factors += "--reps " + std::to_string(reps);
  throw_error("batch: ", factors, " makes ",
              overflow ? "more than 18446744073709551615" : std::to_string(count),
              " jobs, more than the ", max_jobs,
              " a batch may have; split it into several batches (fewer values or repetitions "
              "each)");
}

unsigned usable_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
    return static_cast<unsigned>(CPU_COUNT(&set));
  const unsigned hardware = std::thread::hardware_concurrency();
  return hardware > 0 ? hardware : 1;
}

std::string jobs_warning(int workers, unsigned cores) {
  if (workers <= 0 || static_cast<unsigned long long>(workers) <= 2ull * cores) return "";
  return "--jobs " + std::to_string(workers) + " is more than twice the " +
         std::to_string(cores) + (cores == 1 ? " core" : " cores") +
         " this batch may use: the jobs take turns on them and each runs slower (--jobs " +
         std::to_string(cores) + " keeps every core busy)";
}

}  // namespace ntk::core::batch
