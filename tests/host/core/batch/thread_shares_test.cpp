// The batch's thread shares (core/batch/thread_shares.hpp): the split of the cores among the
// running workers, checked against its definition for every small case, and the share files a
// batch writes for its workers as they start and end.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>

#include "core/batch/thread_shares.hpp"
#include "core/threads/share.hpp"

using namespace ntk::core::batch;
namespace fs = std::filesystem;

namespace {

fs::path fresh_dir(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("ntk_thread_shares_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

int share_in(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  const std::string s = text.str();
  return ntk::core::threads::parse_share(s.data(), s.size());
}

std::string value_of(const Environment& environment, const std::string& name) {
  for (const auto& [key, value] : environment)
    if (key == name) return value;
  return "(unset)";
}

}  // namespace

TEST_CASE("thread_shares splits the cores evenly, the remainder to the oldest workers",
          "[batch][threads]") {
  CHECK(thread_shares(2, 2) == std::vector<int>{1, 1});
  CHECK(thread_shares(2, 1) == std::vector<int>{2});
  CHECK(thread_shares(16, 3) == std::vector<int>{6, 5, 5});
  CHECK(thread_shares(2, 5) == std::vector<int>{1, 1, 1, 1, 1});  // more workers than cores
  CHECK(thread_shares(4, 0).empty());
  // The definition, for every small case: all cores used (or one each when they are too few),
  // shares differ by at most one, never increase with age order, never below one.
  for (unsigned cores = 1; cores <= 40; ++cores) {
    for (std::size_t running = 1; running <= 45; ++running) {
      const std::vector<int> s = thread_shares(cores, running);
      REQUIRE(s.size() == running);
      const long total = std::accumulate(s.begin(), s.end(), 0L);
      CHECK(total == std::max<long>(cores, static_cast<long>(running)));
      CHECK(*std::min_element(s.begin(), s.end()) >= 1);
      CHECK(*std::max_element(s.begin(), s.end()) - *std::min_element(s.begin(), s.end()) <= 1);
      CHECK(std::is_sorted(s.rbegin(), s.rend()));
    }
  }
}

TEST_CASE("ThreadShares writes each worker's share file and gives freed cores to the others",
          "[batch][threads]") {
  const fs::path dir = fresh_dir("files");
  {
    ThreadShares shares(dir.string(), 5, 2, /*rebalance=*/true);
    REQUIRE(shares.rebalancing());
    const Environment a = shares.starting("a", 2);
    const Environment b = shares.starting("b", 2);
    CHECK(value_of(a, "OMP_NUM_THREADS") == "2");  // the smaller share until rebalance()
    CHECK(value_of(a, "OPENBLAS_NUM_THREADS") == "2");
    CHECK(value_of(a, ntk::core::threads::kShareFileVariable) == shares.file("a"));
    CHECK(value_of(b, ntk::core::threads::kShareFileVariable) == (dir / ".threads" / "b").string());
    CHECK(share_in(shares.file("a")) == 2);
    CHECK(shares.rebalance());  // the first shares
    CHECK(shares.shares() == std::vector<int>{3, 2});
    CHECK(share_in(shares.file("a")) == 3);
    CHECK(share_in(shares.file("b")) == 2);
    CHECK_FALSE(shares.rebalance());  // nothing changed

    shares.ended("a");  // and no job is left to start
    CHECK_FALSE(fs::exists(shares.file("a")));
    CHECK(shares.rebalance());
    CHECK(shares.shares() == std::vector<int>{5});
    CHECK(share_in(shares.file("b")) == 5);

    shares.ended("b");
    CHECK_FALSE(shares.rebalance());  // no worker: nothing to record
    CHECK(fs::exists(dir / ".threads"));
    CHECK(fs::is_empty(dir / ".threads"));  // no temporary files left behind
  }
  CHECK_FALSE(fs::exists(dir / ".threads"));  // removed with the batch
  fs::remove_all(dir);
}

TEST_CASE("ThreadShares removes the share files a killed batch left", "[batch][threads]") {
  const fs::path dir = fresh_dir("stale");
  fs::create_directories(dir / ".threads");
  std::ofstream(dir / ".threads" / "old") << "7\n";
  {
    ThreadShares shares(dir.string(), 2, 2, true);
    CHECK_FALSE(fs::exists(dir / ".threads" / "old"));
  }
  fs::remove_all(dir);
}

TEST_CASE("Without rebalancing the user's thread variables stay and no file is written",
          "[batch][threads]") {
  const fs::path dir = fresh_dir("fixed");
  {
    ThreadShares shares(dir.string(), 8, 3, /*rebalance=*/false);
    CHECK_FALSE(shares.rebalancing());
    const Environment e = shares.starting("a", 3);
    // The test environment sets both variables (tests/CMakeLists.txt), so neither is replaced;
    // an inherited share file is switched off.
    if (std::getenv("OMP_NUM_THREADS") != nullptr) CHECK(value_of(e, "OMP_NUM_THREADS") == "(unset)");
    else CHECK(value_of(e, "OMP_NUM_THREADS") == "2");  // max(1, 8 / 3)
    CHECK(value_of(e, ntk::core::threads::kShareFileVariable).empty());
    CHECK_FALSE(shares.rebalance());
    CHECK_FALSE(fs::exists(dir / ".threads"));
  }
  fs::remove_all(dir);
}

TEST_CASE("ThreadShares::rebalance_allowed follows the user's thread variables", "[batch][threads]") {
  const char* omp = std::getenv("OMP_NUM_THREADS");
  const char* blas = std::getenv("OPENBLAS_NUM_THREADS");
  const std::string saved_omp = omp ? omp : "", saved_blas = blas ? blas : "";
  ::unsetenv("OMP_NUM_THREADS");
  ::unsetenv("OPENBLAS_NUM_THREADS");
  CHECK(ThreadShares::rebalance_allowed());
  ::setenv("OPENBLAS_NUM_THREADS", "1", 1);
  CHECK_FALSE(ThreadShares::rebalance_allowed());
  ::unsetenv("OPENBLAS_NUM_THREADS");
  ::setenv("OMP_NUM_THREADS", "3", 1);
  CHECK_FALSE(ThreadShares::rebalance_allowed());
  ::unsetenv("OMP_NUM_THREADS");
  if (omp) ::setenv("OMP_NUM_THREADS", saved_omp.c_str(), 1);
  if (blas) ::setenv("OPENBLAS_NUM_THREADS", saved_blas.c_str(), 1);
}

TEST_CASE("A job replaced by the next one, or one job fewer on one core, is no change to record",
          "[batch][threads]") {
  const fs::path dir = fresh_dir("replaced");
  {
    ThreadShares shares((dir / "a").string(), 16, 3, true);
    shares.starting("a", 3);
    shares.starting("b", 3);
    shares.starting("c", 3);
    CHECK(shares.rebalance());
    CHECK(shares.shares() == std::vector<int>{6, 5, 5});
    shares.ended("a");
    shares.starting("d", 3);
    CHECK_FALSE(shares.rebalance());  // still 6 + 5 + 5: the oldest, b, now has the extra core
    CHECK(shares.shares() == std::vector<int>{6, 5, 5});
    CHECK(share_in(shares.file("b")) == 6);
    CHECK(share_in(shares.file("d")) == 5);
  }
  {
    ThreadShares shares((dir / "b").string(), 1, 2, true);
    shares.starting("x", 2);
    shares.starting("y", 2);
    CHECK(shares.rebalance());
    shares.ended("x");
    CHECK_FALSE(shares.rebalance());  // y had 1 thread and still has
    CHECK(shares.shares() == std::vector<int>{1});
  }
  fs::remove_all(dir);
}
