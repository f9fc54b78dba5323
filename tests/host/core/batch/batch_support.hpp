// Helpers shared by the batch runner's tests: a fresh folder, options for a batch of the shell
// stand-in worker (fake_worker.sh), reading files back, and a batch run in a child process.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "core/batch/batch.hpp"
#include "core/batch/results.hpp"

namespace batch_test {

namespace fs = std::filesystem;
using namespace ntk::core::batch;

inline fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("ntk_batch_run_" + name + "_" +
                                                    std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

inline std::string worker_script() {
  const char* source = std::getenv("NTKLAB_SOURCE_DIR");
  return std::string(source ? source : ".") + "/tests/host/core/batch/fake_worker.sh";
}

inline BatchOptions options_for(const fs::path& dir, const std::string& grid, int reps,
                                int workers, std::ostream& progress) {
  BatchOptions o;
  o.script = worker_script();
  if (!grid.empty()) o.grid = {parse_grid_axis(grid)};
  o.reps = reps;
  o.workers = workers;
  o.out_dir = (dir / "out").string();
  o.worker_prefix = {"/bin/sh", worker_script()};
  o.progress = &progress;
  Json extra = Json::object();
  extra.set("ntklab_version", "test");
  o.manifest_extra = extra;
  return o;
}

inline std::vector<std::string> lines_of(const fs::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Ids of the jobs with an ok row, each with the number of ok rows it has.
inline std::map<std::string, int> ok_rows_per_job(const fs::path& results) {
  std::map<std::string, int> count;
  for (const auto& row : read_jsonl(results.string()))
    if (row.find("batch")->find("status")->as_string() == "ok")
      ++count[row.find("batch")->find("job")->as_string()];
  return count;
}

// Runs a batch in a child process (it installs signal handlers and may be killed). The child
// exits 0 when the batch was stopped by SIGTERM or, with `ok_when_done`, when it ran to its end.
inline pid_t start_batch_process(const BatchOptions& o, bool slow, bool ok_when_done = false) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (slow) ::setenv("FAKE_WORKER_SLOW", "1", 1);
    std::ostringstream quiet;
    BatchOptions copy = o;
    copy.progress = &quiet;
    int code = 2;
    try {
      const BatchSummary summary = run_batch(copy);
      code = summary.interrupted_by == SIGTERM || (ok_when_done && summary.interrupted_by == 0)
                 ? 0
                 : 1;
    } catch (...) {
    }
    ::_exit(code);
  }
  return pid;
}

inline void wait_for_first_result(const fs::path& results) {
  for (int i = 0; i < 2000; ++i) {
    std::error_code ec;
    if (fs::exists(results, ec) && fs::file_size(results, ec) > 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  FAIL("no result appeared in " << results);
}

}  // namespace batch_test
