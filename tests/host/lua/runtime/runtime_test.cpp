// run_script and new_state: FILE:LINE messages with a traceback, C++ exceptions at the
// caller's line, syntax errors, and the `params` table.
#include <sstream>

#include "../lua_fixture.hpp"

using namespace ntk::lua;
using ntk::lua::test::LuaFixture;
using ntk::lua::test::script_path;

namespace {
struct Result {
  int status;
  std::string err;
};
Result run_file(const std::string& name, const ScriptParams& params = {}) {
  ntk::host::PluginRegistry registry;
  std::ostringstream err;
  ntk::host::RegistrySource source(registry);
  const int status = run_script(script_path(name), params, source, err);
  return {status, err.str()};
}
}  // namespace

TEST_CASE("a binding's argument error reports the script's FILE:LINE and a traceback",
          "[lua][runtime]") {
  const Result r = run_file("bad_index.lua");
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Catch::Contains("bad_index.lua:3: get(): row index 3 is out of range"));
  CHECK_THAT(r.err, Catch::Contains("stack traceback:"));
}

TEST_CASE("a C++ exception inside a binding becomes a Lua error at the caller's line",
          "[lua][runtime]") {
  const Result r = run_file("shape_mismatch.lua");
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Catch::Contains("shape_mismatch.lua:6: ntk.matrix *: cannot multiply 2 x 3 by 2 x 3"));
  CHECK_THAT(r.err, Catch::Contains("stack traceback:"));
  CHECK_THAT(r.err, Catch::Contains("shape_mismatch.lua:9:"));  // the call of multiply()
}

TEST_CASE("Lua errors and syntax errors report FILE:LINE", "[lua][runtime]") {
  Result r = run_file("lua_error.lua");
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Catch::Contains("lua_error.lua:4: boom from lua"));
  CHECK_THAT(r.err, Catch::Contains("lua_error.lua:6:"));

  r = run_file("syntax_error.lua");
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Catch::Contains("syntax_error.lua:2:"));

  r = run_file("does_not_exist.lua");
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Catch::Contains("cannot open"));
  CHECK_THAT(r.err, Catch::Contains("does_not_exist.lua"));
}

TEST_CASE("a script that succeeds returns 0 and sees params and its own directory",
          "[lua][runtime]") {
  ntk::lua::test::TempDir dir("runtime");
  const std::string out = dir.file("sub/params.jsonl");
  const Result r = run_file("params_ok.lua", {{"n", "3"}, {"lr", "1e-3"}, {"name", "relu"},
                                              {"out", out}});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.err.empty());
  CHECK(ntk::lua::test::read_text(out) ==
        "{\"helper\":42,\"lr\":0.001,\"n\":3,\"name\":\"relu\"}\n");
}

TEST_CASE("params: values that parse completely as numbers become numbers", "[lua][runtime]") {
  LuaFixture lua({{"n", "3"},      {"lr", "1e-3"},  {"neg", "-2.5"}, {"hex", "0x10"},
                  {"word", "abc"}, {"mixed", "3x"}, {"empty", ""},   {"spaced", " 7 "}});
  lua.ok(R"(
    n_type, lr_type = math.type(params.n), math.type(params.lr)
    n, lr, neg, hex, spaced = params.n, params.lr, params.neg, params.hex, params.spaced
    word, mixed, empty = params.word, params.mixed, params.empty
  )");
  CHECK(lua.string("n_type") == "integer");
  CHECK(lua.string("lr_type") == "float");
  CHECK(lua.number("n") == 3);
  CHECK(lua.number("lr") == 1e-3);
  CHECK(lua.number("neg") == -2.5);
  CHECK(lua.number("hex") == 16);
  CHECK(lua.number("spaced") == 7);
  CHECK(lua.string("word") == "abc");
  CHECK(lua.string("mixed") == "3x");
  CHECK(lua.string("empty") == "");
}

TEST_CASE("the ntk module is a global and require('ntk') returns it", "[lua][runtime]") {
  LuaFixture lua;
  lua.ok(R"(
    same = require("ntk") == ntk
    has = type(ntk.matrix) == "table" and type(ntk.io) == "table" and type(ntk.arch) == "function"
  )");
  CHECK(lua.boolean("same"));
  CHECK(lua.boolean("has"));
}

TEST_CASE("errors raised from protected Lua calls keep the state usable", "[lua][runtime]") {
  LuaFixture lua;
  lua.ok(R"(
    ok, message = pcall(function() return ntk.matrix(2, 2) * ntk.matrix(3, 3) end)
    after = ntk.matrix{{1, 2}} * ntk.matrix{{3}, {4}}
    value = after:get(1, 1)
  )");
  CHECK_FALSE(lua.boolean("ok"));
  CHECK_THAT(lua.string("message"), Catch::Contains("cannot multiply 2 x 2 by 3 x 3"));
  CHECK(lua.number("value") == 11);
}
