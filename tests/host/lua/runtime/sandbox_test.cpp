// run_script with RunOptions{sandbox = true}: each forbidden thing is a clean Lua error at the
// script's line, while the same script outside the sandbox runs as before; reads and writes in
// the allowed folders work; links and `..` do not lead out. resolve_path / is_inside by hand.
#include <filesystem>
#include <sstream>

#include "../lua_fixture.hpp"
#include "lua/file_access.hpp"

using ntk::lua::RunOptions;
using ntk::lua::test::TempDir;
using ntk::lua::test::write_text;
namespace fs = std::filesystem;

namespace {

struct Outcome {
  int status;
  std::string err;
};

Outcome run_code(const TempDir& dir, const std::string& code, const RunOptions& options) {
  const std::string script = dir.file("main.lua");
  write_text(script, code + "\n");
  ntk::host::PluginRegistry registry;
  ntk::host::RegistrySource source(registry);
  std::ostringstream err;
  const int status = ntk::lua::run_script(script, {}, source, err, options);
  return {status, err.str()};
}

// A sandbox that may read <dir>/in and write <dir>/out.
RunOptions sandbox(const TempDir& dir) {
  fs::create_directories(dir.path / "in");
  fs::create_directories(dir.path / "out");
  return RunOptions{true, {dir.file("in")}, {dir.file("out")}};
}

}  // namespace

TEST_CASE("sandbox: forbidden globals are errors at the script's line, allowed outside",
          "[lua][runtime][sandbox]") {
  TempDir dir("sandbox_globals");
  const RunOptions options = sandbox(dir);
  const std::string secret = dir.file("secret.txt");
  write_text(secret, "password");
  const std::string rows = dir.file("rows_secret.jsonl");
  write_text(rows, "{\"password\": 1}\n");
  const std::string labels = dir.file("labels.idx");  // a valid IDX file: 1 label, value 7
  write_text(labels, std::string("\0\0\x08\x01\0\0\0\x01\x07", 9));
  struct Case {
    std::string code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"local r = os.execute('true')", "main.lua:1: attempt to call a nil value (field 'execute')"},
      {"local r = io.popen('true')", "main.lua:1: attempt to call a nil value (field 'popen')"},
      {"local r = package.loadlib('libc.so.6', 'puts')",
       "main.lua:1: attempt to index a nil value (global 'package')"},
      {"local r = debug.getinfo(1)", "main.lua:1: attempt to index a nil value (global 'debug')"},
      {"local r = require('debug')", "main.lua:1: module 'debug' not found"},
      {"local r = os.getenv('HOME')", "main.lua:1: attempt to call a nil value (field 'getenv')"},
      {"local r = io.open('" + secret + "')",
       "main.lua:1: io.open: reading " + secret + " is not allowed in the sandbox"},
      {"local r = io.lines('" + secret + "')", "main.lua:1: io.lines: reading " + secret},
      {"local r = io.open('" + dir.file("written.txt") + "', 'w')",
       "main.lua:1: io.open: writing " + dir.file("written.txt") + " is not allowed"},
      {"local r = ntk.io.write_jsonl('" + dir.file("rows.jsonl") + "', {a = 1})",
       "main.lua:1: ntk.io.write_jsonl: writing " + dir.file("rows.jsonl") + " is not allowed"},
      {"local r = ntk.io.read_jsonl('" + rows + "')",
       "main.lua:1: ntk.io.read_jsonl: reading " + rows + " is not allowed"},
      {"local r = ntk.matrix{{1}}:save_csv('" + dir.file("m.csv") + "')",
       "main.lua:1: M:save_csv: writing " + dir.file("m.csv") + " is not allowed"},
      {"local r = ntk.data.idx('" + labels + "')",
       "main.lua:1: ntk.data.idx: reading " + labels + " is not allowed"},
      {"local r = collectgarbage('stop')", "main.lua:1: collectgarbage('stop') is not available"},
      {"local r = loadfile('" + secret + "')", ""},  // returns nil, message: checked below
  };
  for (const Case& c : cases) {
    INFO(c.code);
    const Outcome inside = run_code(dir, c.code, options);
    if (c.message.empty()) continue;
    CHECK(inside.status == 1);
    CHECK_THAT(inside.err, Catch::Contains(c.message));
    const Outcome outside = run_code(dir, c.code, RunOptions{});
    INFO(outside.err);
    CHECK(outside.status == 0);
  }
  const Outcome loadfile = run_code(
      dir, "local f, why = loadfile('" + secret + "'); assert(f == nil); error(why)", options);
  CHECK_THAT(loadfile.err, Catch::Contains("loadfile: reading " + secret + " is not allowed"));
}

TEST_CASE("sandbox: reads under --allow-read, writes under --allow-write; no way out",
          "[lua][runtime][sandbox]") {
  TempDir dir("sandbox_files");
  const RunOptions options = sandbox(dir);
  write_text(dir.file("in/data.csv"), "1,2\n3,4\n");
  write_text(dir.file("secret.txt"), "password");
  fs::create_symlink(dir.file("secret.txt"), dir.file("in/link.txt"));
  fs::create_symlink(dir.path, dir.file("out/up"));                      // a folder link out
  fs::create_symlink(dir.file("made_by_link.txt"), dir.file("out/dangling"));  // leads nowhere

  const Outcome ok = run_code(dir,
                              "local m = ntk.io.load_csv('" + dir.file("in/data.csv") + "')\n"
                              "assert(m:get(2, 1) == 3)\n"
                              "local f = assert(io.open('" + dir.file("out/copy.txt") + "', 'w'))\n"
                              "f:write(io.open('" + dir.file("in/data.csv") + "'):read('a'))\n"
                              "f:close()\n"
                              "ntk.io.write_jsonl('" + dir.file("out/new/rows.jsonl") + "', {n = 2})\n"
                              "assert(ntk.io.read_jsonl('" + dir.file("out/new/rows.jsonl") + "')[1].n == 2)\n"
                              "assert(io.open('" + dir.file("out/copy.txt") + "'):read('l') == '1,2')",
                              options);
  INFO(ok.err);
  CHECK(ok.status == 0);
  CHECK(ntk::lua::test::read_text(dir.file("out/copy.txt")) == "1,2\n3,4\n");

  for (const std::string& path :
       {dir.file("in/link.txt"), dir.file("in/../secret.txt"), dir.file("out/up/secret.txt")}) {
    const Outcome r = run_code(dir, "local f = io.open('" + path + "')", options);
    CHECK(r.status == 1);
    CHECK_THAT(r.err, Catch::Contains("io.open: reading " + path + " is not allowed"));
  }
  for (const std::string& path : {dir.file("out/dangling"), dir.file("out/up/escaped.txt"),
                                  dir.file("out/new_dir/../../escaped.txt")}) {
    const Outcome r = run_code(dir, "local f = io.open('" + path + "', 'w')", options);
    CHECK(r.status == 1);
    CHECK_THAT(r.err, Catch::Contains("io.open: writing " + path + " is not allowed"));
  }
  CHECK_FALSE(fs::exists(dir.file("made_by_link.txt")));
  CHECK_FALSE(fs::exists(dir.file("escaped.txt")));
}

TEST_CASE("sandbox: require loads from the script's folder only; what stays available",
          "[lua][runtime][sandbox]") {
  TempDir dir("sandbox_require");
  const RunOptions options = sandbox(dir);
  write_text(dir.file("helper.lua"), "return {value = 7}\n");
  const Outcome r = run_code(dir,
                             "assert(require('helper').value == 7)\n"
                             "assert(require('ntk') == ntk and require('string') == string)\n"
                             "assert(string.dump == nil and ('').dump == nil)\n"
                             "assert(getmetatable(ntk.matrix{{1}}) == 'locked in the sandbox')\n"
                             "assert(_G == _ENV and _G.os.execute == nil and _G.io.popen == nil)\n"
                             "assert(math.floor(2.5) == 2 and table.concat({1, 2}, ',') == '1,2')\n"
                             "assert(utf8.char(72) == 'H' and type(os.time()) == 'number')\n"
                             "assert(coroutine.wrap(function() coroutine.yield(5) end)() == 5)\n"
                             "assert(load('return 1 + 1')() == 2)\n"
                             "assert(collectgarbage('count') > 0)\n"
                             "assert(pcall(require, 'os') and require('os').execute == nil)",
                             options);
  INFO(r.err);
  CHECK(r.status == 0);

  const Outcome moved = run_code(
      dir, "package = nil; local ok, e = pcall(require, 'nonexistent'); error(e)", options);
  CHECK_THAT(moved.err, Catch::Contains("module 'nonexistent' not found"));
}

TEST_CASE("sandbox: an --allow-read that is not a directory is an error", "[lua][runtime][sandbox]") {
  TempDir dir("sandbox_bad_dir");
  const Outcome r = run_code(dir, "print(1)", RunOptions{true, {dir.file("missing")}, {}});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Catch::Contains("--allow-read " + dir.file("missing") + ": not a directory"));
}

TEST_CASE("resolve_path and is_inside, by hand", "[lua][runtime][sandbox]") {
  TempDir dir("sandbox_resolve");
  const std::string root = fs::canonical(dir.path).string();
  fs::create_directories(dir.path / "a");
  fs::create_symlink(dir.path / "a", dir.path / "to_a");
  CHECK(ntk::lua::resolve_path(dir.file("a/new.txt")) == root + "/a/new.txt");
  CHECK(ntk::lua::resolve_path(dir.file("to_a/x/y.txt")) == root + "/a/x/y.txt");
  CHECK(ntk::lua::resolve_path(dir.file("a/../a/z")) == root + "/a/z");  // `..` over real dirs
  CHECK(ntk::lua::resolve_path(dir.file("a/missing/../z")).empty());     // `..` after a new dir
  CHECK(ntk::lua::resolve_path("").empty());
  CHECK(ntk::lua::is_inside("/data/run", "/data"));
  CHECK(ntk::lua::is_inside("/data", "/data"));
  CHECK_FALSE(ntk::lua::is_inside("/database", "/data"));
  CHECK(ntk::lua::is_inside("/x", "/"));
}
