// The batch runner with a shell stand-in for the worker (core/batch/batch.hpp): parallel jobs,
// results rows, failures, the manifest, --resume, and stopping by SIGTERM and SIGKILL.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "core/batch/batch.hpp"
#include "core/batch/manifest.hpp"
#include "core/batch/results.hpp"
#include "ntk/sdk/error.hpp"
#include "batch_support.hpp"

using namespace ntk::core::batch;
namespace fs = std::filesystem;

using namespace batch_test;

namespace {

bool process_gone(pid_t pid) {
  if (::kill(pid, 0) != 0) return true;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(stat, text);
  const auto close = text.rfind(')');
  return close != std::string::npos && text.size() > close + 2 && text[close + 2] == 'Z';
}

}  // namespace

TEST_CASE("a batch runs every job, J at a time, and records failures", "[batch]") {
  const fs::path dir = fresh_dir("basic");
  std::ostringstream progress;
  BatchOptions o = options_for(dir, "x=1,2,fail", 2, 2, progress);
  const std::string trace = (dir / "trace.txt").string();
  o.constants = {{"trace", trace}, {"pause", "0.3"}};
  const BatchSummary summary = run_batch(o);
  CHECK(summary.total == 6);
  CHECK(summary.ok == 4);
  CHECK(summary.failed == 2);
  CHECK(summary.skipped == 0);
  CHECK(summary.not_run == 0);
  CHECK(summary.interrupted_by == 0);

  // results.jsonl: x=1 one row, x=2 two rows, fail one failed row, for each of 2 reps.
  const fs::path results = dir / "out" / "results.jsonl";
  const auto rows = read_jsonl(results.string());
  REQUIRE(rows.size() == 8);
  std::map<std::string, int> per_job;
  int failed = 0;
  for (const auto& row : rows) {
    const std::string x = row.find("x")->is_number() ? "num" : row.find("x")->as_string();
    const int rep = static_cast<int>(row.find("batch")->find("rep")->as_number());
    const Params params = {{"x", row.find("x")->is_number()
                                     ? std::to_string(static_cast<int>(row.find("x")->as_number()))
                                     : row.find("x")->as_string()}};
    CHECK(row.find("batch")->find("job")->as_string() == job_id(params, rep));
    CHECK(row.find("batch")->find("seed")->as_number() == static_cast<double>(job_seed(params, rep)));
    CHECK(row.find("pause")->as_number() == 0.3);
    CHECK(row.find("batch")->find("elapsed_s")->as_number() >= 0.3);  // it slept that long
    ++per_job[row.find("batch")->find("job")->as_string()];
    if (row.find("batch")->find("status")->as_string() == "failed") {
      ++failed;
      CHECK(x == "fail");
      CHECK(row.find("batch")->find("exit_code")->as_number() == 3);
      CHECK(row.find("batch")->find("error")->as_string() == "line one\ndeliberate failure x=fail");
    } else {
      const double value = row.find("x")->as_number();
      CHECK(row.find("double")->as_number() == 2 * value);
      if (!row.find("second")) CHECK(row.find("seed_seen")->as_number() == row.find("batch")->find("seed")->as_number());
      if (const char* threads = std::getenv("OMP_NUM_THREADS"))
        if (row.find("threads")) CHECK(row.find("threads")->as_string() == threads);
    }
  }
  CHECK(failed == 2);
  CHECK(per_job.size() == 6);

  // At most two workers at once, and two did run together.
  int level = 0, highest = 0;
  std::vector<std::pair<long long, int>> events;
  for (const auto& line : lines_of(trace)) {
    std::istringstream in(line);
    std::string kind;
    long long t = 0;
    in >> kind >> t;
    events.push_back({t, kind == "start" ? 1 : -1});
  }
  REQUIRE(events.size() == 12);
  std::sort(events.begin(), events.end());
  for (const auto& [t, step] : events) highest = std::max(highest, level += step);
  CHECK(highest == 2);

  // Logs, no leftovers, progress lines.
  for (const auto& [id, n] : per_job) {
    const auto log = lines_of(dir / "out" / "logs" / (id + ".log"));
    REQUIRE(log.size() == 1);
    CHECK(log[0] == "stdout of " + id);
  }
  CHECK(fs::is_empty(dir / "out" / "jobs"));
  CHECK(progress.str().find("[6/6] job ") != std::string::npos);
  CHECK(progress.str().find("FAILED") != std::string::npos);

  // The manifest.
  const Json manifest = read_json_file((dir / "out" / "manifest.json").string());
  CHECK(manifest.as_object()[0].first == "ntklab_version");
  CHECK(manifest.find("script")->as_string() == worker_script());
  CHECK(manifest.find("grid")->dump() == R"({"x":[1,2,"fail"]})");
  CHECK(manifest.find("reps")->as_number() == 2);
  CHECK(manifest.find("workers")->as_number() == 2);
  CHECK(manifest.find("jobs")->as_array().size() == 6);
  for (const auto& job : manifest.find("jobs")->as_array())
    CHECK(per_job.count(job.find("job")->as_string()) == 1);
  CHECK(manifest.find("status")->as_string() == "completed");
  CHECK(manifest.find("start_time")->as_string().size() == 20);
  CHECK(manifest.find("end_time")->as_string().size() == 20);
  CHECK(manifest.find("counts")->dump() ==
        R"({"total":6,"skipped":0,"ok":4,"failed":2,"not_run":0})");
  fs::remove_all(dir);
}

TEST_CASE("a job writing a malformed row is recorded as failed", "[batch]") {
  const fs::path dir = fresh_dir("malformed");
  std::ostringstream progress;
  const BatchSummary summary = run_batch(options_for(dir, "x=1,malformed", 1, 1, progress));
  CHECK(summary.ok == 1);
  CHECK(summary.failed == 1);
  const auto rows = read_jsonl((dir / "out" / "results.jsonl").string());
  REQUIRE(rows.size() == 2);
  const Json& bad = rows[0].find("x")->is_string() ? rows[0] : rows[1];
  CHECK(bad.find("batch")->find("status")->as_string() == "failed");
  CHECK(bad.find("batch")->find("error")->as_string().find("malformed result") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("the batch's fields live under 'batch': a script's own status survives", "[batch]") {
  const fs::path dir = fresh_dir("own_status");
  std::ostringstream progress;
  const BatchSummary summary = run_batch(options_for(dir, "x=status,batchfield", 1, 1, progress));
  CHECK(summary.ok == 1);
  CHECK(summary.failed == 1);
  const auto rows = read_jsonl((dir / "out" / "results.jsonl").string());
  REQUIRE(rows.size() == 2);
  const bool first = rows[0].find("x")->as_string() == "status";
  const Json& own = first ? rows[0] : rows[1];
  const Json& clash = first ? rows[1] : rows[0];
  CHECK(own.find("status")->as_string() == "diverged");  // the script's, untouched
  CHECK(own.find("loss")->as_number() == 1e300);
  CHECK(own.find("batch")->find("status")->as_string() == "ok");
  CHECK(own.find("batch")->find("job")->as_string() == job_id({{"x", "status"}}, 1));
  CHECK(own.find("batch")->find("rep")->as_number() == 1);
  CHECK(own.find("job") == nullptr);  // nothing of the batch's at the top level
  CHECK(own.find("elapsed_s") == nullptr);
  // A script field named "batch" would be overwritten: the job is failed instead, saying why.
  CHECK(clash.find("batch")->find("status")->as_string() == "failed");
  CHECK_THAT(clash.find("batch")->find("error")->as_string(),
             Catch::Contains("may not have a field 'batch'"));
  // --resume reads the nested status: only the failed job runs again.
  BatchOptions again = options_for(dir, "x=status,batchfield", 1, 1, progress);
  again.resume = true;
  const BatchSummary resumed = run_batch(again);
  CHECK(resumed.skipped == 1);
  CHECK(resumed.failed == 1);
  fs::remove_all(dir);
}

TEST_CASE("--resume counts the ok rows of older batches (status at the top level)", "[batch]") {
  const fs::path results = fresh_dir("old_rows") / "results.jsonl";
  std::ofstream(results) << R"({"job":"a","status":"ok"})" << "\n"
                         << R"({"job":"b","status":"failed"})" << "\n"
                         << R"({"x":1,"status":"mine","batch":{"job":"c","status":"ok"}})" << "\n"
                         << R"({"status":"ok","batch":{"job":"d","status":"failed"}})" << "\n";
  std::vector<std::string> warnings;
  CHECK(completed_jobs(results.string(), warnings) == std::set<std::string>{"a", "c"});
  CHECK(warnings.empty());
  fs::remove_all(results.parent_path());
}

TEST_CASE("--resume runs only the jobs without an ok row", "[batch]") {
  const fs::path dir = fresh_dir("resume");
  std::ostringstream progress;
  BatchOptions o = options_for(dir, "x=1,3,4", 2, 2, progress);
  const fs::path ran = dir / "ran.txt";
  o.constants = {{"ran", ran.string()}};
  run_batch(o);
  REQUIRE(lines_of(ran).size() == 6);

  // Remove one job's row and leave a torn line, as a crash of the machine could.
  const fs::path results = dir / "out" / "results.jsonl";
  auto lines = lines_of(results);
  REQUIRE(lines.size() == 6);
  const std::string removed = parse_json(lines[3]).find("batch")->find("job")->as_string();
  {
    std::ofstream out(results, std::ios::trunc);
    for (std::size_t i = 0; i < lines.size(); ++i)
      if (i != 3) out << lines[i] << "\n";
    out << R"({"job":"torn)";
  }
  // Without --resume the folder is refused; with other constants too.
  CHECK_THROWS_WITH(run_batch(o), Catch::Contains("already holds results; add --resume"));
  o.resume = true;
  BatchOptions other = o;
  other.constants.push_back({"n", "5"});
  CHECK_THROWS_WITH(run_batch(other), Catch::Contains("was run with --set"));

  const BatchSummary summary = run_batch(o);
  CHECK(summary.skipped == 5);
  CHECK(summary.ok == 1);
  const auto ran_lines = lines_of(ran);
  REQUIRE(ran_lines.size() == 7);
  CHECK(ran_lines[6] == removed);
  const auto per_job = ok_rows_per_job(results);
  CHECK(per_job.size() == 6);
  for (const auto& [id, n] : per_job) CHECK(n == 1);
  const Json manifest = read_json_file((dir / "out" / "manifest.json").string());
  CHECK(manifest.find("resumed")->as_bool());
  REQUIRE(manifest.find("history")->as_array().size() == 1);
  CHECK(manifest.find("history")->as_array()[0].find("counts")->find("ok")->as_number() == 6);

  // Resuming a complete batch runs nothing.
  CHECK(run_batch(o).skipped == 6);
  CHECK(lines_of(ran).size() == 7);
  fs::remove_all(dir);
}

TEST_CASE("SIGTERM stops the workers and leaves only whole lines", "[batch]") {
  const fs::path dir = fresh_dir("sigterm");
  std::ostringstream progress;
  BatchOptions o = options_for(dir, "x=1,3,4,5", 1, 2, progress);
  const fs::path pids = dir / "pids.txt";
  o.constants = {{"pids", pids.string()}};
  const pid_t batch = start_batch_process(o, true);
  const fs::path results = dir / "out" / "results.jsonl";
  wait_for_first_result(results);
  ::kill(batch, SIGTERM);
  int status = 0;
  ::waitpid(batch, &status, 0);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);  // run_batch returned, interrupted by SIGTERM

  const auto rows = read_jsonl(results.string());  // throws on a partial line
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].find("x")->as_number() == 1);
  for (const auto& line : lines_of(pids)) CHECK(process_gone(std::stoi(line)));
  CHECK(fs::is_empty(dir / "out" / "jobs"));
  const Json manifest = read_json_file((dir / "out" / "manifest.json").string());
  CHECK(manifest.find("status")->as_string() == "interrupted (SIGTERM)");
  CHECK(manifest.find("counts")->find("not_run")->as_number() == 3);
  fs::remove_all(dir);
}

TEST_CASE("after a SIGKILL, --resume gives every job exactly once", "[batch]") {
  const fs::path dir = fresh_dir("sigkill");
  std::ostringstream progress;
  BatchOptions o = options_for(dir, "x=1,3,4,5", 1, 2, progress);
  const fs::path pids = dir / "pids.txt";
  o.constants = {{"pids", pids.string()}};
  const pid_t batch = start_batch_process(o, true);
  const fs::path results = dir / "out" / "results.jsonl";
  wait_for_first_result(results);
  ::kill(batch, SIGKILL);
  ::waitpid(batch, nullptr, 0);
  // The workers die with the batch (PR_SET_PDEATHSIG), they do not go on computing.
  for (int i = 0; i < 300; ++i) {
    bool all_gone = true;
    for (const auto& line : lines_of(pids)) all_gone = all_gone && process_gone(std::stoi(line));
    if (all_gone) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (const auto& line : lines_of(pids)) CHECK(process_gone(std::stoi(line)));
  CHECK(read_jsonl(results.string()).size() == 1);
  // A worker's own children (here `sleep`) outlive it; end them so the test leaves nothing.
  for (const auto& line : lines_of(pids)) ::kill(-std::stoi(line), SIGKILL);

  o.resume = true;
  const BatchSummary summary = run_batch(o);
  CHECK(summary.skipped == 1);
  CHECK(summary.ok == 3);
  const auto per_job = ok_rows_per_job(results);
  CHECK(per_job.size() == 4);
  for (const auto& [id, n] : per_job) CHECK(n == 1);
  fs::remove_all(dir);
}

TEST_CASE("bad batch options are refused with a clear message", "[batch]") {
  const fs::path dir = fresh_dir("options");
  std::ostringstream progress;
  BatchOptions o = options_for(dir, "seed=1,2", 1, 1, progress);
  CHECK_THROWS_WITH(run_batch(o), Catch::Contains("--grid seed: 'seed' is set by the batch"));
  o = options_for(dir, "x=1,2", 1, 0, progress);
  CHECK_THROWS_WITH(run_batch(o), Catch::Contains("--jobs must be at least 1"));
  o = options_for(dir, "x=1,2", 1, 1, progress);
  o.constants = {{"x", "3"}};
  CHECK_THROWS_WITH(run_batch(o), Catch::Contains("both by --grid and by --set"));
  o.constants = {{"out", "3"}};
  CHECK_THROWS_WITH(run_batch(o), Catch::Contains("--set out"));
  fs::remove_all(dir);
}

TEST_CASE("result rows: parameters, the script's fields (which win), the batch's under 'batch'",
          "[batch]") {
  const fs::path dir = fresh_dir("rows");
  Job job;
  job.params = {{"sigma2", "0.1"}, {"act", "relu"}};
  job.rep = 2;
  job.id = job_id(job.params, job.rep);
  job.seed = job_seed(job.params, job.rep);
  const Params constants = {{"n", "100"}};
  const std::string output = (dir / "job.jsonl").string();
  {
    std::ofstream out(output);
    out << R"({"loss":0.5,"seed":-1,"act":"tanh","status":"diverged","curve":[1,2]})" "\n\n"
        << R"({"loss":0.25})" "\n";
  }
  std::size_t count = 0;
  const std::string rows = make_ok_rows(job, constants, output, 1.5, count);
  CHECK(count == 2);
  std::istringstream lines(rows);
  std::string line;
  std::getline(lines, line);
  const std::string batch = R"("batch":{"job":")" + job.id + R"(","rep":2,"seed":)" +
                            std::to_string(job.seed) + R"(,"elapsed_s":1.5,"status":"ok"})";
  CHECK(line == R"({"n":100,"sigma2":0.1,"act":"tanh","loss":0.5,"seed":-1,"status":"diverged",)"
                R"("curve":[1,2],)" + batch + "}");
  std::getline(lines, line);
  CHECK(line == R"({"n":100,"sigma2":0.1,"act":"relu","loss":0.25,)" + batch + "}");
  // No output file: one bare row so --resume knows the job is done.
  CHECK(make_ok_rows(job, constants, (dir / "missing").string(), 1, count).find("\"status\":\"ok\"") !=
        std::string::npos);
  CHECK(count == 0);
  {
    std::ofstream out(output);
    out << "[1,2]\n";
  }
  CHECK_THROWS_WITH(make_ok_rows(job, constants, output, 1, count),
                    Catch::Contains("must be a JSON object, got array"));
  const Json failed = parse_json(make_failed_row(job, constants, 0.25, -9, "out of memory"));
  CHECK(failed.find("sigma2")->as_number() == 0.1);
  CHECK(failed.find("status") == nullptr);
  CHECK(failed.find("batch")->find("status")->as_string() == "failed");
  CHECK(failed.find("batch")->find("signal")->as_number() == 9);
  CHECK(failed.find("batch")->find("error")->as_string() == "out of memory");
  fs::remove_all(dir);
}
