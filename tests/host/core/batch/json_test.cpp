// JSON writer/reader and the results file (core/batch/json.hpp, results.hpp).
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/batch/json.hpp"
#include "core/batch/results.hpp"
#include "ntk/sdk/error.hpp"

using namespace ntk::core::batch;
namespace fs = std::filesystem;

namespace {
fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("ntk_batch_json_" + name + "_" +
                                                    std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}
std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

TEST_CASE("JSON strings round trip with every kind of escape", "[batch]") {
  const std::string nasty = std::string("quote\" backslash\\ slash/ tab\t nl\n cr\r bell\x07 nul") +
                            '\0' + " unicode σ² → 😀";
  Json row = Json::object();
  row.set("text", nasty);
  const std::string line = row.dump();
  // No raw control character may remain on the line.
  for (char c : line) CHECK(static_cast<unsigned char>(c) >= 0x20);
  CHECK(line.find("\\u0007") != std::string::npos);
  CHECK(line.find("\\u0000") != std::string::npos);
  const Json back = parse_json(line);
  CHECK(back.find("text")->as_string() == nasty);
  // \u escapes written by other writers, a surrogate pair included, decode to UTF-8.
  CHECK(parse_json(R"("\u03c3\u00b2 \ud83d\ude00 \/")").as_string() == "σ² 😀 /");
}

TEST_CASE("JSON numbers round trip exactly and print shortest", "[batch]") {
  for (double v : {0.1, -2.5e10, 1e-300, 1.7976931348623157e308, 3.0, 9007199254740993.0,
                   1.0 / 3.0, -0.0, 5e-324}) {
    const std::string text = Json(v).dump();
    CHECK(parse_json(text).as_number() == v);
  }
  CHECK(Json(0.1).dump() == "0.1");
  CHECK(Json(3).dump() == "3");
  CHECK(Json(1e-8).dump() == "1e-08");
  CHECK(Json(2147483647ULL).dump() == "2147483647");
  CHECK(Json(std::nan("")).dump() == "null");
  CHECK(Json(INFINITY).dump() == "null");
  CHECK(number_or_string("0.25").is_number());
  CHECK(number_or_string("1e3").as_number() == 1000);
  CHECK(number_or_string("relu").as_string() == "relu");
  CHECK(number_or_string("1x").as_string() == "1x");
  CHECK(number_or_string("").as_string().empty());
  CHECK(number_or_string("nan").is_string());
}

TEST_CASE("JSON documents round trip, keys keep their order", "[batch]") {
  const std::string text =
      R"({"b":1,"a":[true,false,null,{"x":[]},{}],"c":{"d":"e"},"n":-0.5})";
  const Json doc = parse_json(text);
  CHECK(doc.dump() == text);
  CHECK(doc.as_object()[0].first == "b");
  CHECK(parse_json(doc.dump_pretty()) == doc);
  CHECK(parse_json(" \n [1, 2 ,3]\t") == parse_json("[1,2,3]"));
}

TEST_CASE("malformed JSON throws with line and column", "[batch]") {
  CHECK_THROWS_WITH(parse_json("{\"a\":1,}", "f.jsonl:3"),
                    Catch::StartsWith("f.jsonl:3: parse_json(): expected a string key at line 1, "
                                      "column 8"));
  CHECK_THROWS_WITH(parse_json("[1,\n 2 x]"), Catch::Contains("at line 2, column 4"));
  CHECK_THROWS_WITH(parse_json("{\"a\":1"), Catch::Contains("expected ',' or '}'"));
  CHECK_THROWS_WITH(parse_json("\"abc"), Catch::Contains("unterminated string"));
  CHECK_THROWS_WITH(parse_json("01"), Catch::Contains("unexpected text after the value"));
  CHECK_THROWS_WITH(parse_json("1e999"), Catch::Contains("out of the range"));
  CHECK_THROWS_WITH(parse_json("\"a\nb\""), Catch::Contains("control character"));
  CHECK_THROWS_WITH(parse_json("\"\\ud800\""), Catch::Contains("surrogate"));
  CHECK_THROWS_WITH(parse_json("tru"), Catch::Contains("expected a value"));
  CHECK_THROWS_WITH(parse_json(""), Catch::Contains("unexpected end of input"));
  CHECK_THROWS_WITH(parse_json(std::string(600, '[')), Catch::Contains("nesting deeper"));
  CHECK_THROWS_WITH(parse_json("1").as_string(), Catch::Contains("expected string, got number"));
}

TEST_CASE("appends from concurrent processes never interleave", "[batch]") {
  const fs::path dir = fresh_dir("append");
  const std::string path = (dir / "results.jsonl").string();
  constexpr int processes = 4, rows = 150;
  std::vector<pid_t> children;
  for (int p = 0; p < processes; ++p) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      int code = 0;
      try {
        for (int r = 0; r < rows; ++r) {
          // Rows of very different lengths, two lines per append (like a job with two rows).
          Json row = Json::object();
          row.set("p", p);
          row.set("r", r);
          row.set("pad", std::string(static_cast<std::size_t>((r * 37 + p * 911) % 5000), 'x'));
          append_lines(path, row.dump() + "\n" + row.dump() + "\n");
        }
      } catch (...) {
        code = 1;
      }
      ::_exit(code);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  }
  const auto lines = read_jsonl(path);
  REQUIRE(lines.size() == 2 * processes * rows);
  std::set<std::pair<int, int>> seen;
  for (std::size_t i = 0; i < lines.size(); i += 2) {
    CHECK(lines[i] == lines[i + 1]);  // the two lines of one append stay together
    seen.insert({static_cast<int>(lines[i].find("p")->as_number()),
                  static_cast<int>(lines[i].find("r")->as_number())});
  }
  CHECK(seen.size() == processes * rows);
  CHECK_THROWS_WITH(append_lines(path, "{}"), Catch::Contains("must end in a newline"));
  fs::remove_all(dir);
}

TEST_CASE("repair_tail cuts a torn last line, completed_jobs reads ok jobs", "[batch]") {
  const fs::path dir = fresh_dir("repair");
  const std::string path = (dir / "results.jsonl").string();
  CHECK(repair_tail(path) == 0);  // missing file
  {
    std::ofstream out(path, std::ios::binary);
    out << R"({"job":"a","status":"ok"})" "\n"
        << R"({"job":"b","status":"failed"})" "\n"
        << "garbage line\n"
        << R"({"job":"c","status":"ok"})" "\n"
        << R"({"job":"d","sta)";
  }
  CHECK(repair_tail(path) == std::string(R"({"job":"d","sta)").size());
  CHECK(repair_tail(path) == 0);
  const std::string text = slurp(path);
  CHECK(text.back() == '\n');
  std::vector<std::string> warnings;
  const auto done = completed_jobs(path, warnings);
  CHECK(done == std::set<std::string>{"a", "c"});
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("results.jsonl:3") != std::string::npos);
  CHECK_THROWS_WITH(read_jsonl(path), Catch::Contains("results.jsonl:3: parse_json()"));
  {
    std::ofstream out(path, std::ios::binary);
    out << "no newline at all";
  }
  CHECK(repair_tail(path) == 17);
  CHECK(fs::file_size(path) == 0);
  fs::remove_all(dir);
}

TEST_CASE("result rows carry the job's fields, which win over the script's", "[batch]") {
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
    out << R"({"loss":0.5,"seed":-1,"curve":[1,2]})" "\n\n" << R"({"loss":0.25})" "\n";
  }
  std::size_t count = 0;
  const std::string rows = make_ok_rows(job, constants, output, 1.5, count);
  CHECK(count == 2);
  std::istringstream lines(rows);
  std::string line;
  std::getline(lines, line);
  CHECK(line == R"({"job":")" + job.id + R"(","rep":2,"seed":)" + std::to_string(job.seed) +
                    R"(,"n":100,"sigma2":0.1,"act":"relu","loss":0.5,"curve":[1,2],)"
                    R"("elapsed_s":1.5,"status":"ok"})");
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
  CHECK(failed.find("status")->as_string() == "failed");
  CHECK(failed.find("signal")->as_number() == 9);
  CHECK(failed.find("error")->as_string() == "out of memory");
  fs::remove_all(dir);
}
