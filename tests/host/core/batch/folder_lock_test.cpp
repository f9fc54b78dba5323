// One batch per folder (core/batch/folder_lock.hpp): the second is refused at once with the
// holder's pid, the lock dies with its process (kill -9 too), and a --resume after the first
// batch has ended runs nothing twice.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "batch_support.hpp"
#include "core/batch/folder_lock.hpp"
#include "core/batch/manifest.hpp"
#include "ntk/sdk/error.hpp"

using namespace ntk::core::batch;
using namespace batch_test;
namespace fs = std::filesystem;

TEST_CASE("read_lock_pid reads the holder's pid, 0 when there is none", "[batch][lock]") {
  const fs::path dir = fresh_dir("lock_pid");
  const std::string path = lock_file_path(dir.string());
  CHECK(path == (dir / "batch.lock").string());
  CHECK(read_lock_pid(path) == 0);  // missing
  std::ofstream(path) << "4242\n";
  CHECK(read_lock_pid(path) == 4242);
  std::ofstream(path) << "";
  CHECK(read_lock_pid(path) == 0);
  std::ofstream(path) << "12ab\n";
  CHECK(read_lock_pid(path) == 0);
  fs::remove_all(dir);
}

TEST_CASE("a folder lock refuses a second holder with the first one's pid", "[batch][lock]") {
  const fs::path dir = fresh_dir("lock");
  {
    const FolderLock first(dir.string());
    CHECK(read_lock_pid(lock_file_path(dir.string())) == ::getpid());
    // A second open file description conflicts even in the same process.
    CHECK_THROWS_WITH(FolderLock(dir.string()),
                      Catch::Contains(dir.string() + " is in use by another batch (pid " +
                                      std::to_string(::getpid()) + ", holding "));
  }
  { const FolderLock again(dir.string()); }  // released by the destructor

  // Held by a process that is then killed with SIGKILL: the kernel releases it.
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  const pid_t holder = ::fork();
  if (holder == 0) {
    ::close(ready[0]);
    try {
      const FolderLock lock(dir.string());
      (void)!::write(ready[1], "x", 1);
      for (;;) ::pause();
    } catch (...) {
      ::_exit(1);
    }
  }
  ::close(ready[1]);
  char byte = 0;
  REQUIRE(::read(ready[0], &byte, 1) == 1);
  ::close(ready[0]);
  CHECK_THROWS_WITH(FolderLock(dir.string()),
                    Catch::Contains("(pid " + std::to_string(holder) + ", holding "));
  ::kill(holder, SIGKILL);
  ::waitpid(holder, nullptr, 0);
  CHECK(read_lock_pid(lock_file_path(dir.string())) == holder);  // the stale pid stays …
  CHECK_NOTHROW(FolderLock(dir.string()));                        // … and blocks nothing
  fs::remove_all(dir);
}

TEST_CASE("a second batch or --resume on a running batch's folder is refused", "[batch][lock]") {
  const fs::path dir = fresh_dir("two_batches");
  std::ostringstream progress;
  BatchOptions o = options_for(dir, "x=1,3,4", 1, 1, progress);
  const fs::path ran = dir / "ran.txt";
  o.constants = {{"ran", ran.string()}, {"pause", "0.4"}};
  const pid_t first = start_batch_process(o, false, /*ok_when_done=*/true);
  const fs::path results = dir / "out" / "results.jsonl";
  wait_for_first_result(results);  // the first batch is running (one job done, two to go)

  const std::string refusal = (dir / "out").string() + " is in use by another batch (pid " +
                              std::to_string(first) + ", holding ";
  CHECK_THROWS_WITH(run_batch(o), Catch::Contains(refusal));
  BatchOptions resume = o;
  resume.resume = true;
  CHECK_THROWS_WITH(run_batch(resume), Catch::Contains(refusal));
  // Refused before touching anything: the running batch's manifest is still its own.
  CHECK(read_json_file((dir / "out" / "manifest.json").string()).find("status")->as_string() ==
        "running");

  int status = 0;
  ::waitpid(first, &status, 0);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(lines_of(ran).size() == 3);

  // Once it has ended, --resume takes the folder and finds every job done.
  const BatchSummary summary = run_batch(resume);
  CHECK(summary.skipped == 3);
  CHECK(summary.ok == 0);
  CHECK(lines_of(ran).size() == 3);
  const auto per_job = ok_rows_per_job(results);
  CHECK(per_job.size() == 3);
  for (const auto& [id, n] : per_job) CHECK(n == 1);
  CHECK(lines_of(results).size() == 3);  // no duplicated rows
  fs::remove_all(dir);
}
