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
  CHECK(line.find("\\n") != std::string::npos);
  const Json back = parse_json(line);
  CHECK(back.find("text")->as_string() == nasty);
  // \u escapes written by other writers, a surrogate pair included, decode to UTF-8:
  // U+03C3 is CF 83, U+00B2 is C2 B2, U+1F600 (D83D DE00) is F0 9F 98 80.
  CHECK(parse_json(R"("\u03c3\u00b2 \ud83d\ude00 \/")").as_string() ==
        "\xcf\x83\xc2\xb2 \xf0\x9f\x98\x80 /");
  // A byte that is not UTF-8 (a stderr tail cut mid-character) is written as U+FFFD (EF BF BD);
  // on reading, it is an error.
  CHECK(Json(std::string("cut \xcf")).dump() == "\"cut \xef\xbf\xbd\"");
  CHECK_THROWS_WITH(parse_json("\"cut \xcf\""), Catch::Contains("ill-formed UTF-8"));
}

TEST_CASE("JSON doubles round trip exactly and print shortest", "[batch]") {
  for (double v : {0.1, -2.5e10, 1e-300, 1.7976931348623157e308, 3.0, 9007199254740992.0,
                   1.0 / 3.0, -0.0, 5e-324, 123456789012.0}) {
    const std::string text = Json(v).dump();
    const Json back = parse_json(text);
    CHECK(!back.is_integer());  // a double stays a double
    CHECK(back.as_number() == v);
    CHECK(std::signbit(back.as_number()) == std::signbit(v));
  }
  CHECK(Json(0.1).dump() == "0.1");
  CHECK(Json(3.0).dump() == "3.0");
  CHECK(Json(-0.0).dump() == "-0.0");
  CHECK(Json(1e-8).dump() == "1e-08");
  CHECK(Json(1.0 / 3.0).dump() == "0.3333333333333333");
  CHECK(Json(std::nan("")).dump() == "null");
  CHECK(Json(INFINITY).dump() == "null");
  CHECK(Json(-INFINITY).dump() == "null");
  // format_number: the canonical text of a grid value, whole numbers without ".0".
  CHECK(format_number(3.0) == "3");
  CHECK(format_number(0.1) == "0.1");
  CHECK(format_number(1e-8) == "1e-08");
  CHECK(format_number(-0.0) == "0");
  CHECK(format_number(NAN) == "null");
}

TEST_CASE("JSON integers are 64-bit and exact", "[batch]") {
  CHECK(Json(3).dump() == "3");
  CHECK(Json(2147483647ULL).dump() == "2147483647");
  CHECK(Json(-5L).dump() == "-5");
  // 2^53 + 1 is the first integer a double cannot hold: it must not come back as 2^53.
  const Json odd = parse_json("9007199254740993");
  CHECK(odd.is_integer());
  CHECK(odd.as_integer() == 9007199254740993LL);
  CHECK(odd.dump() == "9007199254740993");
  CHECK(!(odd == Json(9007199254740992.0)));
  CHECK(parse_json("9007199254740992") == Json(9007199254740992.0));
  // The ends of the 64-bit ranges.
  CHECK(parse_json("9223372036854775807").as_integer() == 9223372036854775807LL);
  CHECK(parse_json("-9223372036854775808").as_integer() == -9223372036854775807LL - 1);
  CHECK(parse_json("-9223372036854775808").dump() == "-9223372036854775808");
  const Json largest = parse_json("18446744073709551615");
  CHECK(largest.is_integer());
  CHECK(largest.as_unsigned() == 18446744073709551615ULL);
  CHECK(largest.dump() == "18446744073709551615");
  CHECK(Json(18446744073709551615ULL) == largest);
  CHECK_THROWS_WITH(largest.as_integer(), Catch::Contains("expected an integer below 2^63"));
  CHECK_THROWS_WITH(parse_json("-1").as_unsigned(), Catch::Contains("non-negative integer, got -1"));
  // Beyond 64 bits: a double (2^64 = 18446744073709551616 exactly).
  const Json beyond = parse_json("18446744073709551616");
  CHECK(!beyond.is_integer());
  CHECK(beyond.as_number() == 0x1p64);
  // Integer and double are different kinds that compare by value.
  CHECK(Json(3) == Json(3.0));
  CHECK(!(Json(3) == Json(3.5)));
  CHECK(parse_json("3").is_integer());
  CHECK(!parse_json("3.0").is_integer());
  CHECK(!parse_json("3e0").is_integer());
  CHECK(parse_json("3e0").as_number() == 3);
  CHECK_THROWS_WITH(parse_json("3.0").as_integer(),
                    Catch::Contains("expected an integer, got the number 3.0"));
  CHECK_THROWS_WITH(Json("x").as_integer(), Catch::Contains("expected an integer, got string"));
}

TEST_CASE("number_or_string reads command-line values", "[batch]") {
  CHECK(number_or_string("100").is_integer());
  CHECK(number_or_string("100").as_integer() == 100);
  CHECK(number_or_string("-3").as_integer() == -3);
  CHECK(number_or_string("9007199254740993").as_integer() == 9007199254740993LL);
  CHECK(number_or_string("18446744073709551615").as_unsigned() == 18446744073709551615ULL);
  CHECK(!number_or_string("0.25").is_integer());
  CHECK(number_or_string("0.25").as_number() == 0.25);
  CHECK(number_or_string("1e3").as_number() == 1000);
  CHECK(!number_or_string("1e3").is_integer());
  CHECK(number_or_string("relu").as_string() == "relu");
  CHECK(number_or_string("1x").as_string() == "1x");
  CHECK(number_or_string("+1").as_string() == "+1");
  CHECK(number_or_string(" 1").as_string() == " 1");
  CHECK(number_or_string("").as_string().empty());
  CHECK(number_or_string("nan").is_string());
  CHECK(number_or_string("inf").is_string());
  CHECK(number_or_string("1e999").is_string());
}

TEST_CASE("JSON documents round trip, keys keep their order", "[batch]") {
  const std::string text =
      R"({"b":1,"a":[true,false,null,{"x":[]},{}],"c":{"d":"e"},"n":-0.5})";
  const Json doc = parse_json(text);
  CHECK(doc.dump() == text);
  CHECK(doc.as_object()[0].first == "b");
  CHECK(parse_json(doc.dump_pretty()) == doc);
  CHECK(parse_json(" \n [1, 2 ,3]\t") == parse_json("[1,2,3]"));
  // Duplicate keys: the last one wins, in the first one's place.
  CHECK(parse_json(R"({"a":1,"b":2,"a":3})").dump() == R"({"a":3,"b":2})");
}

TEST_CASE("dump_pretty keeps short containers on one line", "[batch]") {
  Json doc = Json::object();
  doc.set("grid", Json(Json::Array{0.01, 0.1, 1}));
  doc.set("name", "sweep");
  // Short enough for one line: written as compact JSON.
  CHECK(doc.dump_pretty() == R"({"grid":[0.01,0.1,1],"name":"sweep"})");
  doc.set("long", std::string(100, 'x'));
  CHECK(doc.dump_pretty() == "{\n  \"grid\": [0.01,0.1,1],\n  \"name\": \"sweep\",\n  \"long\": \"" +
                                 std::string(100, 'x') + "\"\n}");
  CHECK(parse_json(doc.dump_pretty()) == doc);
}

TEST_CASE("malformed JSON throws with line and column", "[batch]") {
  CHECK_THROWS_WITH(parse_json("{\"a\":1,}", "f.jsonl:3"),
                    "f.jsonl:3: parse_json(): unexpected '}'; expected string literal (in object "
                    "key) at line 1, column 8");
  CHECK_THROWS_WITH(parse_json("[1,\n 2 x]"), Catch::Contains("at line 2, column 4"));
  CHECK_THROWS_WITH(parse_json("{\"a\":1"),
                    Catch::Contains("unexpected end of input; expected '}' (in object) at line 1, "
                                    "column 7"));
  CHECK_THROWS_WITH(parse_json("\"abc"), Catch::Contains("missing closing quote"));
  CHECK_THROWS_WITH(parse_json("01"),
                    Catch::Contains("expected end of input (in value) at line 1, column 2"));
  CHECK_THROWS_WITH(parse_json("[0, 1e999]"),
                    Catch::Contains("number overflow parsing '1e999' (out of the range of a "
                                    "double) at line 1, column 5"));
  CHECK_THROWS_WITH(parse_json("\"a\nb\""),
                    Catch::Contains("control character U+000A (LF) must be escaped"));
  CHECK_THROWS_WITH(parse_json("\"a\nb\""), Catch::Contains("at line 1, column 3"));
  CHECK_THROWS_WITH(parse_json("\"\\ud800\""), Catch::Contains("surrogate"));
  CHECK_THROWS_WITH(parse_json("\"\\udc00\""), Catch::Contains("surrogate"));
  CHECK_THROWS_WITH(parse_json("tru"), Catch::Contains("invalid literal; last read: 'tru'"));
  CHECK_THROWS_WITH(parse_json(""), Catch::Contains("unexpected end of input"));
  CHECK_THROWS_WITH(parse_json("1 2"), Catch::Contains("expected end of input"));
  CHECK_THROWS_WITH(parse_json(std::string(600, '[')),
                    Catch::Contains("nesting deeper than 512 arrays and objects at line 1, "
                                    "column 513"));
  CHECK_NOTHROW(parse_json(std::string(512, '[') + std::string(512, ']')));
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
