// `ntklab run FILE.lua [--set KEY=VALUE]...`: runs one Lua experiment script;
// `ntklab run FILE.lua --help` lists the parameters it declares (ntk.params).
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <chrono>
#include <set>
#include <thread>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/resource_limits.hpp"
#include "cli/script_parameters.hpp"
#include "core/mpi/comm.hpp"
#include "core/progress/switch.hpp"
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

int describe_script(const std::string& script, lua::ArchitectureSource& architectures,
                    const lua::RunOptions& options) {
  lua::ScriptParameters declared;
  try {
    declared = lua::read_script_parameters(script, architectures, options);
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

// --sandbox, --allow-read, --allow-write, --cpu-seconds, --memory-mb. The limits apply whenever
// given; the sandbox sets defaults for those not given. --allow-* without --sandbox is a misuse
// (it would suggest a protection that is not there).
lua::RunOptions sandbox_options(const ParsedArgs& args, ResourceLimits& limits) {
  lua::RunOptions options;
  options.sandbox = args.has("--sandbox");
  options.allow_read = args.values("--allow-read");
  options.allow_write = args.values("--allow-write");
  if (!options.sandbox && (!options.allow_read.empty() || !options.allow_write.empty()))
    throw UsageError("--allow-read and --allow-write only make sense with --sandbox");
  if (options.sandbox) {
    limits.cpu_seconds = kSandboxCpuSeconds;
    limits.memory_mb = kSandboxMemoryMb;
  }
  if (const auto text = args.value("--cpu-seconds")) {
    limits.cpu_seconds = parse_count(*text, "--cpu-seconds");
    if (limits.cpu_seconds == 0) throw UsageError("--cpu-seconds must be at least 1");
  }
  if (const auto text = args.value("--memory-mb")) {
    limits.memory_mb = parse_count(*text, "--memory-mb");
    if (limits.memory_mb < 16 || limits.memory_mb > (1ULL << 30))
      throw UsageError("--memory-mb must be between 16 and 1073741824, got " + *text);
  }
  return options;
}

// One rank of `mpirun -np R ntklab run SCRIPT` (R > 1). An error every rank found together (a
// collective check: mismatched inputs, a grid that does not fit) is printed once, by rank 0, and
// every rank exits with 1. An error of this rank alone is printed with the rank and host, then
// every rank is aborted: the others may be waiting for this one in a collective call, and would
// otherwise wait for ever.
int run_rank(const std::string& script, const lua::ScriptParams& params,
             host::RegistrySource& source, const lua::RunOptions& options) {
  // Progress bars only from rank 0: R copies of one bar would garble the terminal.
  if (core::mpi::rank() != 0) core::progress::set_enabled(false);
  std::ostringstream error;
  if (lua::run_script(script, params, source, error, options) == 0) {
    // A rank still inside a distributed call meets this one here and both report it, instead
    // of waiting for ever (core/mpi/comm.hpp, enter_collective).
    try {
      core::mpi::enter_collective("the end of the script");
      return 0;
    } catch (const std::exception& e) {
      if (core::mpi::rank() == 0) std::cerr << "ntklab run: " << e.what() << "\n" << std::flush;
      return 1;
    }
  }
  if (core::mpi::collective_failure()) {
    if (core::mpi::rank() == 0) std::cerr << error.str() << std::flush;
    return 1;
  }
  // One write: the other ranks' output must not land inside the message.
  std::ostringstream message;
  message << "ntklab run: rank " << core::mpi::rank() << " of " << core::mpi::size() << " (host "
          << core::mpi::host_name() << ") failed; stopping all ranks:\n"
          << error.str();
  std::cerr << message.str() << std::flush;
  // mpirun forwards a rank's stderr asynchronously, and MPI_Abort kills the ranks at once: a
  // moment first, so the message arrives.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  core::mpi::abort_all(1);
}

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

  ResourceLimits limits;
  const lua::RunOptions options = sandbox_options(args, limits);

  std::error_code ec;
  if (!std::filesystem::is_regular_file(script, ec)) {
    std::cerr << "ntklab run: cannot open script " << script
              << (std::filesystem::exists(script, ec) ? ": not a regular file" : ": file not found")
              << "\n";
    return 1;
  }
  host::PluginRegistry registry;
  index_plugins(registry, global, std::cerr);  // each plugin loads when the script needs it
  host::RegistrySource source(registry);
  try {
    apply_resource_limits(limits);
  } catch (const Error& e) {
    std::cerr << "ntklab run: " << e.what() << "\n";
    return 1;
  }
  if (args.help) return describe_script(script, source, options);
  // A batch job's warning would repeat in every job's log: the batch warns once instead.
  const bool job = std::any_of(params.begin(), params.end(), [](const auto& p) {
    return p.first == "mode" && p.second == "job";
  });
  if (!job && core::mpi::writes()) warn_if_undeclared("ntklab run", script);
  if (core::mpi::size() == 1)
    return lua::run_script(script, params, source, std::cerr, options) == 0 ? 0 : 1;
  return run_rank(script, params, source, options);
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
      "A script error prints FILE:LINE: message and a traceback; the exit status is then 1.\n"
      "Scripts load as source text only (precompiled chunks are refused).\n\n"
      "--sandbox runs a script from someone else: an allow-list of globals (no os.execute,\n"
      "io.popen, package.loadlib, debug, os.getenv...), files read only under --allow-read\n"
      "and written only under --allow-write folders (links resolved, no `..` escapes),\n"
      "`require` only from the script's folder and scripts/lib, and limits of 600 s of CPU\n"
      "and 8192 MB of memory unless --cpu-seconds / --memory-mb say otherwise (the CPU time of\n"
      "all threads counts).",
      {{"--set", "KEY=VALUE", "a script parameter (see FILE.lua --help)", true},
       {"--sandbox", "", "run with the sandbox's allow-list of globals and file rules", false},
       {"--allow-read", "DIR", "with --sandbox: the script may read files under DIR", true},
       {"--allow-write", "DIR", "with --sandbox: the script may write (and read) under DIR", true},
       {"--cpu-seconds", "N", "stop the run after N s of CPU time (sandbox default 600)", false},
       {"--memory-mb", "N", "limit the address space to N MB (sandbox default 8192)", false}},
      &run_main,
      /*script_help=*/true};
  return command;
}

}  // namespace ntk::cli
