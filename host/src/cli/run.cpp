// `ntklab run FILE.lua [--set KEY=VALUE]...`: runs one Lua experiment script.
#include <filesystem>
#include <iostream>
#include <set>

#include "cli/commands.hpp"
#include "lua/runtime.hpp"
#include "plugin/registry_source.hpp"

namespace ntk::cli {
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
  return lua::run_script(script, params, source, std::cerr) == 0 ? 0 : 1;
}

}  // namespace

const Command& run_command() {
  static const Command command{
      "run",
      "FILE.lua [--set KEY=VALUE]...",
      "run a Lua experiment script",
      "Runs FILE.lua with the `ntk` module. Each --set KEY=VALUE arrives in the global table\n"
      "`params` (values that are numbers arrive as numbers, others as strings). A script error\n"
      "prints FILE:LINE: message and a traceback; the exit status is then 1.",
      {{"--set", "KEY=VALUE", "a script parameter, params.KEY", true}},
      &run_main};
  return command;
}

}  // namespace ntk::cli
