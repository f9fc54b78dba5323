// `ntklab batch` gives the cores of a finished job to the job still running, end to end: job 1
// ends at once, job 2 asks ntk.threads() until it has every usable core (or 20 s pass). With
// OMP_NUM_THREADS set by the user nothing changes.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/batch/json.hpp"
#include "core/batch/limits.hpp"
#include "core/batch/manifest.hpp"
#include "core/batch/results.hpp"
#include "cli_support.hpp"

using namespace ntk::core::batch;
using namespace batch_cli_test;
namespace fs = std::filesystem;

namespace {

const char* kScript = R"LUA(
local p = ntk.params{x = {1, "1: end at once; 2: wait for more threads"},
                     want = {1, "the threads job 2 waits for"},
                     wait = {20, "the seconds job 2 waits at most"}}
local openmp, blas = ntk.threads()
local first = openmp
if p.x == 2 then
  local start = os.time()
  while (openmp < p.want or blas < p.want) and os.difftime(os.time(), start) < p.wait do
    openmp, blas = ntk.threads()
  end
end
ntk.io.write_jsonl(p.out, {first = first, openmp = openmp, blas = blas})
)LUA";

fs::path fresh_dir(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("ntk_batch_threads_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "job.lua") << kScript;
  return dir;
}

// The result row of job x = 2.
Json waiting_job_row(const fs::path& out) {
  for (const auto& row : read_jsonl((out / "results.jsonl").string()))
    if (row.find("x")->as_number() == 2) return row;
  FAIL("no result row for x = 2 in " << (out / "results.jsonl"));
  return Json();
}

}  // namespace

TEST_CASE("ntklab batch gives a finished job's cores to the job still running",
          "[batch][cli][threads]") {
  const unsigned cores = usable_cores();
  const fs::path dir = fresh_dir("rebalance");
  const fs::path out = dir / "out";
  // The test environment fixes both variables to 1 (tests/CMakeLists.txt); a user who leaves
  // them unset gets the shares.
  const std::string command = "env -u OMP_NUM_THREADS -u OPENBLAS_NUM_THREADS " + ntklab() +
                              " batch " + quoted((dir / "job.lua").string()) +
                              " --grid x=1,2 --jobs 2 --set want=" + std::to_string(cores) +
                              " --out " + quoted(out.string());
  std::string output;
  const int status = shell(command, output);
  INFO(output);
  REQUIRE(status == 0);

  const Json row = waiting_job_row(out);
  CHECK(row.find("openmp")->as_number() == cores);  // all of them, though it started with half
  CHECK(row.find("blas")->as_number() == cores);
  CHECK(row.find("first")->as_number() >= 1);

  const Json manifest = read_json_file((out / "manifest.json").string());
  const Json* threads = manifest.find("threads");
  REQUIRE(threads != nullptr);
  CHECK(threads->find("cores")->as_number() == cores);
  CHECK(threads->find("rebalance")->as_bool());
  const auto& changes = threads->find("changes")->as_array();
  REQUIRE(!changes.empty());
  CHECK(changes.front().find("running")->as_number() == 2);
  CHECK(changes.front().find("threads")->dump() ==
        "[" + std::to_string(cores - cores / 2) + "," + std::to_string(std::max(1u, cores / 2)) +
            "]");
  if (cores >= 2) {
    REQUIRE(changes.size() == 2);
    CHECK(changes.back().find("running")->as_number() == 1);
    CHECK(changes.back().find("threads")->dump() == "[" + std::to_string(cores) + "]");
    CHECK(changes.back().find("time")->is_string());
    CHECK(output.find("batch: 1 job running, threads per job " + std::to_string(cores) + " (" +
                      std::to_string(cores) + " cores)") != std::string::npos);
  } else {
    WARN("one usable core: no core to hand over, only the shares' record is checked");
    CHECK(changes.size() == 1);
  }
  CHECK_FALSE(fs::exists(out / ".threads"));  // the share files go with the batch
  fs::remove_all(dir);
}

TEST_CASE("ntklab batch keeps the threads the user set", "[batch][cli][threads]") {
  const unsigned cores = usable_cores();
  const fs::path dir = fresh_dir("fixed");
  const fs::path out = dir / "out";
  // OMP_NUM_THREADS=1 and OPENBLAS_NUM_THREADS=1 from the test environment, stated again here.
  const std::string command = "env OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 " + ntklab() +
                              " batch " + quoted((dir / "job.lua").string()) +
                              " --grid x=1,2 --jobs 2 --set wait=2 --set want=" +
                              std::to_string(std::max(2u, cores)) + " --out " +
                              quoted(out.string());
  std::string output;
  const int status = shell(command, output);
  INFO(output);
  REQUIRE(status == 0);
  const Json row = waiting_job_row(out);
  CHECK(row.find("openmp")->as_number() == 1);  // waited 2 s for more, got none
  CHECK(row.find("blas")->as_number() == 1);
  const Json manifest = read_json_file((out / "manifest.json").string());
  CHECK_FALSE(manifest.find("threads")->find("rebalance")->as_bool());
  CHECK(manifest.find("threads")->find("changes")->as_array().empty());
  CHECK(output.find("threads per job") == std::string::npos);
  fs::remove_all(dir);
}
