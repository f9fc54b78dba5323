// `ntklab batch` against hostile input, end to end through the built binary: a job that loops
// forever (--job-timeout), corrupt lines in results.jsonl (quarantined: resume and plot go on),
// --jobs far above the core count (a warning), huge --grid × --reps products (refused).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>

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
