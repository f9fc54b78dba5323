// `mpirun -np R ntklab batch` end to end, through the built binary and a tiny Lua script: the
// same rows as without MPI, a rank killed with SIGKILL and the batch resumed without MPI, and a
// failing job on another rank recorded with its stderr.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "../batch/cli_support.hpp"
#include "core/batch/json.hpp"
#include "core/batch/manifest.hpp"
#include "core/batch/results.hpp"

using namespace ntk::core::batch;
using namespace batch_cli_test;
namespace fs = std::filesystem;

namespace {

// y = x² + rep; the job x = fail fails; with slow = 1 every job sleeps a second.
const char* kScript = R"LUA(
local p = ntk.params{x = {1, "the x value"}, fail = {0, "the x that fails"},
                     slow = {0, "1: every job sleeps a second"}}
if p.slow == 1 then os.execute("sleep 1") end
if p.x == p.fail then error("deliberate failure for x = " .. p.x) end
ntk.io.write_jsonl(p.out, {y = p.x * p.x + p.rep, label = "x" .. p.x})
)LUA";

const char* kGrid = " --grid x=1,2,3,4,5,6,7,8";

fs::path fresh_dir(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("ntk_batch_mpi_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "job.lua") << kScript;
  return dir;
}

std::string mpirun(int ranks) {
  const char* exec = std::getenv("NTKLAB_MPIEXEC");
  REQUIRE(exec != nullptr);
  return std::string(exec) + " --oversubscribe -np " + std::to_string(ranks) + " ";
}

// The same under a 300 s limit, for commands the test waits on: a hang fails the test instead
// of stalling CI.
std::string limited_mpirun(int ranks) { return "timeout -k 10 300 " + mpirun(ranks); }

std::string batch(const fs::path& dir, const fs::path& out, const std::string& extra = "") {
  return ntklab() + " batch " + quoted((dir / "job.lua").string()) + kGrid + " --out " +
         quoted(out.string()) + extra;
}

// Each job's rows without the fields that depend on where and how fast it ran (batch.elapsed_s,
// batch.rank), by job id.
std::map<std::string, std::string> rows_by_job(const fs::path& results) {
  std::map<std::string, std::string> rows;
  for (Json row : read_jsonl(results.string())) {
    Json fields = *row.find("batch");
    const std::string job = fields.find("job")->as_string();
    Json kept = Json::object();
    for (const auto& [name, value] : fields.as_object())
      if (name != "elapsed_s" && name != "rank") kept.set(name, value);
    row.set("batch", kept);
    rows[job] += row.dump() + "\n";
  }
  return rows;
}

std::set<std::int64_t> ranks_used(const fs::path& results) {
  std::set<std::int64_t> ranks;
  for (const Json& row : read_jsonl(results.string()))
    if (const Json* rank = row.find("batch")->find("rank")) ranks.insert(rank->as_integer());
  return ranks;
}

// The pid of the `ntklab batch` process that is rank `rank` of a run writing to `out` (found by
// its environment, which Open MPI gives OMPI_COMM_WORLD_RANK), or 0.
pid_t rank_process(int rank, const fs::path& out) {
  const std::string wanted = "OMPI_COMM_WORLD_RANK=" + std::to_string(rank);
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string command = slurp(entry.path() / "cmdline");
    if (command.find(out.string()) == std::string::npos || command.find("batch") == std::string::npos)
      continue;
    const std::string environment = "\n" + slurp(entry.path() / "environ");
    std::string lines = environment;
    for (auto& c : lines) if (c == '\0') c = '\n';
    if (lines.find("\n" + wanted + "\n") != std::string::npos) return std::stoi(name);
  }
  return 0;
}

// Starts `command` through sh with its output in `log`; returns its pid (for waitpid).
pid_t start(const std::string& command, const fs::path& log) {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execl("/bin/sh", "sh", "-c", ("exec " + command).c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

// Waits (up to 30 s) until `results` has `rows` lines and rank 1 of the run writing to `out`
// is found; returns its pid (0 if never found).
pid_t wait_for_rows(const fs::path& results, std::size_t rows, const fs::path& out) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  pid_t rank1 = 0;
  while (std::chrono::steady_clock::now() < deadline &&
         (lines_of(results).size() < rows || rank1 == 0)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (rank1 == 0) rank1 = rank_process(1, out);
  }
  return rank1;
}

}  // namespace

TEST_CASE("mpirun -np 2 and -np 4 give the rows of the same batch without MPI", "[batch][mpi]") {
  const fs::path dir = fresh_dir("same");
  std::string output;
  REQUIRE(shell(batch(dir, dir / "plain", " --jobs 2"), output) == 0);
  const auto expected = rows_by_job(dir / "plain" / "results.jsonl");
  REQUIRE(expected.size() == 8);
  CHECK(ranks_used(dir / "plain" / "results.jsonl").empty());  // no "rank" without MPI
  CHECK(read_json_file((dir / "plain" / "manifest.json").string()).find("mpi") == nullptr);

  for (int ranks : {2, 4}) {
    const fs::path out = dir / ("np" + std::to_string(ranks));
    const int status = shell(limited_mpirun(ranks) + batch(dir, out), output);
    INFO(output);
    REQUIRE(status == 0);
    CHECK(rows_by_job(out / "results.jsonl") == expected);
    CHECK(ranks_used(out / "results.jsonl").size() > 1);
    const Json manifest = read_json_file((out / "manifest.json").string());
    const Json* mpi = manifest.find("mpi");
    REQUIRE(mpi != nullptr);
    CHECK(mpi->find("ranks")->as_integer() == ranks);
    CHECK(mpi->find("hosts")->as_array().size() == static_cast<std::size_t>(ranks));
    CHECK(mpi->find("jobs_per_rank")->as_integer() == 1);
    CHECK(manifest.find("status")->as_string() == "completed");
    // The error is printed once, by rank 0, and no rank is left waiting.
    CHECK(shell(limited_mpirun(ranks) + batch(dir, out), output) != 0);
    CHECK(output.find("already holds results") != std::string::npos);
    CHECK(output.find("already holds results") == output.rfind("already holds results"));
  }
  fs::remove_all(dir);
}

TEST_CASE("a rank killed with SIGKILL loses only its running job; --resume without MPI finishes",
          "[batch][mpi]") {
  const fs::path dir = fresh_dir("kill");
  const fs::path out = dir / "out";
  const fs::path log = dir / "mpirun.log";
  const pid_t launcher = start(mpirun(2) + batch(dir, out, " --set slow=1"), log);
  // Once two jobs are recorded (each takes a second), rank 1 is in the middle of another one.
  const pid_t rank1 = wait_for_rows(out / "results.jsonl", 2, out);
  REQUIRE(rank1 > 0);
  const std::size_t before = lines_of(out / "results.jsonl").size();
  REQUIRE(before >= 2);
  REQUIRE(before < 8);
  REQUIRE(::kill(rank1, SIGKILL) == 0);
  int status = 0;
  REQUIRE(::waitpid(launcher, &status, 0) == launcher);  // mpirun ends every rank: no hang
  INFO(slurp(log));
  CHECK(!(WIFEXITED(status) && WEXITSTATUS(status) == 0));

  std::string output;
  REQUIRE(shell(batch(dir, out, " --set slow=1 --resume --jobs 4"), output) == 0);
  INFO(output);
  CHECK(output.find("torn") == std::string::npos);  // every appended line was whole
  std::map<std::string, int> ok;
  for (const Json& row : read_jsonl((out / "results.jsonl").string())) {
    const Json& fields = *row.find("batch");
    CHECK(fields.find("status")->as_string() == "ok");
    ++ok[fields.find("job")->as_string()];
  }
  CHECK(ok.size() == 8);
  for (const auto& [job, count] : ok) CHECK(count == 1);
  fs::remove_all(dir);
}

TEST_CASE("a failing job under MPI is recorded with its stderr tail; the batch goes on",
          "[batch][mpi]") {
  const fs::path dir = fresh_dir("fail");
  const fs::path out = dir / "out";
  std::string output;
  // x = 2 is the second job: rank 0 starts the first itself and hands the second to rank 1, so
  // the failure's stderr comes back over MPI.
  CHECK(shell(limited_mpirun(2) + batch(dir, out, " --set fail=2"), output) != 0);
  INFO(output);
  std::size_t ok = 0, failed = 0;
  for (const Json& row : read_jsonl((out / "results.jsonl").string())) {
    const Json& fields = *row.find("batch");
    if (fields.find("status")->as_string() == "ok") {
      ++ok;
      continue;
    }
    ++failed;
    CHECK(row.find("x")->as_integer() == 2);
    CHECK(fields.find("rank")->as_integer() == 1);
    CHECK(fields.find("exit_code")->as_integer() == 1);
    CHECK(fields.find("error")->as_string().find("deliberate failure for x = 2") !=
          std::string::npos);
  }
  CHECK(ok == 7);
  CHECK(failed == 1);
  CHECK(output.find("on rank 1 FAILED") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("SIGTERM to mpirun stops every rank; the manifest says so", "[batch][mpi]") {
  const fs::path dir = fresh_dir("term");
  const fs::path out = dir / "out";
  const fs::path log = dir / "mpirun.log";
  const pid_t launcher = start(mpirun(3) + batch(dir, out, " --set slow=1"), log);
  REQUIRE(wait_for_rows(out / "results.jsonl", 1, out) > 0);
  REQUIRE(::kill(launcher, SIGTERM) == 0);  // mpirun forwards it to the ranks
  const auto start_wait = std::chrono::steady_clock::now();
  int status = 0;
  REQUIRE(::waitpid(launcher, &status, 0) == launcher);
  INFO(slurp(log));
  CHECK(std::chrono::steady_clock::now() - start_wait < std::chrono::seconds(15));
  const Json manifest = read_json_file((out / "manifest.json").string());
  CHECK(manifest.find("status")->as_string() == "interrupted (SIGTERM)");
  const Json& counts = *manifest.find("counts");
  CHECK(counts.find("not_run")->as_integer() > 0);
  for (const Json& row : read_jsonl((out / "results.jsonl").string()))
    CHECK(row.find("batch")->find("status")->as_string() == "ok");
  CHECK(fs::is_empty(out / "jobs"));  // the stopped jobs' partial rows are gone
  fs::remove_all(dir);
}
