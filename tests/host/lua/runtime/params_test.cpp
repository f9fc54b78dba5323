// ntk.params (lua/params.hpp): types from the defaults, --set texts converted and checked,
// unknown keys refused with the declared list; declare-only reading of a script; and `require`
// of scripts/lib from a script elsewhere.
#include <unistd.h>

#include <sstream>

#include "../lua_fixture.hpp"
#include "ntk/sdk/error.hpp"

using namespace ntk::lua;
using ntk::lua::test::LuaFixture;
using ntk::lua::test::TempDir;
using ntk::lua::test::write_text;

namespace {

const char* kDeclare = R"(
  p = ntk.params{sigma2 = {1.0, "initialisation variance"}, width = {1000, "hidden width"},
                 dataset = {"mnist", "data set", choices = {"mnist", "cifar"}},
                 widths = {{64, 256}, "widths"}, plot = {true, "draw"},
                 lr = {1, "step size", type = "number"}}
)";

}  // namespace

TEST_CASE("ntk.params: defaults when nothing is given, with their Lua types", "[lua][params]") {
  LuaFixture lua;
  lua.ok(kDeclare);
  lua.ok(R"(
    sigma2, sigma2_type = p.sigma2, math.type(p.sigma2)
    width, width_type = p.width, math.type(p.width)
    dataset, widths, plot = p.dataset, table.concat(p.widths, ","), p.plot
    lr, mode = p.lr, tostring(p.mode)
  )");
  CHECK(lua.number("sigma2") == 1.0);
  CHECK(lua.string("sigma2_type") == "float");
  CHECK(lua.number("width") == 1000);
  CHECK(lua.string("width_type") == "integer");
  CHECK(lua.string("dataset") == "mnist");
  CHECK(lua.string("widths") == "64,256");
  CHECK(lua.boolean("plot"));
  CHECK(lua.number("lr") == 1);
  CHECK(lua.string("mode") == "nil");  // host names appear only when given
}

TEST_CASE("ntk.params: given texts are converted to the declared types", "[lua][params]") {
  LuaFixture lua({{"sigma2", "0.25"}, {"width", "2e3"}, {"dataset", "cifar"},
                  {"widths", "8, 16,0.5"}, {"plot", "0"}, {"lr", "3"}, {"seed", "17"},
                  {"mode", "job"}, {"out", "x.jsonl"}});
  lua.ok(kDeclare);
  lua.ok(R"(
    sigma2, width, width_type = p.sigma2, p.width, math.type(p.width)
    dataset, plot, lr, lr_type = p.dataset, p.plot, p.lr, math.type(p.lr)
    w1, w2, w3, n, w1_type = p.widths[1], p.widths[2], p.widths[3], #p.widths, math.type(p.widths[1])
    seed, seed_type, mode, out = p.seed, math.type(p.seed), p.mode, p.out
  )");
  CHECK(lua.number("sigma2") == 0.25);
  CHECK(lua.number("width") == 2000);
  CHECK(lua.string("width_type") == "integer");
  CHECK(lua.string("dataset") == "cifar");
  CHECK_FALSE(lua.boolean("plot"));
  CHECK(lua.number("lr") == 3);
  CHECK(lua.string("lr_type") == "integer");  // an integer numeral stays one, like tonumber
  CHECK(lua.number("n") == 3);
  CHECK(lua.number("w1") == 8);
  CHECK(lua.number("w2") == 16);
  CHECK(lua.number("w3") == 0.5);
  CHECK(lua.string("w1_type") == "integer");
  CHECK(lua.number("seed") == 17);  // set by ntklab, passed through undeclared
  CHECK(lua.string("seed_type") == "integer");
  CHECK(lua.string("mode") == "job");
  CHECK(lua.string("out") == "x.jsonl");
}

TEST_CASE("ntk.params: unknown keys and wrong types name the key, the value and the type",
          "[lua][params]") {
  const auto error_for = [](const ScriptParams& given) {
    LuaFixture lua(given);
    return lua.error(kDeclare);
  };
  CHECK_THAT(error_for({{"w_std", "0.5"}}),
             Catch::Contains("ntk.params: --set w_std=0.5: unknown parameter 'w_std' "
                             "(declared: dataset, lr, plot, sigma2, width, widths)"));
  CHECK_THAT(error_for({{"width", "abc"}}),
             Catch::Contains("--set width=abc: parameter 'width' must be an integer, got 'abc'"));
  CHECK_THAT(error_for({{"width", "1.5"}}),
             Catch::Contains("parameter 'width' must be an integer, got '1.5'"));
  CHECK_THAT(error_for({{"sigma2", "big"}}),
             Catch::Contains("parameter 'sigma2' must be a number, got 'big'"));
  CHECK_THAT(error_for({{"sigma2", "inf"}}),
             Catch::Contains("parameter 'sigma2' must be a number, got 'inf'"));
  CHECK_THAT(error_for({{"plot", "yes"}}),
             Catch::Contains("parameter 'plot' must be a boolean (true, false, 1 or 0), got 'yes'"));
  CHECK_THAT(error_for({{"widths", "1,,2"}}),
             Catch::Contains("parameter 'widths' must be a list of numbers"));
  CHECK_THAT(error_for({{"dataset", "svhn"}}),
             Catch::Contains("parameter 'dataset' must be one of mnist, cifar, got 'svhn'"));
}

TEST_CASE("ntk.params: malformed declarations are refused", "[lua][params]") {
  LuaFixture lua;
  CHECK_THAT(lua.error("ntk.params{n = 3}"),
             Catch::Contains("parameter 'n': expected {default, \"doc\"}, got a number"));
  CHECK_THAT(lua.error("ntk.params{n = {3}}"),
             Catch::Contains("parameter 'n': the second item must be its one-line doc"));
  CHECK_THAT(lua.error("ntk.params{n = {3, 'count', kind = 1}}"),
             Catch::Contains("parameter 'n': unknown field 'kind'"));
  CHECK_THAT(lua.error("ntk.params{n = {1.5, 'x', type = 'integer'}}"),
             Catch::Contains("the default 1.5 is not of type integer"));
  CHECK_THAT(lua.error("ntk.params{n = {'a', 'x', choices = {'b'}}}"),
             Catch::Contains("the default 'a' is not one of its choices"));
  CHECK_THAT(lua.error("ntk.params{n = {{}, 'x'}}"),
             Catch::Contains("a list default needs at least one number"));
  lua.ok("ntk.params{n = {1, 'x'}}");
  CHECK_THAT(lua.error("ntk.params{n = {1, 'x'}}"), Catch::Contains("already declared"));
}

TEST_CASE("check_parameter and describe_parameters (what run --help and batch use)",
          "[lua][params]") {
  ParamDeclaration d(2);
  d[0].name = "dataset";
  d[0].type = ParamType::string;
  d[0].default_text = "mnist";
  d[0].doc = "data set";
  d[0].choices = {"mnist", "cifar"};
  d[1].name = "width";
  d[1].type = ParamType::integer;
  d[1].default_text = "1000";
  d[1].doc = "hidden width";
  CHECK_NOTHROW(check_parameter(d, "width", "64"));
  CHECK_NOTHROW(check_parameter(d, "seed", "12345"));  // ntklab's own
  CHECK_THROWS_WITH(check_parameter(d, "w_std", "1"),
                    "unknown parameter 'w_std' (declared: dataset, width)");
  CHECK_THROWS_WITH(check_parameter(d, "width", "wide"),
                    "parameter 'width' must be an integer, got 'wide'");
  CHECK(describe_parameters(d) ==
        "  name     type     default  description\n"
        "  dataset  string   \"mnist\"  data set (one of mnist, cifar)\n"
        "  width    integer  1000     hidden width\n");
}

TEST_CASE("read_script_parameters stops at ntk.params; undeclared scripts are not run",
          "[lua][params]") {
  TempDir dir("declare");
  ntk::host::PluginRegistry registry;
  ntk::host::RegistrySource source(registry);
  const std::string marker = dir.file("ran.txt");

  write_text(dir.file("declared.lua"),
             "local helper = 1\n"
             "local p = ntk.params{n = {3, 'count'}, name = {'relu', 'activation'}}\n"
             "io.open('" + marker + "', 'w'):close()\n"
             "error('the experiment must not run')\n");
  const ScriptParameters declared = read_script_parameters(dir.file("declared.lua"), source);
  CHECK(declared.declared);
  REQUIRE(declared.parameters.size() == 2);
  CHECK(declared.parameters[0].name == "n");
  CHECK(declared.parameters[0].type == ParamType::integer);
  CHECK(declared.parameters[0].default_text == "3");
  CHECK(declared.parameters[1].name == "name");
  CHECK(declared.parameters[1].doc == "activation");
  CHECK_FALSE(std::filesystem::exists(marker));

  write_text(dir.file("old.lua"), "io.open('" + marker + "', 'w'):close()\n");
  CHECK_FALSE(read_script_parameters(dir.file("old.lua"), source).declared);
  CHECK_FALSE(std::filesystem::exists(marker));

  write_text(dir.file("broken.lua"), "local x = nil + 1\nntk.params{}\n");
  CHECK_THROWS_WITH(read_script_parameters(dir.file("broken.lua"), source),
                    Catch::Contains("broken.lua:1: attempt to perform arithmetic on a nil value"));
}

TEST_CASE("require finds scripts/lib from a script in another directory, any working directory",
          "[lua][params][require]") {
  TempDir dir("require");
  write_text(dir.file("elsewhere.lua"),
             "local ex = require('experiment')\n"
             "local lib = require('lib.experiment')\n"
             "assert(ex.fit_loglog and ex.mean({1, 2, 6}) == 3, 'scripts/lib/experiment.lua')\n"
             "ntk.io.write_jsonl('" + dir.file("out.jsonl") + "', {ok = true})\n");
  const auto previous = std::filesystem::current_path();
  std::filesystem::current_path(dir.path);  // not the repository
  ntk::host::PluginRegistry registry;
  ntk::host::RegistrySource source(registry);
  std::ostringstream err;
  const int status = run_script(dir.file("elsewhere.lua"), {}, source, err);
  std::filesystem::current_path(previous);
  INFO(err.str());
  CHECK(status == 0);
  CHECK(ntk::lua::test::read_text(dir.file("out.jsonl")) == "{\"ok\":true}\n");
}
