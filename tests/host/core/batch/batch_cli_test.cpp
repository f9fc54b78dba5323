// `ntklab batch` and `ntklab plot` end to end, through the built binary and a tiny Lua script:
// two jobs in parallel, a failing job, --resume, the manifest, SIGTERM, and the plot step.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "core/batch/grid.hpp"
#include "core/batch/json.hpp"
#include "core/batch/manifest.hpp"
#include "core/batch/results.hpp"
#include "cli_support.hpp"

using namespace ntk::core::batch;
using namespace batch_cli_test;
namespace fs = std::filesystem;

namespace {

// The job: y = x² + rep, reported through ntk.io.write_jsonl(p.out, row) with the script's own
// `status` field; x = 3 fails; with slow = 1 the jobs x > 1 sleep; in plot mode it draws the rows.
const char* kScript = R"LUA(
local p = ntk.params{x = {1, "the x value"}, label = {"a", "a label"},
                     ran = {"", "append the job id to this file"}, slow = {0, "jobs x > 1 sleep"}}
if p.mode == "plot" then
  local rows = ntk.io.read_jsonl(p.results)
  local series = ntk.plot.summarize(rows, {x = "x", y = "y"})
  ntk.plot.line{file = p.out_dir .. "/fig.png", title = "y vs x", xlabel = "x",
                ylabel = "y", logx = true, logy = true, series = series}
  ntk.plot.line{file = p.out_dir .. "/fig.svg", series = series}
  return
end
if p.ran ~= "" then
  local f = assert(io.open(p.ran, "a"))
  f:write(p.job, "\n")
  f:close()
end
print("job " .. p.job .. " says hello")
if p.slow == 1 and p.x > 1 then os.execute("sleep 30") end
if p.x == 3 then error("deliberate failure for x = 3") end
assert(p.mode == "job" and math.type(p.seed) ~= nil)
ntk.io.write_jsonl(p.out, {y = p.x * p.x + p.rep, seed_seen = p.seed, label = p.label,
                           status = "script's own"})
)LUA";

fs::path fresh_dir(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("ntk_batch_cli_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "job.lua") << kScript;
  return dir;
}

}  // namespace

TEST_CASE("ntklab batch runs a Lua script over a grid, with a failing job, and resumes",
          "[batch][cli]") {
  const fs::path dir = fresh_dir("grid");
  const fs::path out = dir / "out";
  const fs::path ran = dir / "ran.txt";
  const std::string command = ntklab() + " batch " + quoted((dir / "job.lua").string()) +
                              " --grid x=1,2,3 --grid label=a,b --reps 2 --jobs 2 --out " +
                              quoted(out.string()) + " --set ran=" + quoted(ran.string());
  std::string output;
  const int status = shell(command, output);
  INFO(output);
  CHECK(status == 1);  // a job failed
  CHECK(output.find("[12/12] job ") != std::string::npos);  // not a terminal: plain lines
  CHECK(output.find("deliberate failure for x = 3") != std::string::npos);

  const auto rows = read_jsonl((out / "results.jsonl").string());
  REQUIRE(rows.size() == 12);
  std::map<std::string, int> ok, failed;
  for (const auto& row : rows) {
    const double x = row.find("x")->as_number();
    const double rep = row.find("batch")->find("rep")->as_number();
    const std::string label = row.find("label")->as_string();
    const Params params = {{"x", std::to_string(static_cast<int>(x))}, {"label", label}};
    const std::string id = row.find("batch")->find("job")->as_string();
    CHECK(id == job_id(params, static_cast<int>(rep)));
    CHECK(row.find("batch")->find("seed")->as_number() == static_cast<double>(job_seed(params, static_cast<int>(rep))));
    if (row.find("batch")->find("status")->as_string() == "ok") {
      ++ok[id];
      CHECK(x != 3);
      CHECK(row.find("y")->as_number() == x * x + rep);
      CHECK(row.find("seed_seen")->as_number() == row.find("batch")->find("seed")->as_number());
      CHECK(row.find("status")->as_string() == "script's own");  // not the batch's
      CHECK(row.find("batch")->find("elapsed_s")->as_number() > 0);
    } else {
      ++failed[id];
      CHECK(x == 3);
      CHECK(row.find("batch")->find("exit_code")->as_number() == 1);
      CHECK(row.find("batch")->find("error")->as_string().find("job.lua:19: deliberate failure for x = 3") !=
            std::string::npos);
    }
  }
  CHECK(ok.size() == 8);
  CHECK(failed.size() == 4);
  // Each job's stdout went to its log.
  const std::string some_id = ok.begin()->first;
  CHECK(slurp(out / "logs" / (some_id + ".log")).find("job " + some_id + " says hello") !=
        std::string::npos);

  // The manifest.
  const Json manifest = read_json_file((out / "manifest.json").string());
  CHECK(manifest.find("ntklab_version")->is_string());
  CHECK(manifest.find("plugins")->is_array());
  CHECK(manifest.find("command_line")->as_array().size() == 15);
  CHECK(manifest.find("script")->as_string() == (dir / "job.lua").string());
  CHECK(manifest.find("grid")->dump() == R"({"x":[1,2,3],"label":["a","b"]})");
  CHECK(manifest.find("reps")->as_number() == 2);
  CHECK(manifest.find("jobs")->as_array().size() == 12);
  CHECK(manifest.find("constants")->find("ran")->as_string() == ran.string());
  CHECK(manifest.find("status")->as_string() == "completed");
  CHECK(manifest.find("end_time")->is_string());
  CHECK(manifest.find("counts")->find("failed")->as_number() == 4);

  // Delete one ok row and resume: that job and the 4 failed ones run again, nothing else.
  REQUIRE(lines_of(ran).size() == 12);
  auto lines = lines_of(out / "results.jsonl");
  std::string removed;
  {
    std::ofstream rewrite(out / "results.jsonl", std::ios::trunc);
    for (const auto& line : lines) {
      const Json row = parse_json(line);
      if (removed.empty() && row.find("batch")->find("status")->as_string() == "ok") {
        removed = row.find("batch")->find("job")->as_string();
        continue;
      }
      rewrite << line << "\n";
    }
  }
  CHECK(shell(command + " --resume", output) == 1);
  INFO(output);
  const auto ran_lines = lines_of(ran);
  REQUIRE(ran_lines.size() == 12 + 5);
  std::map<std::string, int> reran;
  for (std::size_t i = 12; i < ran_lines.size(); ++i) ++reran[ran_lines[i]];
  CHECK(reran.count(removed) == 1);
  for (const auto& [id, n] : failed) CHECK(reran.count(id) == 1);
  std::map<std::string, int> ok_after;
  for (const auto& row : read_jsonl((out / "results.jsonl").string()))
    if (row.find("batch")->find("status")->as_string() == "ok") ++ok_after[row.find("batch")->find("job")->as_string()];
  CHECK(ok_after.size() == 8);
  for (const auto& [id, n] : ok_after) CHECK(n == 1);

  // Without --resume the folder is refused; an unknown flag is a usage error.
  CHECK(shell(command, output) == 1);
  CHECK(output.find("add --resume") != std::string::npos);
  CHECK(shell(command + " --bogus", output) == 2);
  CHECK(shell(ntklab() + " batch " + quoted((dir / "job.lua").string()) + " --out " +
                  quoted(out.string()) + " --grid rep=1,2",
              output) == 1);
  CHECK(output.find("'rep' is set by the batch itself") != std::string::npos);

  // ntklab plot DIR redraws the figure from results.jsonl without rerunning a job.
  CHECK(shell(ntklab() + " plot " + quoted(out.string()), output) == 0);
  INFO(output);
  // The failed jobs' rows are left out of the figure, and it says so.
  CHECK(output.find("ntk.plot.summarize: skipped 8 of 16 rows (x = x, y = y): 8 from failed jobs") !=
        std::string::npos);
  CHECK(lines_of(ran).size() == 17);
  const std::string png = slurp(out / "fig.png");
  REQUIRE(png.size() > 1000);
  CHECK(png.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
  CHECK(slurp(out / "fig.svg").find("<svg") != std::string::npos);
  CHECK(fs::exists(out / "fig.png.gp"));
  fs::remove_all(dir);
}

TEST_CASE("ntklab batch and run refuse undeclared keys and wrong types before any job",
          "[batch][cli][params]") {
  const fs::path dir = fresh_dir("declared");
  const fs::path out = dir / "out";
  const std::string batch = ntklab() + " batch " + quoted((dir / "job.lua").string()) +
                            " --out " + quoted(out.string());
  std::string output;
  // The sigma_sweep bug: a misspelt --grid key ran identical jobs labelled with unread values.
  CHECK(shell(batch + " --grid w_std=0.5,1,2", output) == 2);
  CHECK_THAT(output, Catch::Contains(
      "ntklab batch: --grid w_std: unknown parameter 'w_std' (declared: label, ran, slow, x)"));
  CHECK(shell(batch + " --grid x=1,abc", output) == 2);
  CHECK_THAT(output, Catch::Contains("--grid x: parameter 'x' must be an integer, got 'abc'"));
  CHECK(shell(batch + " --grid x=1 --set slow=1.5", output) == 2);
  CHECK_THAT(output, Catch::Contains("--set slow=1.5: parameter 'slow' must be an integer, got '1.5'"));
  CHECK(shell(batch + " --set colour=red", output) == 2);
  CHECK_THAT(output, Catch::Contains("unknown parameter 'colour' (declared: label, ran, slow, x)"));
  CHECK_FALSE(fs::exists(out));  // no folder, no results, no job

  // run: the same checks, made by ntk.params before the script computes anything.
  const std::string run = ntklab() + " run " + quoted((dir / "job.lua").string());
  CHECK(shell(run + " --set w_std=1", output) == 1);
  CHECK_THAT(output, Catch::Contains(
      "job.lua:2: ntk.params: --set w_std=1: unknown parameter 'w_std' (declared: label, ran, slow, x)"));
  CHECK(shell(run + " --set x=1.5", output) == 1);
  CHECK_THAT(output, Catch::Contains("parameter 'x' must be an integer, got '1.5'"));
  CHECK(output.find("says hello") == std::string::npos);

  // run SCRIPT --help lists the parameters: name, type, default, doc.
  CHECK(shell(run + " --help", output) == 0);
  CHECK_THAT(output, Catch::Contains("  label  string   \"a\"      a label"));
  CHECK_THAT(output, Catch::Contains("  x      integer  1        the x value"));
  CHECK_THAT(output, Catch::Contains("set by ntklab itself"));
  CHECK(output.find("says hello") == std::string::npos);  // declared, not run
  CHECK(shell(batch + " --help", output) == 0);
  CHECK_THAT(output, Catch::Contains("  slow   integer  0        jobs x > 1 sleep"));
  fs::remove_all(dir);
}

TEST_CASE("a script without ntk.params still runs, with one warning", "[batch][cli][params]") {
  const fs::path dir = fresh_dir("undeclared");
  std::ofstream(dir / "old.lua") << R"LUA(
if params.mode == "job" then ntk.io.write_jsonl(params.out, {y = params.x * 2, status = "mine"}) end
print("x is " .. tostring(params.x))
)LUA";
  const std::string script = quoted((dir / "old.lua").string());
  std::string output;
  CHECK(shell(ntklab() + " run " + script + " --set x=4", output) == 0);
  CHECK_THAT(output, Catch::Contains("x is 4"));
  CHECK_THAT(output, Catch::Contains("ntklab run: warning: "));
  CHECK_THAT(output, Catch::Contains("declares no parameters"));
  CHECK(shell(ntklab() + " batch " + script + " --grid x=1,2 --out " + quoted((dir / "out").string()),
              output) == 0);
  CHECK_THAT(output, Catch::Contains("ntklab batch: warning: "));
  const auto rows = read_jsonl((dir / "out" / "results.jsonl").string());
  REQUIRE(rows.size() == 2);
  for (const auto& row : rows) {
    CHECK(row.find("y")->as_number() == 2 * row.find("x")->as_number());
    CHECK(row.find("status")->as_string() == "mine");
    CHECK(row.find("batch")->find("status")->as_string() == "ok");
  }
  // A job's log does not repeat the warning (the batch gave it once).
  for (const auto& entry : fs::directory_iterator(dir / "out" / "logs"))
    if (entry.path().extension() == ".err")
      CHECK(slurp(entry.path()).find("declares no parameters") == std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("SIGTERM to ntklab batch stops the jobs and leaves only whole result lines",
          "[batch][cli]") {
  const fs::path dir = fresh_dir("sigterm");
  const fs::path out = dir / "out";
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    const std::string exe = ntklab(), script = (dir / "job.lua").string(), folder = out.string();
    ::execl(exe.c_str(), exe.c_str(), "batch", script.c_str(), "--grid", "x=1,2,4,5", "--jobs",
            "2", "--out", folder.c_str(), "--set", "slow=1", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  const fs::path results = out / "results.jsonl";
  bool appeared = false;
  for (int i = 0; i < 3000 && !appeared; ++i) {
    std::error_code ec;
    appeared = fs::exists(results, ec) && fs::file_size(results, ec) > 0;
    if (!appeared) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(appeared);
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 128 + SIGTERM);
  const auto rows = read_jsonl(results.string());  // throws on a partial line
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].find("x")->as_number() == 1);
  CHECK(rows[0].find("batch")->find("status")->as_string() == "ok");
  const Json manifest = read_json_file((out / "manifest.json").string());
  CHECK(manifest.find("status")->as_string() == "interrupted (SIGTERM)");
  CHECK(fs::is_empty(out / "jobs"));
  fs::remove_all(dir);
}

TEST_CASE("ntk.plot raises script errors naming the figure", "[batch][cli][plot]") {
  const fs::path dir = fresh_dir("plot_errors");
  std::ofstream(dir / "bad.lua") << R"LUA(
local ok, err = pcall(ntk.plot.line, {file = "x.png", series = {{x = {1, 2}, y = {1}}}})
assert(not ok and err:find("x has 2 values and y has 1", 1, true), err)
ok, err = pcall(ntk.plot.line, {file = "x.png", colour = "red", series = {}})
assert(not ok and err:find("unknown field 'colour'", 1, true), err)
ok, err = pcall(ntk.plot.heatmap, {file = "x.gif", matrix = {{1, 2}, {3, 4}}})
assert(not ok and err:find("use .png or .svg", 1, true), err)
local s = ntk.plot.summarize({{x = 1, y = 2, m = "a"}, {x = 1, y = 4, m = "a"},
                              {x = 2, y = 5, m = "b"}, {x = 1, y = 100, status = "failed"}},
                             {x = "x", y = "y", by = "m"})
assert(#s == 2 and s[1].label == "m=a" and s[1].y[1] == 3 and s[1].yerr[1] == 1, "summarize")
assert(s[2].x[1] == 2 and s[2].y[1] == 5 and s[2].yerr[1] == 0, "summarize b")
assert(s.skipped == 1 and s.skipped_why == "1 without a value 'm'" and s.filtered == 0, "skipped")
-- A batch's rows: the failed job's row is skipped by default; `where` reaches nested fields.
local rows = {{x = 1, y = 2, status = "diverged", batch = {status = "ok", rep = 1}},
              {x = 1, y = 4, batch = {status = "ok", rep = 2}},
              {x = 1, batch = {status = "failed", rep = 3}}}
s = ntk.plot.summarize(rows, {x = "x", y = "y"})
assert(#s == 1 and s[1].y[1] == 3 and s.skipped == 1, "a script's own status does not filter")
assert(s.skipped_why == "1 from failed jobs (batch.status not \"ok\")", s.skipped_why)
s = ntk.plot.summarize(rows, {x = "x", y = "y", where = {["batch.rep"] = 2}})
assert(#s == 1 and s[1].y[1] == 4 and s.filtered == 2 and s.skipped == 0, "where batch.rep")
print(ntk.plot.heatmap{file = ")LUA" << (dir / "h.png").string() << R"LUA(", matrix = {{1, 2}, {3, 4}}})
)LUA";
  std::string output;
  CHECK(shell(ntklab() + " run " + quoted((dir / "bad.lua").string()), output) == 0);
  INFO(output);
  CHECK_THAT(output, Catch::Contains("ntk.plot.summarize: skipped 1 of 4 rows (x = x, y = y): "
                                     "1 without a value 'm'"));
  CHECK(slurp(dir / "h.png").compare(0, 4, "\x89PNG") == 0);
  fs::remove_all(dir);
}
