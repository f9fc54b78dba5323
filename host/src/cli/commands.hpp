// The ntklab commands. Each command lives in its own file and describes itself with a Command;
// main.cpp holds the table (a new command, e.g. `batch`, adds one file and one table entry).
//
// Exit status: 0 success, 1 failure (an error, a failing check), 2 misuse of the command line.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "cli/args.hpp"
#include "plugin/registry.hpp"

namespace ntk::cli {

// Flags every command accepts, before or after the command name.
struct GlobalOptions {
  std::vector<std::string> plugin_paths;  // --plugin-path DIR, in order
};

struct Command {
  std::string name;      // "run"
  std::string synopsis;  // "FILE.lua [--set KEY=VALUE]..."
  std::string summary;   // one line for `ntklab --help`
  std::string help;      // a paragraph for `ntklab COMMAND --help`
  std::vector<FlagSpec> flags;
  int (*run)(const ParsedArgs& args, const GlobalOptions& global);
  // True for the commands that take a script (run, batch): `COMMAND SCRIPT --help` calls `run`
  // with ParsedArgs::help set, so it can describe the script's parameters.
  bool script_help = false;
};

const Command& run_command();
const Command& plugins_command();
const Command& check_plugin_command();

// The flags shared by all commands (--plugin-path, --help).
const std::vector<FlagSpec>& global_flags();

// Loads the plugins of the default directories plus --plugin-path; a plugin that fails to load,
// and a directory that does not exist or holds no ntk_*.so, is reported on `err` as a warning
// (the others stay usable). Returns the load errors (not the directory warnings).
std::vector<std::string> discover_plugins(host::PluginRegistry& registry,
                                          const GlobalOptions& global, std::ostream& err);

// Lists the plugin files of the same directories without loading them: `ntklab run` loads
// ntk_NAME.so when the script calls ntk.arch("NAME") (host::RegistrySource). Directories and
// files others may write to are skipped, with a warning on `err` (as discover_plugins does).
void index_plugins(host::PluginRegistry& registry, const GlobalOptions& global,
                   std::ostream& err);

// "1.0 (gcc-12/armadillo-11.4)"
std::string sdk_version_text(const sdk::SdkVersion& version);

}  // namespace ntk::cli
