// `ntklab batch` against hostile input, end to end through the built binary: a job that loops
// forever (--job-timeout), corrupt lines in results.jsonl (quarantined: resume and plot go on),
// --jobs far above the core count (a warning), huge --grid × --reps products (refused), two
// batches on one folder (the second refused).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "cli_support.hpp"
#include "core/batch/json.hpp"
#include "core/batch/results.hpp"

using namespace ntk::core::batch;
using namespace batch_cli_test;
namespace fs = std::filesystem;

namespace {

// x = 0 loops forever; other jobs report y = 10 x; in plot mode it counts the rows it gets.
const char* kScript = R"LUA(
local p = ntk.params{x = {1, "the x value"}}
if p.mode == "plot" then
  local rows = ntk.io.read_jsonl(p.results)
  print("plot sees " .. #rows .. " rows")
  return
end
if p.x == 0 then while true do end end
ntk.io.write_jsonl(p.out, {y = 10 * p.x})
)LUA";

fs::path fresh_dir(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("ntk_batch_hard_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "job.lua") << kScript;
  return dir;
}

std::string batch_command(const fs::path& dir) {
  return ntklab() + " batch " + quoted((dir / "job.lua").string()) + " --out " +
         quoted((dir / "out").string());
}

}  // namespace

TEST_CASE("ntklab batch --job-timeout stops a job that loops forever", "[batch][cli][timeout]") {
  const fs::path dir = fresh_dir("timeout");
  std::string output;
  const auto start = std::chrono::steady_clock::now();
  const int status = shell(batch_command(dir) + " --grid x=0,1,2 --jobs 3 --job-timeout 1", output);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  INFO(output);
  CHECK(status == 1);  // a job failed
  CHECK(wall < 6);     // the loop is stopped after 1 s (+ the 2 s grace at worst)
  CHECK_THAT(output, Catch::Contains("timeout after 1 s"));
  std::map<double, Json> by_x;
  for (const auto& row : read_jsonl((dir / "out" / "results.jsonl").string()))
    by_x[row.find("x")->as_number()] = row;
  REQUIRE(by_x.size() == 3);
  const Json& looped = *by_x[0].find("batch");
  CHECK(looped.find("status")->as_string() == "failed");
  CHECK(looped.find("reason")->as_string() == "timeout");
  CHECK(looped.find("error")->as_string() == "timeout after 1 s");
  CHECK(looped.find("elapsed_s")->as_number() >= 1);
  CHECK(by_x[1].find("y")->as_number() == 10);
  CHECK(by_x[2].find("y")->as_number() == 20);

  for (const char* bad : {"0", "-1", "abc", "1s", "inf", "nan"}) {
    INFO(bad);
    CHECK(shell(batch_command(dir) + " --resume --grid x=1 --job-timeout " + bad, output) == 2);
    CHECK_THAT(output, Catch::Contains(std::string("--job-timeout must be a number of seconds > 0, got '") +
                                       bad + "'"));
  }
  fs::remove_all(dir);
}

TEST_CASE("a corrupt line in results.jsonl is quarantined: plot and --resume go on",
          "[batch][cli][quarantine]") {
  const fs::path dir = fresh_dir("quarantine");
  const fs::path out = dir / "out";
  std::string output;
  REQUIRE(shell(batch_command(dir) + " --grid x=1,2,3", output) == 0);
  const fs::path results = out / "results.jsonl";
  auto lines = lines_of(results);
  REQUIRE(lines.size() == 3);
  lines[1] = lines[1].substr(0, lines[1].size() / 2);  // the middle row, cut in half
  {
    std::ofstream rewrite(results, std::ios::trunc);
    for (const auto& line : lines) rewrite << line << "\n";
  }
  // plot: the two good rows, and stderr says what moved where.
  CHECK(shell(ntklab() + " plot " + quoted(out.string()), output) == 0);
  INFO(output);
  CHECK_THAT(output, Catch::Contains("ntklab plot: moved 1 corrupt line of " + results.string() +
                                     " (line 2; first: " + results.string() + ":2: "));
  CHECK_THAT(output, Catch::Contains("to " + (out / "results.quarantine.jsonl").string() +
                                     "; 2 rows remain"));
  CHECK_THAT(output, Catch::Contains("plot sees 2 rows"));
  const auto side = read_jsonl((out / "results.quarantine.jsonl").string());
  REQUIRE(side.size() == 1);
  CHECK(side[0].find("line")->as_number() == 2);
  CHECK(side[0].find("text")->as_string() == lines[1]);
  // A second plot finds nothing more to move.
  CHECK(shell(ntklab() + " plot " + quoted(out.string()), output) == 0);
  CHECK(output.find("moved") == std::string::npos);

  // --resume runs the job of the cut row again (cut before its id: it has no ok row left).
  CHECK(shell(batch_command(dir) + " --grid x=1,2,3 --resume", output) == 0);
  CHECK_THAT(output, Catch::Contains("2 of 3 jobs already done"));
  std::map<double, int> per_x;
  for (const auto& row : read_jsonl(results.string())) ++per_x[row.find("x")->as_number()];
  CHECK(per_x == std::map<double, int>{{1, 1}, {2, 1}, {3, 1}});
  CHECK(shell(ntklab() + " plot " + quoted(out.string()), output) == 0);
  CHECK_THAT(output, Catch::Contains("plot sees 3 rows"));
  fs::remove_all(dir);
}

TEST_CASE("ntklab batch refuses a huge --grid × --reps product before anything runs, and warns "
          "about --jobs far above the cores", "[batch][cli][limits]") {
  const fs::path dir = fresh_dir("limits");
  std::string values = "x=1";
  for (int i = 2; i <= 1000; ++i) values += "," + std::to_string(i);
  std::string output;
  const auto start = std::chrono::steady_clock::now();
  CHECK(shell(batch_command(dir) + " --grid " + values + " --reps 1000000", output) == 2);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
  CHECK_THAT(output, Catch::Contains("--grid x (1000 values) × --reps 1000000 makes 1000000000 "
                                     "jobs, more than the 1000000 a batch may have"));
  CHECK_FALSE(fs::exists(dir / "out"));  // no folder, no job

  // On one core (taskset), 3 workers are too many: a warning, and the batch runs.
  CHECK(shell("taskset -c 0 " + batch_command(dir) + " --grid x=1 --jobs 3", output) == 0);
  CHECK_THAT(output, Catch::Contains("batch: warning: --jobs 3 is more than twice the 1 core"));
  fs::remove_all(dir);
}

TEST_CASE("a second ntklab batch on a running batch's --out is refused with the holder's pid",
          "[batch][cli][lock]") {
  const fs::path dir = fresh_dir("lock");
  const fs::path out = dir / "out";
  // The first batch: one job that loops until its 3 s are up.
  const pid_t first = ::fork();
  if (first == 0) {
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    const std::string exe = ntklab(), script = (dir / "job.lua").string(), folder = out.string();
    ::execl(exe.c_str(), exe.c_str(), "batch", script.c_str(), "--grid", "x=0", "--job-timeout",
            "3", "--out", folder.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  const fs::path lock = out / "batch.lock";
  for (int i = 0; i < 500 && lines_of(lock).empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(lines_of(lock) == std::vector<std::string>{std::to_string(first)});
  std::string output;
  CHECK(shell(batch_command(dir) + " --grid x=1 --resume", output) == 1);
  CHECK_THAT(output, Catch::Contains("ntklab batch: " + out.string() +
                                     " is in use by another batch (pid " + std::to_string(first) +
                                     ", holding " + lock.string() +
                                     "); wait until it ends or choose another --out"));
  int status = 0;
  ::waitpid(first, &status, 0);
  CHECK(WIFEXITED(status));
  CHECK(shell(batch_command(dir) + " --grid x=0 --resume --job-timeout 0.2", output) == 1);
  CHECK_THAT(output, Catch::Contains("timeout after 0.2 s"));
  CHECK(read_jsonl((out / "results.jsonl").string()).size() == 2);  // one row per run
  fs::remove_all(dir);
}

TEST_CASE("ntklab plot runs a results folder's script in the sandbox", "[batch][cli][plot]") {
  // A shared folder whose script, in plot mode, tries to run a command and to write outside DIR.
  const fs::path dir = fresh_dir("plot_sandbox");
  std::ofstream(dir / "job.lua") << R"LUA(
local p = ntk.params{x = {1, "the x value"}}
if p.mode == "plot" then
  local rows = ntk.io.read_jsonl(p.results)
  print("plot sees " .. #rows .. " rows")
  ntk.io.write_jsonl(p.out_dir .. "/inside.jsonl", {n = #rows})
  print("os.execute is " .. type(os.execute))
  local ok = pcall(ntk.io.write_jsonl, p.out_dir .. "/../outside.jsonl", {n = 1})
  print("write outside " .. (ok and "allowed" or "refused"))
  return
end
ntk.io.write_jsonl(p.out, {y = 10 * p.x})
)LUA";
  std::string output;
  REQUIRE(shell(batch_command(dir) + " --grid x=1,2", output) == 0);
  REQUIRE(shell(ntklab() + " plot " + quoted((dir / "out").string()), output) == 0);
  INFO(output);
  CHECK_THAT(output, Catch::Contains("in the sandbox") && Catch::Contains("plot sees 2 rows") &&
                         Catch::Contains("os.execute is nil") &&
                         Catch::Contains("write outside refused"));
  CHECK(fs::exists(dir / "out" / "inside.jsonl"));
  CHECK_FALSE(fs::exists(dir / "outside.jsonl"));
  fs::remove_all(dir);
}
