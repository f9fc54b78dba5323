// ntk.io: CSV round trips and errors, JSON lines written and read back, ntk.clock.
#include "../lua_fixture.hpp"

using ntk::lua::test::LuaFixture;
using ntk::lua::test::read_text;
using ntk::lua::test::TempDir;
using ntk::lua::test::write_text;

TEST_CASE("save_csv then load_csv gives back the same matrix exactly", "[lua][io]") {
  LuaFixture lua;
  TempDir dir("csv");
  arma::arma_rng::set_seed(3);
  arma::mat a = arma::randn(5, 7);
  a(0, 0) = 1.0 / 3.0;
  a(1, 1) = -2.5e17;
  a(2, 2) = 4.9e-300;
  lua.set_matrix("A", a);
  lua.ok("path = '" + dir.file("nested/dir/a.csv") + "'\n"
         "A:save_csv(path); B = ntk.io.load_csv(path)");
  CHECK(arma::approx_equal(lua.matrix("B"), a, "absdiff", 0.0));  // bit-exact with %.17g
  // One line per row, comma separated.
  const std::string text = read_text(dir.file("nested/dir/a.csv"));
  CHECK(std::count(text.begin(), text.end(), '\n') == 5);
  CHECK(std::count(text.begin(), text.end(), ',') == 5 * 6);
}

TEST_CASE("M:save then ntk.io.load gives back the same matrix exactly; bad files are named",
          "[lua][io]") {
  LuaFixture lua;
  TempDir dir("binary");
  arma::arma_rng::set_seed(4);
  arma::mat a = arma::randn(6, 3);
  a(0, 0) = 1.0 / 3.0;
  a(5, 2) = 4.9e-300;
  lua.set_matrix("A", a);
  lua.ok("path = '" + dir.file("nested/a.bin") + "'\n"
         "same = A:save(path) == A; B = ntk.io.load(path)");
  CHECK(arma::approx_equal(lua.matrix("B"), a, "absdiff", 0.0));
  CHECK(lua.boolean("same"));
  write_text(dir.file("text.bin"), "1,2,3\n");
  CHECK_THAT(lua.error("ntk.io.load('" + dir.file("text.bin") + "')"),
             Catch::Contains("text.bin is not a matrix saved by M:save"));
  CHECK_THAT(lua.error("ntk.io.load('" + dir.file("missing.bin") + "')"),
             Catch::Contains("cannot open") && Catch::Contains("missing.bin"));
  // A file cut short: the header promises more data than there is.
  const std::string full = read_text(dir.file("nested/a.bin"));
  write_text(dir.file("cut.bin"), full.substr(0, full.size() - 8));
  CHECK_THAT(lua.error("ntk.io.load('" + dir.file("cut.bin") + "')"),
             Catch::Contains("truncated or damaged"));
}

TEST_CASE("load_csv reads one line per row and reports bad cells with FILE:LINE", "[lua][io]") {
  LuaFixture lua;
  TempDir dir("csv_bad");
  write_text(dir.file("good.csv"), "# comment\n1, 2,3\n\n4,5,6e-1\r\n");
  write_text(dir.file("bad.csv"), "1,2\n3,abc\n");
  write_text(dir.file("ragged.csv"), "1,2\n3,4\n5\n");
  lua.ok("M = ntk.io.load_csv('" + dir.file("good.csv") + "')");
  const arma::mat expected = {{1, 2, 3}, {4, 5, 0.6}};
  CHECK(arma::approx_equal(lua.matrix("M"), expected, "absdiff", 0.0));

  std::string e = lua.error("\nlocal M = ntk.io.load_csv('" + dir.file("bad.csv") + "')");
  CHECK_THAT(e, Catch::Contains("snippet:2:"));
  CHECK_THAT(e, Catch::Contains("bad.csv:2"));
  CHECK_THAT(e, Catch::Contains("'abc'"));

  e = lua.error("local M = ntk.io.load_csv('" + dir.file("ragged.csv") + "')");
  CHECK_THAT(e, Catch::Contains("ragged.csv:3"));

  e = lua.error("local M = ntk.io.load_csv('" + dir.file("missing.csv") + "')");
  CHECK_THAT(e, Catch::Contains("missing.csv"));

  e = lua.error("local M = ntk.matrix{{1, 0/0}}; M:save_csv('" + dir.file("nan.csv") + "')");
  CHECK_THAT(e, Catch::Contains("entry (1, 2)"));
}

TEST_CASE("write_jsonl appends one sorted JSON object per call", "[lua][io]") {
  LuaFixture lua;
  TempDir dir("jsonl");
  const std::string path = dir.file("results/run.jsonl");  // the directory does not exist yet
  lua.ok("path = '" + path + "'\n" + R"(
    ntk.io.write_jsonl(path, {sigma = 1, test_loss = 0.25, name = "fc \"relu\"\n",
                              ok = true, m = ntk.matrix{{1, 2}, {3, 4.5}},
                              list = {1, 2.5, "x"}, nested = {a = {b = false}}, empty = {}})
    ntk.io.write_jsonl(path, {i = 2})
    back = ntk.io.read_jsonl(path)
    count, sigma, loss, name = #back, back[1].sigma, back[1].test_loss, back[1].name
    m22, list2, b, i = back[1].m[2][2], back[1].list[2], back[1].nested.a.b, back[2].i
    sigma_type = math.type(sigma)
  )");
  CHECK(read_text(path) ==
        "{\"empty\":[],\"list\":[1,2.5,\"x\"],\"m\":[[1.0,2.0],[3.0,4.5]],\"name\":\"fc \\\"relu\\\"\\n\","
        "\"nested\":{\"a\":{\"b\":false}},\"ok\":true,\"sigma\":1,\"test_loss\":0.25}\n"
        "{\"i\":2}\n");
  CHECK(lua.number("count") == 2);
  CHECK(lua.number("sigma") == 1);
  CHECK(lua.string("sigma_type") == "integer");
  CHECK(lua.number("loss") == 0.25);
  CHECK(lua.string("name") == "fc \"relu\"\n");
  CHECK(lua.number("m22") == 4.5);
  CHECK(lua.number("list2") == 2.5);
  CHECK_FALSE(lua.boolean("b"));
  CHECK(lua.number("i") == 2);
}

TEST_CASE("write_jsonl refuses NaN, infinity and unencodable values naming the key",
          "[lua][io]") {
  LuaFixture lua;
  TempDir dir("jsonl_bad");
  lua.ok("path = '" + dir.file("bad.jsonl") + "'");
  std::string e = lua.error("\n\nntk.io.write_jsonl(path, {loss = 0/0})");
  CHECK_THAT(e, Catch::Contains("snippet:3:"));
  CHECK_THAT(e, Catch::Contains("'loss'"));
  CHECK_THAT(e, Catch::Contains("NaN"));
  e = lua.error("ntk.io.write_jsonl(path, {runs = {{loss = 1}, {loss = 1/0}}})");
  CHECK_THAT(e, Catch::Contains("'runs[2].loss'"));
  e = lua.error("ntk.io.write_jsonl(path, {m = ntk.matrix{{1, 0/0}}})");
  CHECK_THAT(e, Catch::Contains("'m(1,2)'"));
  e = lua.error("ntk.io.write_jsonl(path, {f = print})");
  CHECK_THAT(e, Catch::Contains("'f' is a function"));
  e = lua.error("ntk.io.write_jsonl(path, {1, 2, x = 3})");
  CHECK_THAT(e, Catch::Contains("mixes list entries and the key 'x'"));
  e = lua.error("local t = {}; t.self = t; ntk.io.write_jsonl(path, t)");
  CHECK_THAT(e, Catch::Contains("nests deeper"));
  // Nothing was written by the failed calls.
  CHECK_FALSE(std::filesystem::exists(dir.file("bad.jsonl")));
}

TEST_CASE("JSON text round trips strings, unicode escapes and integers", "[lua][io]") {
  LuaFixture lua;
  lua.ok(R"(
    v = ntk.io.from_json('{"s": "a\\u00e9\\ud83d\\ude00\\t", "big": 9007199254740993, "f": -1.5e-3, "n": null, "l": []}')
    s, big, big_type, f, has_n, l_len = v.s, tostring(v.big), math.type(v.big), v.f, v.n ~= nil, #v.l
    text = ntk.io.to_json({s = "\1\2", x = -0.1})
    ok, err = pcall(ntk.io.from_json, '{"a": [1, 2}')
  )");
  CHECK(lua.string("s") == "a\xC3\xA9\xF0\x9F\x98\x80\t");
  CHECK(lua.string("big") == "9007199254740993");  // an integer, not rounded to a double
  CHECK(lua.string("big_type") == "integer");
  CHECK(lua.number("f") == -1.5e-3);
  CHECK_FALSE(lua.boolean("has_n"));
  CHECK(lua.number("l_len") == 0);
  CHECK(lua.string("text") == "{\"s\":\"\\u0001\\u0002\",\"x\":-0.1}");
  CHECK_FALSE(lua.boolean("ok"));
  CHECK_THAT(lua.string("err"),
             Catch::Contains("from_json(): parse_json(): unexpected '}'; expected ']' (in array) at "
                             "line 1, column 12"));
}

TEST_CASE("JSON keeps Lua integers and floats apart, exactly", "[lua][io]") {
  LuaFixture lua;
  lua.ok(R"(
    text = ntk.io.to_json({i = 3, f = 3.0, max = math.maxinteger, min = math.mininteger,
                           odd = 9007199254740993, third = 1/3})
    v = ntk.io.from_json(text)
    types = math.type(v.i) .. " " .. math.type(v.f) .. " " .. math.type(v.max) .. " " ..
            math.type(v.odd) .. " " .. math.type(v.third)
    exact = v.max == math.maxinteger and v.min == math.mininteger and v.odd == 9007199254740993
            and v.third == 1/3
    -- Beyond Lua's integers: the nearest float.
    huge = ntk.io.from_json("18446744073709551615")
    huge_type = math.type(huge)
  )");
  CHECK(lua.string("text") ==
        "{\"f\":3.0,\"i\":3,\"max\":9223372036854775807,\"min\":-9223372036854775808,"
        "\"odd\":9007199254740993,\"third\":0.3333333333333333}");
  CHECK(lua.string("types") == "integer float integer integer float");
  CHECK(lua.boolean("exact"));
  CHECK(lua.string("huge_type") == "float");
  CHECK(lua.number("huge") == 0x1p64);
  // JSON text is UTF-8: a string of other bytes is refused, naming the key.
  const std::string e = lua.error("ntk.io.to_json({run = {name = 'caf\\233'}})");
  CHECK_THAT(e, Catch::Contains("to_json(): value at 'run.name' is not UTF-8 text"));
}

TEST_CASE("ntk.clock is a non-decreasing number of seconds", "[lua][io]") {
  LuaFixture lua;
  lua.ok(R"(
    t0 = ntk.clock()
    local s = 0
    for i = 1, 100000 do s = s + i end
    t1 = ntk.clock()
  )");
  CHECK(lua.number("t1") >= lua.number("t0"));
  CHECK(lua.number("t0") > 0);
}
