// A worker's thread share (core/threads/share.hpp): the file's format, and a new share taken up
// at safe points only — on the main thread outside parallel regions, at most every 0.5 s —
// checked against what OpenMP and OpenBLAS themselves report (team sizes, thread counts).
#include <catch2/catch.hpp>

#include <omp.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "core/progress/reporter.hpp"
#include "core/threads/share.hpp"

namespace threads = ntk::core::threads;
namespace fs = std::filesystem;

namespace {

int parse(const std::string& text) { return threads::parse_share(text.data(), text.size()); }

// The size of the team the main thread's next parallel region gets.
int team_size() {
  int size = 0;
#pragma omp parallel
  {
#pragma omp single
    size = omp_get_num_threads();
  }
  return size;
}

void write_share(const fs::path& path, int share) {
  const fs::path temporary = path.string() + ".tmp";
  std::ofstream(temporary) << share << "\n";
  fs::rename(temporary, path);  // as the batch does: the reader never sees half a file
}

// Lets the next poll() read the file: the interval has passed.
void wait_for_interval() { std::this_thread::sleep_for(threads::kPollInterval + std::chrono::milliseconds(50)); }

// Restores the thread counts and stops watching, also when a check fails.
struct Restore {
  threads::Counts before = threads::current();
  ~Restore() {
    threads::watch(nullptr);
    threads::apply(before.blas);
    omp_set_num_threads(before.openmp);
  }
};

}  // namespace

TEST_CASE("parse_share reads one whole number >= 1 on its own line", "[threads]") {
  CHECK(parse("2\n") == 2);
  CHECK(parse("16") == 16);
  CHECK(parse("128\n") == 128);
  CHECK(parse("") == 0);
  CHECK(parse("\n") == 0);
  CHECK(parse("0\n") == 0);
  CHECK(parse("-2\n") == 0);
  CHECK(parse("2x\n") == 0);
  CHECK(parse("2\n3\n") == 0);
  CHECK(parse(" 2\n") == 0);
  CHECK(parse("99999999999999999999\n") == 0);  // no overflow into a small number
}

TEST_CASE("A share from the file reaches OpenMP's next team and OpenBLAS", "[threads]") {
  Restore restore;
  const fs::path file =
      fs::temp_directory_path() / ("ntk_threads_share_" + std::to_string(::getpid()));
  threads::apply(1);
  REQUIRE(team_size() == 1);

  write_share(file, 3);
  threads::watch(file.c_str());
  threads::poll();  // the first poll reads at once
  CHECK(threads::current().openmp == 3);
  CHECK(threads::current().blas == 3);
  CHECK(team_size() == 3);  // OpenMP makes the team asked for, cores or not

  // A new share waits for the interval: polls in between do not open the file.
  const auto written = std::chrono::steady_clock::now();
  write_share(file, 2);
  threads::poll();
  if (std::chrono::steady_clock::now() - written < threads::kPollInterval / 2)
    CHECK(threads::current().openmp == 3);
  wait_for_interval();
  threads::poll();
  CHECK(threads::current().openmp == 2);
  CHECK(threads::current().blas == 2);
  CHECK(team_size() == 2);

  // A missing or malformed file changes nothing.
  std::ofstream(file) << "many\n";
  wait_for_interval();
  threads::poll();
  CHECK(threads::current().openmp == 2);
  fs::remove(file);
  wait_for_interval();
  threads::poll();
  CHECK(threads::current().openmp == 2);
}

TEST_CASE("A share is not taken up inside a parallel region or on another thread", "[threads]") {
  Restore restore;
  const fs::path file =
      fs::temp_directory_path() / ("ntk_threads_region_" + std::to_string(::getpid()));
  threads::apply(2);
  write_share(file, 4);
  threads::watch(file.c_str());

  // Thread 0 of a team is the main thread, but the region's team is fixed and its count is the
  // region's own copy: the share must wait for the region to end.
  int inside = 0;
#pragma omp parallel num_threads(2)
  {
    if (omp_get_thread_num() == 0) {
      threads::poll();
      inside = omp_get_max_threads();
    }
  }
  CHECK(inside == 2);
  CHECK(threads::current().openmp == 2);
  // A team of one (a worker whose share is 1) is no different: its region is not "active",
  // but a count set inside would still be lost when it ends.
#pragma omp parallel num_threads(1)
  threads::poll();
  CHECK(threads::current().openmp == 2);

  std::thread other([] { threads::poll(); });  // e.g. a progress report from a worker thread
  other.join();
  CHECK(threads::current().openmp == 2);
  CHECK(threads::current().blas == 2);

  threads::poll();  // the main thread, between regions: now (the skipped polls did not wait)
  CHECK(threads::current().openmp == 4);
  CHECK(team_size() == 4);
  fs::remove(file);
}

TEST_CASE("A progress report of a long computation is a safe point", "[threads]") {
  Restore restore;
  const fs::path file =
      fs::temp_directory_path() / ("ntk_threads_report_" + std::to_string(::getpid()));
  threads::apply(1);
  write_share(file, 2);
  threads::watch(file.c_str());
  ntk::core::progress::Reporter silent("test", 10, nullptr, ntk::core::progress::Style{});
  silent.update(1);
  CHECK(threads::current().openmp == 2);
  CHECK(threads::current().blas == 2);
  fs::remove(file);
}

TEST_CASE("Without a share file poll() changes nothing", "[threads]") {
  Restore restore;
  threads::watch(nullptr);
  threads::apply(1);
  threads::poll();
  CHECK(threads::current().openmp == 1);
  CHECK(threads::current().blas == 1);
}
