// What a batch may ask of the machine: a bounded number of jobs, and a warning when --jobs
// is far above the cores it can use.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/batch/grid.hpp"

namespace ntk::core::batch {

// A batch of more jobs than this is refused before anything runs: its job list alone (ids,
// seeds, the manifest) would take gigabytes, and it would not finish anyway.
constexpr std::uint64_t kMaxJobs = 1'000'000;

// The number of jobs of grid × reps, exact; `overflow` is set (and the result is 0) when it does
// not fit in 64 bits.
std::uint64_t count_jobs(const std::vector<GridAxis>& grid, std::uint64_t reps, bool& overflow);

// Throws ntk::Error when grid × reps makes more than `max_jobs` jobs, with the count and its
// factors: "batch: --grid a (3 values) × --reps 1000000 makes 3000000 jobs, more than ...".
void check_job_count(const std::vector<GridAxis>& grid, std::uint64_t reps,
                     std::uint64_t max_jobs = kMaxJobs);

// The cores this process may run on (its CPU affinity; at least 1).
unsigned usable_cores();

// A warning line (without "batch: warning: ") when `workers` is more than twice `cores`,
// else "".
std::string jobs_warning(int workers, unsigned cores);

}  // namespace ntk::core::batch
