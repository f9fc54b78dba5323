// What a batch may ask (core/batch/limits.hpp): the job count of grid × reps, exact and without
// overflow, refused above 10^6 before anything is allocated; a warning for --jobs > 2 × cores.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "batch_support.hpp"
#include "core/batch/limits.hpp"
#include "ntk/sdk/error.hpp"

using namespace ntk::core::batch;
using namespace batch_test;

namespace {

GridAxis axis(const std::string& name, std::size_t values) {
  GridAxis a;
  a.name = name;
  for (std::size_t i = 0; i < values; ++i) a.values.push_back(std::to_string(i));
  return a;
}

}  // namespace

TEST_CASE("count_jobs is the exact product and reports overflow", "[batch][limits]") {
  bool overflow = true;
  CHECK(count_jobs({axis("a", 3), axis("b", 4)}, 5, overflow) == 60);
  CHECK_FALSE(overflow);
  CHECK(count_jobs({}, 7, overflow) == 7);
  // 10^4^5 = 10^20 > 2^64 - 1 ≈ 1.8e19.
  const GridAxis big = axis("a", 10000);
  std::vector<GridAxis> grid = {big, big, big, big, big};
  for (std::size_t i = 0; i < grid.size(); ++i) grid[i].name = "a" + std::to_string(i);
  CHECK(count_jobs(grid, 1, overflow) == 0);
  CHECK(overflow);
  grid.pop_back();  // 10^16 fits
  CHECK(count_jobs(grid, 1000, overflow) == 10'000'000'000'000'000'000ull);
  CHECK_FALSE(overflow);
}

TEST_CASE("more than 10^6 jobs are refused with the count, before anything is allocated",
          "[batch][limits]") {
  CHECK(kMaxJobs == 1'000'000);
  CHECK_NOTHROW(check_job_count({axis("a", 1000)}, 1000));  // exactly the limit
  CHECK_THROWS_WITH(check_job_count({axis("a", 1000)}, 1001),
                    "batch: --grid a (1000 values) × --reps 1001 makes 1001000 jobs, more than "
                    "the 1000000 a batch may have; split it into several batches (fewer values "
                    "or repetitions each)");
  const GridAxis big = axis("a", 10000);
  std::vector<GridAxis> grid = {big, big, big, big, big};
  for (std::size_t i = 0; i < grid.size(); ++i) grid[i].name = "a" + std::to_string(i);
  CHECK_THROWS_WITH(check_job_count(grid, 1),
                    Catch::Contains("makes more than 18446744073709551615 jobs"));
  // expand_jobs refuses at once instead of reserving 10^12 jobs.
  const auto start = std::chrono::steady_clock::now();
  CHECK_THROWS_WITH(expand_jobs({axis("a", 1000)}, 1'000'000'000),
                    Catch::Contains("makes 1000000000000 jobs"));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(1));
}

TEST_CASE("--jobs above twice the usable cores gives a warning, not an error", "[batch][limits]") {
  CHECK(jobs_warning(4, 2).empty());
  CHECK(jobs_warning(1, 1).empty());
  CHECK(jobs_warning(5, 2) ==
        "--jobs 5 is more than twice the 2 cores this batch may use: the jobs take turns on "
        "them and each runs slower (--jobs 2 keeps every core busy)");
  CHECK_THAT(jobs_warning(3, 1), Catch::Contains("twice the 1 core this"));
  const unsigned cores = usable_cores();
  CHECK(cores >= 1);
  if (std::thread::hardware_concurrency() > 0) CHECK(cores <= std::thread::hardware_concurrency());

  const fs::path dir = fresh_dir("many_jobs");
  std::ostringstream progress;
  const int workers = static_cast<int>(2 * cores + 1);
  const BatchSummary summary = run_batch(options_for(dir, "x=1", 1, workers, progress));
  CHECK(summary.ok == 1);
  CHECK_THAT(progress.str(), Catch::Contains("batch: warning: " + jobs_warning(workers, cores)));
  std::ostringstream quiet;
  fs::remove_all(dir / "out");
  run_batch(options_for(dir, "x=1", 1, static_cast<int>(2 * cores), quiet));
  CHECK(quiet.str().find("warning") == std::string::npos);
  fs::remove_all(dir);
}
