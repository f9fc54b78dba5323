// `ntklab run FILE.lua [--set KEY=VALUE]...`: runs one Lua experiment script;
// `ntklab run FILE.lua --help` lists the parameters it declares (ntk.params).
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <set>

#include "cli/commands.hpp"
#include "cli/script_parameters.hpp"
#include "lua/runtime.hpp"
#include "ntk/sdk/error.hpp"
#include "plugin/registry_source.hpp"

namespace ntk::cli {

void warn_if_undeclared(const std::string& command, const std::string& script) {
  if (!lua::mentions_declared_parameters(script))
    std::cerr << command << ": warning: " << script
              << " declares no parameters (no ntk.params call): --set values arrive unchecked "
                 "in `params`\n";
}

int describe_script(const std::string& script, lua::ArchitectureSource& architectures) {
  lua::ScriptParameters declared;
  try {
    declared = lua::read_script_parameters(script, architectures);
  } catch (const Error& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  if (!declared.declared) {
    std::cout << script << " declares no parameters (it does not call ntk.params); --set values "
                           "arrive unchecked in the global `params`.\n";
    return 0;
  }
  std::cout << "parameters of " << script << " (--set NAME=VALUE; in `ntklab batch` also "
            << "--grid NAME=V1,V2,...):\n"
            << lua::describe_parameters(declared.parameters);
  std::string host;
  for (const auto& name : lua::host_parameter_names()) host += (host.empty() ? "" : ", ") + name;
  std::cout << "set by ntklab itself (batch jobs, plot mode): " << host << "\n";
  return 0;
}

namespace {

int run_main(const ParsedArgs& args, const GlobalOptions& global) {
  if (args.positional.size() != 1)
    throw UsageError("expected one script file, got " +
                     std::to_string(args.positional.size()) + " arguments");
  const std::string& script = args.positional[0];

  lua::ScriptParams params;
  std::set<std::string> keys;
  for (const auto& text : args.values("--set")) {
    auto [key, value] = split_key_value(text, "--set");
    if (!keys.insert(key).second) throw UsageError("--set " + key + " is given more than once");
    params.emplace_back(std::move(key), std::move(value));
  }

  std::error_code ec;
  if (!std::filesystem::is_regular_file(script, ec)) {
    std::cerr << "ntklab run: cannot open script " << script
              << (std::filesystem::exists(script, ec) ? ": not a regular file" : ": file not found")
              << "\n";
    return 1;
  }
  host::PluginRegistry registry;
  discover_plugins(registry, global, std::cerr);
  host::RegistrySource source(registry);
  if (args.help) return describe_script(script, source);
  // A batch job's warning would repeat in every job's log: the batch warns once instead.
  const bool job = std::any_of(params.begin(), params.end(), [](const auto& p) {
    return p.first == "mode" && p.second == "job";
  });
  if (!job) warn_if_undeclared("ntklab run", script);
  return lua::run_script(script, params, source, std::cerr) == 0 ? 0 : 1;
}

}  // namespace

const Command& run_command() {
  static const Command command{
      "run",
      "FILE.lua [--set KEY=VALUE]...",
      "run a Lua experiment script",
      "Runs FILE.lua with the `ntk` module. A script declares its parameters with\n"
      "ntk.params{name = {default, \"doc\"}, ...}, which returns their values: --set KEY=VALUE\n"
      "overrides a default, and a key the script does not declare or a value of the wrong type\n"
      "is an error. `ntklab run FILE.lua --help` lists the parameters. A script without\n"
      "ntk.params gets the --set values unchecked in the global `params` (with a warning).\n"
      "A script error prints FILE:LINE: message and a traceback; the exit status is then 1.",
      {{"--set", "KEY=VALUE", "a script parameter (see FILE.lua --help)", true}},
      &run_main,
      /*script_help=*/true};
  return command;
}

}  // namespace ntk::cli
