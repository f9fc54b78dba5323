// ntklab: the command-line entry point.
//
//   ntklab [--plugin-path DIR]... COMMAND [ARGS]     (--plugin-path may also follow COMMAND)
//   ntklab --help | --version | help [COMMAND]
//
// Exit status: 0 success, 1 failure, 2 misuse of the command line (message and usage on stderr).
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "cli/batch_command.hpp"
#include "cli/blas_setup.hpp"
#include "cli/commands.hpp"
#include "cli/plot_command.hpp"
#include "core/mpi/comm.hpp"
#include "core/version.hpp"

namespace ntk::cli {
namespace {

// One entry per command; `batch` (issue 4) adds its Command here.
std::vector<const Command*> commands() {
  return {&run_command(), &batch_command(), &plot_command(), &plugins_command(),
          &check_plugin_command()};
}

const Command* find_command(const std::string& name) {
  for (const Command* c : commands())
    if (c->name == name) return c;
  return nullptr;
}

// The global flags before the command, and --version, which only stands there.
const std::vector<FlagSpec>& leading_flags() {
  static const std::vector<FlagSpec> flags = [] {
    std::vector<FlagSpec> out = global_flags();
    out.push_back({"--version", "", "show the versions of ntklab, its SDK and BLAS", false});
    return out;
  }();
  return flags;
}

std::string usage() {
  std::string out =
      "usage: ntklab [--plugin-path DIR]... COMMAND [ARGS]\n"
      "       ntklab --help | --version | help COMMAND\n\ncommands:\n";
  for (const Command* c : commands()) {
    std::string name = c->name;
    name.resize(14, ' ');
    out += "  " + name + " " + c->summary + "\n";
  }
  out += "\nglobal options:\n" + describe_flags(leading_flags()) +
         "\nPlugins are loaded from build/plugins (next to bin/), NTKLAB_PLUGIN_PATH (colon\n"
         "separated) and --plugin-path. `ntklab COMMAND --help` describes a command.\n";
  return out;
}

std::string command_usage(const Command& c) {
  std::vector<FlagSpec> flags = c.flags;
  flags.insert(flags.end(), global_flags().begin(), global_flags().end());
  return "usage: ntklab " + c.name + (c.synopsis.empty() ? "" : " " + c.synopsis) + "\n\n" +
         c.help + "\n\noptions:\n" + describe_flags(flags);
}

// "ntklab run: message" (messages that already name ntklab are kept as they are).
std::string usage_message(const std::string& command, const std::string& message) {
  if (message.rfind("ntklab", 0) == 0) return message;
  return "ntklab " + command + ": " + message;
}

std::string version_text() {
  return "ntklab " + core::ntklab_version() + "\nSDK " + sdk_version_text(sdk::kSdkVersion) +
         "\nBLAS OpenBLAS, core " + blas_core_name() + " (" + blas_config() + ")\n" +
         core::mpi::build_description() + "\n";
}

int dispatch(const std::vector<std::string>& args) {
  GlobalOptions global;
  const ParsedArgs leading = parse_leading_args(args, leading_flags());
  if (leading.has("--help")) {
    std::cout << usage();
    return 0;
  }
  if (leading.has("--version")) {
    std::cout << version_text();
    return 0;
  }
  global.plugin_paths = leading.values("--plugin-path");
  if (leading.positional.empty()) throw UsageError("no command given");
  const std::string name = leading.positional.front();
  const std::vector<std::string> rest(leading.positional.begin() + 1, leading.positional.end());

  if (name == "help") {
    if (rest.empty()) {
      std::cout << usage();
      return 0;
    }
    const Command* c = find_command(rest[0]);
    if (c == nullptr) throw UsageError("unknown command '" + rest[0] + "'");
    std::cout << command_usage(*c);
    return 0;
  }
  const Command* command = find_command(name);
  if (command == nullptr) throw UsageError("unknown command '" + name + "'");

  std::vector<FlagSpec> flags = command->flags;
  flags.insert(flags.end(), global_flags().begin(), global_flags().end());
  ParsedArgs parsed;
  try {
    parsed = parse_args(rest, flags, command->name);
  } catch (const UsageError& e) {
    std::cerr << usage_message(command->name, e.what()) << "\n\n" << command_usage(*command);
    return 2;
  }
  if (parsed.has("--help")) {
    if (!command->script_help || parsed.positional.empty()) {
      std::cout << command_usage(*command);
      return 0;
    }
    parsed.help = true;
  }
  for (const auto& dir : parsed.values("--plugin-path")) global.plugin_paths.push_back(dir);
  try {
    return command->run(parsed, global);
  } catch (const UsageError& e) {
    std::cerr << usage_message(command->name, e.what()) << "\n\n" << command_usage(*command);
    return 2;
  }
}

}  // namespace
}  // namespace ntk::cli

int main(int argc, char** argv) {
  ntk::cli::configure_blas(argv);  // may re-execute this program once; see blas_setup.cpp
  const std::vector<std::string> args(argv + 1, argv + argc);
  try {
    // Under mpirun / srun: one rank of an SPMD run (core/mpi/comm.hpp); otherwise nothing.
    ntk::core::mpi::initialise(argc, argv);
    return ntk::cli::dispatch(args);
  } catch (const ntk::cli::UsageError& e) {
    std::cerr << "ntklab: " << e.what() << "\n\n" << ntk::cli::usage();
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "ntklab: error: " << e.what() << "\n";
    return 1;
  }
}
