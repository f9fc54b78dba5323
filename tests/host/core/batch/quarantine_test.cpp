// Corrupt lines of results.jsonl (core/batch/quarantine.hpp): moved to the side file with their
// line numbers and reasons, with the ok rows of the jobs they belonged to; --resume runs those
// jobs again, once; appends running at the same moment are never lost.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "batch_support.hpp"
#include "core/batch/quarantine.hpp"
#include "core/batch/results.hpp"

using namespace ntk::core::batch;
using namespace batch_test;
namespace fs = std::filesystem;

namespace {

const std::string kA = "aaaaaaaaaaaaaaaa", kB = "bbbbbbbbbbbbbbbb", kC = "cccccccccccccccc";

std::string ok_row(const std::string& job, int y) {
  return R"({"y":)" + std::to_string(y) + R"(,"batch":{"job":")" + job +
         R"(","rep":1,"seed":5,"elapsed_s":0.5,"status":"ok"}})";
}

}  // namespace

TEST_CASE("quarantine helpers: side file name, job named in a corrupt line", "[batch][quarantine]") {
  CHECK(quarantine_path("/d/results.jsonl") == "/d/results.quarantine.jsonl");
  CHECK(quarantine_path("/d/rows.txt") == "/d/rows.txt.quarantine.jsonl");
  CHECK(job_named_in(ok_row(kA, 1)) == kA);
  CHECK(job_named_in(R"(X"y":1,"batch":{"job":")" + kB + R"(","re)") == kB);  // cut, first byte bad
  CHECK(job_named_in(R"({"y":1,"batch":{"job":"abc"}})").empty());               // not 16 hex digits
  CHECK(job_named_in(R"({"y":1,"batch":{"jo)").empty());                         // cut before the id
  CHECK(is_failed_row_text(R"(x{"batch":{"job":")" + kC + R"(","status":"failed","err)"));
  CHECK_FALSE(is_failed_row_text(ok_row(kA, 1)));
  CHECK_FALSE(is_failed_row_text(R"({"status":"failed"})"));  // a script's own field
}

TEST_CASE("corrupt lines go to the side file with their line numbers; the rest stays",
          "[batch][quarantine]") {
  const fs::path dir = fresh_dir("quarantine");
  const fs::path results = dir / "results.jsonl";
  const std::string b_cut = ok_row(kB, 2).substr(0, 50);      // a row of job B, cut
  const std::string c_failed = "#" + std::string(R"({"batch":{"job":")") + kC +
                               R"(","status":"failed","error":"x"}})";
  {
    std::ofstream out(results, std::ios::binary);
    out << ok_row(kA, 1) << "\n"        // 1 kept
        << b_cut << "\n"                // 2 corrupt, names job B
        << ok_row(kB, 3) << "\n"        // 3 an ok row of job B: moved with it
        << "[1,2]\n"                    // 4 not an object
        << "\n"                         // 5 blank: kept, harmless
        << c_failed << "\n"             // 6 corrupt failed row of job C
        << ok_row(kC, 7) << "\n"        // 7 kept: C's failed row says nothing about this one
        << std::string("\0\0\0", 3) << "\n"  // 8 zeros, as a crash can leave
        << R"({"y":9,"bat)";            // 9 torn last line
  }
  const Quarantine q = quarantine_corrupt_rows(results.string());
  CHECK(q.side_file == (dir / "results.quarantine.jsonl").string());
  REQUIRE(q.corrupt.size() == 5);
  CHECK(q.corrupt[0].line == 2);
  CHECK(q.corrupt[1].line == 4);
  CHECK(q.corrupt[1].reason == results.string() + ":4: a row must be a JSON object, got array");
  CHECK(q.corrupt[2].line == 6);
  CHECK(q.corrupt[3].line == 8);
  CHECK(q.corrupt[4].line == 9);
  CHECK(q.corrupt[4].reason == results.string() + ":9: a torn last line (no newline at its end)");
  REQUIRE(q.siblings.size() == 1);
  CHECK(q.siblings[0].line == 3);
  CHECK(q.kept == 2);
  CHECK(lines_of(results) == std::vector<std::string>{ok_row(kA, 1), "", ok_row(kC, 7)});

  const auto side = read_jsonl(q.side_file);
  REQUIRE(side.size() == 6);
  CHECK(side[0].find("line")->as_number() == 2);
  CHECK(side[0].find("text")->as_string() == b_cut);
  CHECK(side[0].find("job")->as_string() == kB);
  CHECK(side[0].find("reason")->as_string().rfind(results.string() + ":2: ", 0) == 0);
  CHECK(side[1].find("line")->as_number() == 3);
  CHECK(side[1].find("text")->as_string() == ok_row(kB, 3));
  CHECK_THAT(side[1].find("reason")->as_string(),
             Catch::Contains("an ok row of job " + kB + ", whose row at line 2 is corrupt"));
  CHECK(side[3].find("text")->as_string() == c_failed);
  CHECK(side[4].find("text")->as_string() == std::string("\0\0\0", 3));
  CHECK(side[5].find("quarantined_at")->as_string().size() == 20);

  CHECK(describe_quarantine(q) ==
        "moved 5 corrupt lines of " + results.string() + " (lines 2, 4, 6, 8, 9; first: " +
            q.corrupt[0].reason + ") and 1 ok row of the same jobs to " + q.side_file +
            "; 2 rows remain");

  // Clean now: a second pass moves nothing and leaves both files as they are.
  const Quarantine again = quarantine_corrupt_rows(results.string());
  CHECK(again.corrupt.empty());
  CHECK(again.siblings.empty());
  CHECK(describe_quarantine(again).empty());
  CHECK(lines_of(q.side_file).size() == 6);
  CHECK(quarantine_corrupt_rows((dir / "missing.jsonl").string()).kept == 0);
  fs::remove_all(dir);
}

TEST_CASE("a quarantine during appends by another process loses no row", "[batch][quarantine]") {
  const fs::path dir = fresh_dir("quarantine_race");
  const std::string results = (dir / "results.jsonl").string();
  constexpr int kRows = 300;
  const pid_t writer = ::fork();
  if (writer == 0) {
    for (int i = 0; i < kRows; ++i) append_lines(results, ok_row(kA, i) + "\n");
    ::_exit(0);
  }
  int corrupt = 0;
  for (; corrupt < 100; ++corrupt) {
    append_lines(results, "garbage\n");
    quarantine_corrupt_rows(results);
  }
  ::waitpid(writer, nullptr, 0);
  quarantine_corrupt_rows(results);
  const auto rows = read_jsonl(results);  // throws if a garbage line were left
  CHECK(rows.size() == static_cast<std::size_t>(kRows));
  CHECK(lines_of(quarantine_path(results)).size() == static_cast<std::size_t>(corrupt));
  fs::remove_all(dir);
}

TEST_CASE("--resume runs again the jobs whose rows were corrupt, and only once",
          "[batch][quarantine]") {
  const fs::path dir = fresh_dir("quarantine_resume");
  std::ostringstream progress;
  BatchOptions o = options_for(dir, "x=1,2,3", 1, 1, progress);  // x=2 writes two rows
  const fs::path ran = dir / "ran.txt";
  o.constants = {{"ran", ran.string()}};
  run_batch(o);
  const fs::path results = dir / "out" / "results.jsonl";
  auto lines = lines_of(results);
  REQUIRE(lines.size() == 4);
  // Spoil the first row of x=2 (its job id stays readable) and cut the row of x=3 in half.
  std::string two, three;
  {
    std::ofstream out(results, std::ios::trunc);
    for (const auto& line : lines) {
      const Json row = parse_json(line);
      const std::string job = row.find("batch")->find("job")->as_string();
      const double x = row.find("x")->as_number();
      if (x == 2 && two.empty()) {
        two = job;
        out << "X" << line.substr(1) << "\n";
      } else if (x == 3) {
        three = job;
        out << line.substr(0, line.size() / 3) << "\n";
      } else {
        out << line << "\n";
      }
    }
  }
  o.resume = true;
  const BatchSummary summary = run_batch(o);
  CHECK(summary.skipped == 1);
  CHECK(summary.ok == 2);
  CHECK_THAT(progress.str(), Catch::Contains("moved 2 corrupt lines of " + results.string() +
                                             " (lines "));
  CHECK_THAT(progress.str(), Catch::Contains("and 1 ok row of the same jobs"));
  const auto ran_lines = lines_of(ran);
  REQUIRE(ran_lines.size() == 5);
  CHECK(std::set<std::string>{ran_lines[3], ran_lines[4]} == std::set<std::string>{two, three});
  const auto per_job = ok_rows_per_job(results);  // parses every line
  REQUIRE(per_job.size() == 3);
  CHECK(per_job.at(two) == 2);  // its two rows once, not three
  CHECK(per_job.at(three) == 1);
  CHECK(lines_of(dir / "out" / "results.quarantine.jsonl").size() == 3);
  fs::remove_all(dir);
}
