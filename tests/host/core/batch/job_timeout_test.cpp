// --job-timeout (BatchOptions::job_timeout_s): a job over its time is stopped, its whole process
// group, SIGTERM then SIGKILL; it is recorded as failed with reason "timeout", and the other
// jobs go on.
#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <map>

#include "batch_support.hpp"
#include "core/batch/manifest.hpp"
#include "ntk/sdk/error.hpp"

using namespace ntk::core::batch;
using namespace batch_test;
namespace fs = std::filesystem;

namespace {

// Processes of group `group` that are not zombies (a killed orphan may wait a while for init).
int live_members(pid_t group) {
  int count = 0;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string text;
    if (!std::getline(stat, text)) continue;
    const auto close = text.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(text.substr(close + 2));
    std::string state;
    long parent = 0, pgid = 0;
    fields >> state >> parent >> pgid;
    if (pgid == group && state != "Z") ++count;
  }
  return count;
}

}  // namespace

TEST_CASE("timeout_text says how long the job had", "[batch][timeout]") {
  CHECK(timeout_text(1) == "timeout after 1 s");
  CHECK(timeout_text(0.25) == "timeout after 0.25 s");
  CHECK(timeout_text(90) == "timeout after 90 s");
}

TEST_CASE("a job over --job-timeout is stopped and recorded as a timeout; the batch goes on",
          "[batch][timeout]") {
  const fs::path dir = fresh_dir("timeout");
  std::ostringstream progress;
  BatchOptions o = options_for(dir, "x=1,hang,stubborn", 1, 3, progress);
  const fs::path pids = dir / "pids.txt";
  o.constants = {{"pids", pids.string()}};
  o.job_timeout_s = 1;
  o.stop_grace = std::chrono::milliseconds(500);
  const auto start = std::chrono::steady_clock::now();
  const BatchSummary summary = run_batch(o);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(summary.ok == 1);
  CHECK(summary.failed == 2);
  CHECK(wall < 4);  // not the 30 s the two jobs would sleep

  std::map<std::string, Json> by_x;
  for (const auto& row : read_jsonl((dir / "out" / "results.jsonl").string()))
    by_x[row.find("x")->is_string() ? row.find("x")->as_string() : "1"] = row;
  REQUIRE(by_x.size() == 3);
  CHECK(by_x["1"].find("batch")->find("status")->as_string() == "ok");
  CHECK(by_x["1"].find("batch")->find("reason") == nullptr);
  // SIGTERM ends the plain sleeper after its 1 s.
  const Json& hang = *by_x["hang"].find("batch");
  CHECK(hang.find("status")->as_string() == "failed");
  CHECK(hang.find("reason")->as_string() == "timeout");
  CHECK(hang.find("error")->as_string() == "timeout after 1 s");
  CHECK(hang.find("signal")->as_number() == SIGTERM);
  CHECK(hang.find("elapsed_s")->as_number() >= 1);
  CHECK(hang.find("elapsed_s")->as_number() < 1.5);
  // The one that ignores SIGTERM gets SIGKILL after the 0.5 s grace.
  const Json& stubborn = *by_x["stubborn"].find("batch");
  CHECK(stubborn.find("reason")->as_string() == "timeout");
  CHECK(stubborn.find("signal")->as_number() == SIGKILL);
  CHECK(stubborn.find("elapsed_s")->as_number() >= 1.5);
  CHECK(stubborn.find("elapsed_s")->as_number() < 2.5);
  // Nothing of theirs runs on: not the shells, not their `sleep` children (same group).
  for (const auto& line : lines_of(pids)) {
    const pid_t group = std::stoi(line);
    for (int i = 0; i < 100 && live_members(group) > 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    INFO("process group " << group);
    CHECK(live_members(group) == 0);
  }
  CHECK(fs::is_empty(dir / "out" / "jobs"));
  CHECK(progress.str().find("timeout after 1 s") != std::string::npos);
  const Json manifest = read_json_file((dir / "out" / "manifest.json").string());
  CHECK(manifest.find("job_timeout_s")->as_number() == 1);

  // --resume runs the timed-out jobs again (and only them).
  BatchOptions again = o;
  again.resume = true;
  again.job_timeout_s = 0.5;
  const BatchSummary resumed = run_batch(again);
  CHECK(resumed.skipped == 1);
  CHECK(resumed.failed == 2);
  fs::remove_all(dir);
}

TEST_CASE("a negative or NaN --job-timeout is refused", "[batch][timeout]") {
  const fs::path dir = fresh_dir("timeout_options");
  std::ostringstream progress;
  BatchOptions o = options_for(dir, "x=1", 1, 1, progress);
  o.job_timeout_s = -1;
  CHECK_THROWS_WITH(run_batch(o), Catch::Contains("--job-timeout must be a number of seconds > 0, got -1"));
  o.job_timeout_s = std::nan("");
  CHECK_THROWS_WITH(run_batch(o), Catch::Contains("--job-timeout must be"));
  fs::remove_all(dir);
}
