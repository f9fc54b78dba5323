// Scripts load as text only: a precompiled chunk (string.dump) given as the script, to require,
// load, loadfile or dofile is refused with a message naming the file; source text still loads.
#include <sstream>

#include "../lua_fixture.hpp"

using ntk::lua::test::LuaFixture;
using ntk::lua::test::TempDir;

namespace {

// Writes string.dump of a function returning `value` to `path` (from Lua, as an attacker would).
void write_bytecode(const std::string& path, const std::string& value) {
  LuaFixture lua;
  lua.ok("local f = assert(io.open('" + path + "', 'wb')); f:write(string.dump(function() "
         "return " + value + " end)); f:close()");
}

int run(const std::string& path, std::string& err) {
  ntk::host::PluginRegistry registry;
  ntk::host::RegistrySource source(registry);
  std::ostringstream out;
  const int status = ntk::lua::run_script(path, {}, source, out);
  err = out.str();
  return status;
}

}  // namespace

TEST_CASE("a precompiled script is refused by run_script, naming the file", "[lua][runtime]") {
  TempDir dir("bytecode");
  const std::string chunk = dir.file("chunk.lua");
  write_bytecode(chunk, "42");
  REQUIRE(ntk::lua::test::read_text(chunk).rfind("\x1bLua", 0) == 0);  // really bytecode
  std::string err;
  CHECK(run(chunk, err) == 1);
  CHECK_THAT(err, Catch::Contains(chunk + ": a precompiled Lua chunk (bytecode) is refused"));
}

TEST_CASE("require, loadfile, dofile and load refuse bytecode; text still loads",
          "[lua][runtime]") {
  TempDir dir("bytecode_require");
  write_bytecode(dir.file("compiled.lua"), "{}");
  ntk::lua::test::write_text(dir.file("plain.lua"), "return {answer = 6 * 7}\n");
  ntk::lua::test::write_text(
      dir.file("main.lua"),
      "package.path = '" + dir.path.string() + "/?.lua;' .. package.path\n"
      "local ok, message = pcall(require, 'compiled')\n"
      "assert(not ok and message:find('compiled.lua: a precompiled Lua chunk', 1, true), message)\n"
      "assert(require('plain').answer == 42)\n"
      "local f, why = loadfile('" + dir.file("compiled.lua") + "')\n"
      "assert(f == nil and why:find('precompiled', 1, true), why)\n"
      "f, why = loadfile('" + dir.file("compiled.lua") + "', 'b')\n"  // asking for 'b' changes nothing
      "assert(f == nil, 'loadfile with mode b loaded bytecode')\n"
      "ok, message = pcall(dofile, '" + dir.file("compiled.lua") + "')\n"
      "assert(not ok and message:find('precompiled', 1, true), message)\n"
      "assert(dofile('" + dir.file("plain.lua") + "').answer == 42)\n"
      "f, why = load(string.dump(function() return 1 end), 'dumped', 'b')\n"
      "assert(f == nil and why:find('binary chunk', 1, true), why)\n"
      "assert(load('return 2 + 3')() == 5)\n"
      "local env = {x = 4}\n"
      "assert(load('return x', 'with env', 't', env)() == 4)\n"
      "assert(loadfile('" + dir.file("plain.lua") + "', 't', env)().answer == 42)\n");
  std::string err;
  const int status = run(dir.file("main.lua"), err);
  INFO(err);
  CHECK(status == 0);
}
