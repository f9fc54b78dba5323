// The ntklab command line, run as a user runs it: exit status and what it prints.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <regex>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;

namespace {

struct Result {
  int status = -1;
  std::string output;  // stdout and stderr together
};

std::string ntklab_path() {
  const char* build = std::getenv("NTKLAB_BUILD_DIR");
  REQUIRE(build != nullptr);
  return std::string(build) + "/bin/ntklab";
}

// Runs `ENV ntklab ARGS` through the shell.
Result ntklab(const std::string& args, const std::string& env = "") {
  const std::string command = env + " '" + ntklab_path() + "' " + args + " 2>&1";
  Result result;
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  std::size_t got = 0;
  while ((got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, got);
  const int status = pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// A scratch folder for scripts, removed at exit.
struct Scratch {
  fs::path dir = fs::temp_directory_path() / ("ntk_cli_test_" + std::to_string(getpid()));
  Scratch() { fs::create_directories(dir); }
  ~Scratch() { fs::remove_all(dir); }
  std::string write(const std::string& name, const std::string& text) const {
    const fs::path path = dir / name;
    std::ofstream(path) << text;
    return path.string();
  }
};
const Scratch scratch;

bool cpu_has_avx512f() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line))
    if (line.rfind("flags", 0) == 0) return line.find(" avx512f") != std::string::npos;
  return false;
}

const std::string good_plugins = NTK_GOOD_PLUGINS;

}  // namespace

TEST_CASE("--version and --help", "[cli]") {
  const auto version = ntklab("--version");
  CHECK(version.status == 0);
  CHECK_THAT(version.output, Catch::StartsWith("ntklab 0.1.0\nSDK 4.0 ("));
  CHECK_THAT(version.output, Catch::Contains("BLAS OpenBLAS, core "));
  const auto help = ntklab("--help");
  CHECK(help.status == 0);
  CHECK_THAT(help.output, Catch::StartsWith("usage: ntklab"));
  for (const char* command : {"run", "plugins", "check-plugin", "--plugin-path"})
    CHECK_THAT(help.output, Catch::Contains(command));
  const auto run_help = ntklab("help run");
  CHECK(run_help.status == 0);
  CHECK_THAT(run_help.output, Catch::Contains("usage: ntklab run FILE.lua [--set KEY=VALUE]..."));
  CHECK(ntklab("run --help").output == run_help.output);
  CHECK(ntklab("run -h").output == run_help.output);
  CHECK(ntklab("plugins --help").status == 0);
}

// `COMMAND SCRIPT --help` is the script's help: the command runs with ParsedArgs::help set and
// looks at the script (here missing) instead of printing the command's usage.
TEST_CASE("run/batch SCRIPT --help reach the command", "[cli]") {
  const std::string missing = (scratch.dir / "missing.lua").string();
  for (const char* command : {"run ", "batch "}) {
    const auto result = ntklab(command + missing + " --help");
    INFO(result.output);
    CHECK(result.status == 1);
    CHECK_THAT(result.output, Catch::Contains("missing.lua: file not found"));
    CHECK_THAT(result.output, !Catch::Contains("usage: ntklab"));
  }
  // Other commands print their usage whatever else is given.
  const auto plot = ntklab("plot somewhere --help");
  CHECK(plot.status == 0);
  CHECK_THAT(plot.output, Catch::StartsWith("usage: ntklab plot"));
}

TEST_CASE("misuse exits with 2, a message and the usage", "[cli]") {
  const auto unknown = ntklab("frobnicate");
  CHECK(unknown.status == 2);
  CHECK_THAT(unknown.output, Catch::StartsWith("ntklab: unknown command 'frobnicate'\n"));
  CHECK_THAT(unknown.output, Catch::Contains("usage: ntklab"));

  const auto flag = ntklab("--frobnicate plugins");
  CHECK(flag.status == 2);
  CHECK_THAT(flag.output, Catch::StartsWith("ntklab: unknown option '--frobnicate'\n"));

  const auto command_flag = ntklab("run x.lua --frobnicate");
  CHECK(command_flag.status == 2);
  CHECK_THAT(command_flag.output, Catch::StartsWith("ntklab run: unknown option '--frobnicate'\n"));
  CHECK_THAT(command_flag.output, Catch::Contains("usage: ntklab run"));

  CHECK(ntklab("").status == 2);
  CHECK(ntklab("run").status == 2);
  CHECK(ntklab("run a.lua b.lua").status == 2);
  CHECK(ntklab("run x.lua --set novalue").status == 2);
  CHECK(ntklab("run x.lua --set a=1 --set a=2").status == 2);
  CHECK(ntklab("check-plugin").status == 2);
  CHECK(ntklab("check-plugin fc --seed minus").status == 2);
  CHECK(ntklab("plugins extra").status == 2);

  // The parser's own messages (CLI11 underneath, our words on top).
  const auto missing_value = ntklab("run x.lua --set");
  CHECK(missing_value.status == 2);
  CHECK_THAT(missing_value.output,
             Catch::StartsWith("ntklab run: option '--set' needs a value KEY=VALUE\n"));
  const auto twice = ntklab("batch x.lua --reps 1 --reps=2");
  CHECK(twice.status == 2);
  CHECK_THAT(twice.output, Catch::StartsWith("ntklab batch: option '--reps' given more than once\n"));
  const auto flag_value = ntklab("batch x.lua --resume=1");
  CHECK(flag_value.status == 2);
  CHECK_THAT(flag_value.output, Catch::StartsWith("ntklab batch: option '--resume' takes no value\n"));
  const auto global_value = ntklab("--plugin-path");
  CHECK(global_value.status == 2);
  CHECK_THAT(global_value.output,
             Catch::StartsWith("ntklab: option '--plugin-path' needs a value DIR\n"));
  const auto unknown_value = ntklab("run x.lua --frobnicate=3");
  CHECK_THAT(unknown_value.output, Catch::StartsWith("ntklab run: unknown option '--frobnicate'\n"));
  CHECK_THAT(ntklab("no-such-command --help").output,
             Catch::StartsWith("ntklab: unknown command 'no-such-command'\n"));
}

TEST_CASE("flags take --name=VALUE and repeat in order; -- ends them", "[cli]") {
  const std::string script =
      scratch.write("order.lua", "print('a=' .. tostring(params.a) .. ' b=' .. tostring(params.b))\n");
  // --set=KEY=VALUE and --set KEY=VALUE, before and after the script, global flags after it.
  const auto ok = ntklab("run --set=a=1 " + script + " --plugin-path=/nonexistent --set b=x");
  INFO(ok.output);
  CHECK(ok.status == 0);
  CHECK_THAT(ok.output, Catch::Contains("a=1 b=x"));
  // After --, "--set" is a (missing) script's name, not a flag.
  const auto ended = ntklab("run -- --set");
  CHECK(ended.status == 1);
  CHECK_THAT(ended.output, Catch::Contains("cannot open script --set: file not found"));
  // -- before the command ends the global flags.
  CHECK(ntklab("--plugin-path /nonexistent -- run " + script).status == 0);
}

TEST_CASE("plugins lists fc with its options, defaults and docs", "[cli]") {
  const auto result = ntklab("plugins");
  INFO(result.output);
  CHECK(result.status == 0);
  // Plain searches, not (.|\n)* regexes: std::regex recurses per character and overflowed the
  // stack on the long listing (the stax plugin prints its layer catalog).
  const std::string& out = result.output;
  CHECK((out.rfind("fc ", 0) == 0 || out.find("\nfc ") != std::string::npos));
  CHECK_THAT(result.output, Catch::Contains("SDK 4.0 ("));
  CHECK_THAT(result.output, Catch::Contains("/plugins/ntk_fc.so"));
  CHECK(std::regex_search(out, std::regex("depth +=  *1 +hidden layers")));
  CHECK(std::regex_search(out, std::regex("activation += \"relu\" +")));
  CHECK_THAT(result.output, Catch::Contains("w_std"));
  CHECK_THAT(result.output, Catch::Contains("b_std"));
}

TEST_CASE("--plugin-path and NTKLAB_PLUGIN_PATH add plugins", "[cli]") {
  const auto flag = ntklab("plugins --plugin-path " + good_plugins);
  CHECK(flag.status == 0);
  CHECK_THAT(flag.output, Catch::Contains("\nlinear 0.1.0\n"));
  CHECK_THAT(flag.output, Catch::Contains("\nlinear_wrong 0.1.0\n"));
  CHECK_THAT(flag.output, Catch::Contains("input_dim = 5"));
  const auto env = ntklab("plugins", "NTKLAB_PLUGIN_PATH=/nonexistent:" + good_plugins);
  CHECK(env.status == 0);
  CHECK_THAT(env.output, Catch::Contains("\nlinear 0.1.0\n"));
  CHECK_THAT(ntklab("plugins").output, !Catch::Contains("ntk_linear.so"));
}

// The kit's matrices are tiny; with OpenMP threads on a loaded 2-core machine the per-call
// parallel regions would only add waiting, so these runs use one thread.
TEST_CASE("check-plugin fc passes and prints each check", "[cli]") {
  const auto result = ntklab("check-plugin fc", "OMP_NUM_THREADS=1");
  INFO(result.output);
  CHECK(result.status == 0);
  CHECK_THAT(result.output, Catch::Contains("conformance of plugin 'fc'"));
  CHECK_THAT(result.output, Catch::Contains("PASS  jacobian vs central finite differences"));
  CHECK_THAT(result.output, Catch::Contains("PASS  Monte-Carlo: mean empirical NTK -> analytic NTK"));
  CHECK_THAT(result.output, Catch::Contains("PASS  analytic kernels PSD"));
  CHECK_THAT(result.output, Catch::Contains(" 0 failed: PASS\n"));

  const auto erf = ntklab("check-plugin fc --option activation=erf --option depth=2 --option b_std=0.2",
                          "OMP_NUM_THREADS=1");
  INFO(erf.output);
  CHECK(erf.status == 0);
  CHECK_THAT(erf.output, Catch::Contains("activation erf"));
}

TEST_CASE("check-plugin by path; a wrong plugin fails with exit status 1", "[cli]") {
  const auto good = ntklab("check-plugin " + good_plugins + "/ntk_linear.so", "OMP_NUM_THREADS=1");
  INFO(good.output);
  CHECK(good.status == 0);
  const auto wrong = ntklab("check-plugin " + good_plugins + "/ntk_linear_wrong.so", "OMP_NUM_THREADS=1");
  INFO(wrong.output);
  CHECK(wrong.status == 1);
  CHECK_THAT(wrong.output, Catch::Contains("FAIL  Monte-Carlo: mean empirical NTK -> analytic NTK"));
  CHECK_THAT(wrong.output, Catch::Contains(" 1 failed: FAIL\n"));
  // Only the Monte-Carlo check can see that the analytic NTK is wrong.
  CHECK(ntklab("check-plugin " + good_plugins + "/ntk_linear_wrong.so --no-monte-carlo").status == 0);
}

TEST_CASE("check-plugin uses the inputs a plugin exports", "[cli]") {
  // The kit's default dense inputs have 5 rows; with input_dim = 3 only the plugin's own fit.
  const auto sampled = ntklab("check-plugin " + good_plugins + "/ntk_linear_sampled.so --option input_dim=3",
                              "OMP_NUM_THREADS=1");
  INFO(sampled.output);
  CHECK(sampled.status == 0);
  const auto plain = ntklab("check-plugin " + good_plugins + "/ntk_linear.so --option input_dim=3 --no-monte-carlo");
  CHECK(plain.status == 1);
  CHECK_THAT(plain.output, Catch::Contains("inputs have 5 rows, the network takes 3"));
}

TEST_CASE("check-plugin errors: unknown name, missing file, bad option", "[cli]") {
  const auto name = ntklab("check-plugin nope");
  CHECK(name.status == 1);
  CHECK_THAT(name.output, Catch::Contains("no plugin named 'nope'; loaded plugins are: "));
  CHECK_THAT(name.output, Catch::Contains("fc"));
  const auto file = ntklab("check-plugin /nonexistent/ntk_x.so");
  CHECK(file.status == 1);
  CHECK_THAT(file.output, Catch::Contains("cannot load plugin /nonexistent/ntk_x.so: file not found"));
  const auto option = ntklab("check-plugin fc --option bogus=1");
  CHECK(option.status == 1);
  CHECK_THAT(option.output, Catch::Contains("creating the architecture failed"));
  CHECK_THAT(option.output, Catch::Contains("unknown option 'bogus'"));
}

TEST_CASE("run: --set values arrive in params, numbers as numbers", "[cli]") {
  const std::string script = scratch.write("params.lua",
                                           "assert(math.type(params.a) == 'integer' or type(params.a) == 'number', 'a is ' .. type(params.a))\n"
                                           "assert(params.a == 3, 'a = ' .. tostring(params.a))\n"
                                           "assert(params.rate == 0.25)\n"
                                           "assert(params.name == 'abc' and type(params.name) == 'string')\n"
                                           "print('params ok')\n");
  const auto ok = ntklab("run " + script + " --set a=3 --set rate=0.25 --set name=abc");
  INFO(ok.output);
  CHECK(ok.status == 0);
  CHECK_THAT(ok.output, Catch::Contains("params ok"));
  const auto text = ntklab("run " + script + " --set a=three --set rate=0.25 --set name=abc");
  CHECK(text.status == 1);
  CHECK_THAT(text.output, Catch::Contains("params.lua:1: a is string"));
}

TEST_CASE("run: a script error exits non-zero with FILE:LINE and a traceback", "[cli]") {
  const std::string script = scratch.write("broken.lua", "local x = 1\nlocal y = nil\nprint(x + y)\n");
  const auto result = ntklab("run " + script);
  CHECK(result.status == 1);
  CHECK_THAT(result.output, Catch::Contains("broken.lua:3: attempt to perform arithmetic on a nil value"));
  CHECK_THAT(result.output, Catch::Contains("stack traceback"));

  // A C++ exception (the registry's) becomes a Lua error at the calling line.
  const std::string arch = scratch.write("arch.lua", "local ok = 1\nlocal a = ntk.arch('nope', {})\n");
  const auto plugin = ntklab("run " + arch);
  CHECK(plugin.status == 1);
  CHECK_THAT(plugin.output, Catch::Contains("arch.lua:2:"));
  CHECK_THAT(plugin.output, Catch::Contains("no plugin named 'nope'"));

  const auto missing = ntklab("run " + (scratch.dir / "missing.lua").string());
  CHECK(missing.status == 1);
  CHECK_THAT(missing.output, Catch::Contains("missing.lua: file not found"));
}

TEST_CASE("OpenBLAS core type: SkylakeX on AVX-512 unless the user chose one", "[cli]") {
  const std::string script =
      scratch.write("blas.lua", "assert(os.getenv('OPENBLAS_CORETYPE') == params.expect, "
                                "tostring(os.getenv('OPENBLAS_CORETYPE')))\n");
  const std::string unset = "env -u OPENBLAS_CORETYPE -u NTKLAB_BLAS_CONFIGURED";
  if (cpu_has_avx512f()) {
    CHECK_THAT(ntklab("--version", unset).output, Catch::Contains("core SkylakeX"));
    CHECK(ntklab("run " + script + " --set expect=SkylakeX", unset).status == 0);
  } else {
    CHECK(ntklab("run " + script + " --set expect=SkylakeX", unset).status == 1);
  }
  // The user's choice is kept, and the BLAS library really uses it.
  CHECK_THAT(ntklab("--version", unset + " OPENBLAS_CORETYPE=Haswell").output,
             Catch::Contains("core Haswell"));
  CHECK(ntklab("run " + script + " --set expect=Haswell", unset + " OPENBLAS_CORETYPE=Haswell").status == 0);
}

TEST_CASE("run: a precompiled (string.dump) script is refused, exit 1, no crash", "[cli]") {
  const std::string chunk = (scratch.dir / "dumped.lua").string();
  const std::string maker = scratch.write(
      "make_dump.lua", "local f = assert(io.open('" + chunk + "', 'wb'))\n"
                       "f:write(string.dump(function() print('ran') end)); f:close()\n");
  REQUIRE(ntklab("run " + maker).status == 0);
  const Result r = ntklab("run " + chunk);
  CHECK(r.status == 1);
  CHECK_THAT(r.output, Catch::Contains(chunk + ": a precompiled Lua chunk (bytecode) is refused"));
  CHECK_THAT(r.output, !Catch::Contains("ran"));
}

TEST_CASE("run --sandbox: forbidden things fail, allowed folders work, limits stop runs",
          "[cli][sandbox]") {
  const fs::path in = scratch.dir / "sandbox_in";
  const fs::path out = scratch.dir / "sandbox_out";
  fs::create_directories(in);
  fs::create_directories(out);
  std::ofstream(in / "x.txt") << "42";
  const std::string allowed = "--allow-read " + in.string() + " --allow-write " + out.string();
  const std::string copy = scratch.write(
      "sandbox_copy.lua", "local v = io.open('" + (in / "x.txt").string() + "'):read('a')\n"
                          "local f = io.open('" + (out / "y.txt").string() + "', 'w')\n"
                          "f:write(v * 2); f:close()\n");
  Result r = ntklab("run --sandbox " + allowed + " " + copy);
  INFO(r.output);
  CHECK(r.status == 0);
  std::string doubled;
  std::ifstream(out / "y.txt") >> doubled;
  CHECK(doubled == "84");

  const std::string spawn = scratch.write("sandbox_spawn.lua", "os.execute('true')\n");
  r = ntklab("run --sandbox " + spawn);
  CHECK(r.status == 1);
  CHECK_THAT(r.output, Catch::Contains("sandbox_spawn.lua:1: attempt to call a nil value "
                                       "(field 'execute')"));
  CHECK(ntklab("run " + spawn).status == 0);  // outside the sandbox, as before

  r = ntklab("run --allow-read " + in.string() + " " + copy);
  CHECK(r.status == 2);
  CHECK_THAT(r.output, Catch::Contains("--allow-read and --allow-write only make sense with "
                                       "--sandbox"));
  CHECK(ntklab("run --sandbox --cpu-seconds 0 " + copy).status == 2);
  CHECK(ntklab("run --sandbox --memory-mb 1 " + copy).status == 2);

  const std::string loop = scratch.write("sandbox_loop.lua", "while true do end\n");
  r = ntklab("run --sandbox --cpu-seconds 1 " + loop);
  CHECK(r.status == 1);
  CHECK_THAT(r.output, Catch::Contains("ntklab: CPU time limit of 1 s reached"));

  const std::string big = scratch.write("sandbox_big.lua",
                                        "local m = ntk.matrix(20000, 20000)\n");  // 3.2 GB
  r = ntklab("run --sandbox --memory-mb 1024 " + big);
  CHECK(r.status == 1);
  CHECK_THAT(r.output, Catch::Contains("sandbox_big.lua:1:"));
}

TEST_CASE("run loads only the plugins a script needs; writable plugin folders are skipped",
          "[cli][plugin]") {
  const std::string uses = scratch.write(
      "uses_linear.lua", "local a = ntk.arch('linear')\nprint(#ntk.plugins() > 0 and 'ok')\n");
  Result r = ntklab("run --plugin-path " + std::string(NTK_GOOD_PLUGINS) + " " + uses);
  INFO(r.output);
  CHECK(r.status == 0);
  CHECK_THAT(r.output, Catch::Contains("ok"));

  const fs::path open_dir = scratch.dir / "world_writable_plugins";
  fs::create_directories(open_dir);
  fs::copy_file(std::string(NTK_GOOD_PLUGINS) + "/ntk_linear.so", open_dir / "ntk_linear.so");
  fs::permissions(open_dir, fs::perms::all);  // 0777
  r = ntklab("run --plugin-path " + open_dir.string() + " " + uses);
  CHECK(r.status == 1);
  CHECK_THAT(r.output, Catch::Contains("plugin directory skipped: " + open_dir.string() +
                                       " is writable by every user (mode 0777)"));
  CHECK_THAT(r.output, Catch::Contains("no plugin named 'linear'"));
  fs::permissions(open_dir, fs::perms::owner_all | fs::perms::group_read |
                                fs::perms::group_exec | fs::perms::others_read |
                                fs::perms::others_exec);
}
