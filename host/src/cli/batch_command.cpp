// `ntklab batch`: parses the command line, describes the run for the manifest (version,
// plugins, command line) and hands the jobs to core::batch::run_batch.
#include "cli/batch_command.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "cli/plot_command.hpp"
#include "cli/script_parameters.hpp"
#include "core/batch/batch.hpp"
#include "core/batch/limits.hpp"
#include "core/mpi/comm.hpp"
#include "core/version.hpp"
#include "lua/runtime.hpp"
#include "ntk/sdk/error.hpp"
#include "plugin/registry_source.hpp"

namespace ntk::cli {
namespace {

namespace fs = std::filesystem;
using core::batch::Json;

// The exact argv of this process (for the manifest), from /proc/self/cmdline.
Json command_line() {
  Json list = Json::array();
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string arg;
  while (std::getline(in, arg, '\0')) list.push_back(arg);
  return list;
}

// The batch's --set and --grid against the script's declaration (names, then every value).
void check_batch_parameters(const lua::ParamDeclaration& declaration,
                            const core::batch::BatchOptions& options) {
  for (const auto& [name, value] : options.constants) {
    try {
      lua::check_parameter(declaration, name, value);
    } catch (const Error& e) {
      throw_error("--set ", name, "=", value, ": ", e.what());
    }
  }
  for (const auto& axis : options.grid) {
    for (const auto& value : axis.values) {
      try {
        lua::check_parameter(declaration, axis.name, value);
      } catch (const Error& e) {
        throw_error("--grid ", axis.name, ": ", e.what());
      }
    }
  }
}

// A --job-timeout value: a finite number of seconds > 0 ("1", "0.5", "90").
double parse_seconds(const std::string& text, const std::string& flag) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end == nullptr || *end != '\0' || !std::isfinite(value) || value <= 0)
    throw UsageError(flag + " must be a number of seconds > 0, got '" + text + "'");
  return value;
}

std::string this_executable() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw Error("ntklab batch: cannot find this program's path (/proc/self/exe): " + ec.message());
  return exe.string();
}

Json plugin_list(const host::PluginRegistry& registry) {
  Json list = Json::array();
  for (const auto* plugin : registry.list()) {
    Json entry = Json::object();
    entry.set("name", plugin->info.name);
    entry.set("version", plugin->info.version);
    entry.set("sdk", sdk_version_text(plugin->sdk_version));
    entry.set("path", plugin->path);
    list.push_back(std::move(entry));
  }
  return list;
}

// Reads and checks the command line into `options`. Returns the exit status when the batch is
// not to run (--help, or an error, printed on `err`), nothing when it is. Throws UsageError.
std::optional<int> prepare_batch(const ParsedArgs& args, const GlobalOptions& global,
                                 core::batch::BatchOptions& options, std::ostream& err) {
  if (args.positional.size() != 1)
    throw UsageError("ntklab batch: expected one script file, got " +
                     std::to_string(args.positional.size()) + " arguments");
  std::error_code ec;
  const fs::path script = fs::absolute(args.positional[0], ec).lexically_normal();
  if (!fs::is_regular_file(script, ec)) {
    err << "ntklab batch: cannot open script " << args.positional[0]
        << (fs::exists(script, ec) ? ": not a regular file" : ": file not found") << "\n";
    return 1;
  }
  host::PluginRegistry registry;
  discover_plugins(registry, global, err);
  host::RegistrySource source(registry);
  if (args.help) return core::mpi::rank() == 0 ? describe_script(script.string(), source) : 0;
  const auto out = args.value("--out");
  if (!out) throw UsageError("ntklab batch: --out DIR is required (where results go)");

  options.script = script.string();
  options.out_dir = *out;
  options.resume = args.has("--resume");
  const auto reps = parse_count(args.value("--reps").value_or("1"), "--reps");
  const auto jobs = parse_count(args.value("--jobs").value_or("1"), "--jobs");
  if (reps < 1 || reps > 1000000) throw UsageError("--reps must be between 1 and 1000000");
  if (jobs < 1 || jobs > 4096) throw UsageError("--jobs must be between 1 and 4096");
  options.reps = static_cast<int>(reps);
  options.workers = static_cast<int>(jobs);
  if (const auto timeout = args.value("--job-timeout"))
    options.job_timeout_s = parse_seconds(*timeout, "--job-timeout");
  try {
    for (const auto& spec : args.values("--grid"))
      options.grid.push_back(core::batch::parse_grid_axis(spec));
    for (const auto& spec : args.values("--set"))
      options.constants.push_back(core::batch::parse_assignment(spec, "--set"));
    // Before the script is read for its parameters: a huge product is refused at once.
    core::batch::check_job_count(options.grid, static_cast<std::uint64_t>(options.reps));
  } catch (const Error& e) {
    throw UsageError(e.what());
  }
  // Every key and every value before the first job: a misspelt --grid key would otherwise run
  // identical jobs labelled with values the script never read.
  lua::ScriptParameters declared;
  try {
    declared = lua::read_script_parameters(script.string(), source);
  } catch (const Error& e) {
    err << "ntklab batch: the script fails before declaring its parameters:\n" << e.what()
        << "\n";
    return 1;
  }
  if (!declared.declared && core::mpi::rank() == 0) warn_if_undeclared("ntklab batch", script.string());
  try {
    if (declared.declared) check_batch_parameters(declared.parameters, options);
  } catch (const Error& e) {
    err << "ntklab batch: " << e.what() << "\n";
    return 2;
  }

  options.worker_prefix = {this_executable()};
  for (const auto& dir : global.plugin_paths) {
    options.worker_prefix.push_back("--plugin-path");
    options.worker_prefix.push_back(fs::absolute(dir, ec).string());
  }
  options.worker_prefix.push_back("run");
  options.worker_prefix.push_back(script.string());

  Json extra = Json::object();
  extra.set("ntklab_version", core::ntklab_version());
  extra.set("plugins", plugin_list(registry));
  extra.set("command_line", command_line());
  extra.set("working_directory", fs::current_path(ec).string());
  options.manifest_extra = std::move(extra);
  options.progress = &std::cerr;
  options.terminal = ::isatty(STDERR_FILENO) == 1;

  return std::nullopt;
}

// Runs a prepared batch in this process (one rank of R under mpirun, see batch_ranks).
int run_prepared(const ParsedArgs& args, const GlobalOptions& global,
                 const core::batch::BatchOptions& options) {
  const bool distributed = core::mpi::size() > 1;
  core::batch::BatchSummary summary;
  try {
    summary = core::batch::run_batch(options);
  } catch (const Error& e) {
    const std::string what = e.what();
    const std::string message = (what.rfind("batch", 0) == 0 ? "ntklab " : "ntklab batch: ") + what;
    if (!distributed) {
      std::cerr << message << "\n";
      return 1;
    }
    // All ranks found it together (agree_to_start): rank 0 says it once, and all exit.
    if (core::mpi::collective_failure()) {
      if (core::mpi::rank() == 0) std::cerr << message << "\n";
      return 1;
    }
    // This rank alone: the others may wait for it for ever, so all of them are stopped.
    std::cerr << "ntklab batch: rank " << core::mpi::rank() << " of " << core::mpi::size()
              << " (host " << core::mpi::host_name() << ") failed; stopping all ranks:\n"
              << message << std::endl;
    core::mpi::abort_all(1);
  }
  if (summary.interrupted_by != 0) return 128 + summary.interrupted_by;
  if (distributed && core::mpi::rank() != 0) return 0;  // rank 0 reports and plots
  int status = summary.failed > 0 ? 1 : 0;
  if (args.has("--plot")) {
    lua::ScriptParams none;
    const int plotted = plot_batch_folder(options.out_dir, "", none, global);
    if (plotted != 0) status = plotted;
  }
  return status;
}

// `mpirun -np R ntklab batch …` with R > 1. Every rank reads the same command line; a rank
// whose check fails (a script or a --grid @FILE missing on its host) must not leave the others
// waiting in the batch's first collective call, so the ranks first agree on whether to run.
// An error is printed once: by rank 0, or else by the first rank that found it.
int batch_ranks(const ParsedArgs& args, const GlobalOptions& global) {
  core::batch::BatchOptions options;
  std::ostringstream err;
  std::optional<int> stop;
  std::optional<UsageError> usage;
  try {
    stop = prepare_batch(args, global, options, err);
  } catch (const UsageError& e) {
    usage = e;
    stop = 2;
  } catch (const std::exception& e) {
    err << "ntklab batch: " << e.what() << "\n";
    stop = 1;
  }
  // 0: run; otherwise the exit status + 1.
  const auto codes = core::mpi::allgather(stop ? std::uint64_t(*stop) + 1 : 0);
  const auto first = std::find_if(codes.begin(), codes.end(), [](auto c) { return c != 0; });
  if (first == codes.end()) {
    if (core::mpi::rank() == 0) std::cerr << err.str() << std::flush;  // warnings, once
    return run_prepared(args, global, options);
  }
  const int reporter = static_cast<int>(codes[0] != 0 ? 0 : first - codes.begin());
  if (core::mpi::rank() == reporter) {
    if (usage) throw *usage;  // main prints it with the usage text
    if (reporter != 0) std::cerr << "ntklab batch: on rank " << reporter << " (host "
                                 << core::mpi::host_name() << "):\n";
    std::cerr << err.str() << std::flush;
  }
  return stop ? *stop : static_cast<int>(*first - 1);
}

int batch_main(const ParsedArgs& args, const GlobalOptions& global) {
  if (core::mpi::size() > 1) return batch_ranks(args, global);
  core::batch::BatchOptions options;
  if (const auto stop = prepare_batch(args, global, options, std::cerr)) return *stop;
  return run_prepared(args, global, options);
}

}  // namespace

const Command& batch_command() {
  static const Command command{
      "batch",
      "FILE.lua --out DIR [--grid KEY=V1,V2,...]... [--reps N] [--jobs J] [--resume] [--plot] "
      "[--job-timeout S] [--set KEY=VALUE]...",
      "run a script over a parameter grid, J processes at a time",
      "Expands the --grid axes (cartesian product) times --reps repetitions into jobs and runs\n"
      "each as `ntklab run FILE.lua` in its own process, at most J at once. A job's grid values,\n"
      "the --set constants, rep (1..N), seed (derived from the job's values and rep: the same\n"
      "job always gets the same seed), job (its id), mode = \"job\" and out (a file for its rows)\n"
      "arrive as parameters (p = ntk.params{...}); the script reports with\n"
      "ntk.io.write_jsonl(p.out, row). Every --grid and --set key must be a parameter the script\n"
      "declares, with values of its type: checked before the first job (`ntklab batch FILE.lua\n"
      "--help` lists them). DIR/results.jsonl gets one line per row: the job's parameters, the\n"
      "script's fields, and the batch's own under \"batch\" {job, rep, seed, elapsed_s, status},\n"
      "appended atomically; a failing job is recorded with batch.status \"failed\" and the tail\n"
      "of its stderr, and the others go on; a job running longer than --job-timeout S seconds is\n"
      "stopped (SIGTERM, then SIGKILL) and recorded as failed with batch.reason \"timeout\".\n"
      "DIR/manifest.json records the version, plugins, grid, seeds and times; DIR/logs holds\n"
      "each job's stdout (.log) and stderr (.err).\n"
      "Ctrl-C or SIGTERM stops the running jobs and loses only them; --resume skips the jobs\n"
      "already recorded as ok (it first moves corrupt lines of results.jsonl to\n"
      "DIR/results.quarantine.jsonl and says so; their jobs run again). DIR is locked while the\n"
      "batch runs (DIR/batch.lock holds its pid): a second batch or --resume on DIR is refused.\n"
      "--plot runs `ntklab plot DIR` at the end. A batch has at most 1000000 jobs (grid × reps);\n"
      "--jobs above twice the usable cores gives a warning.\n"
      "Under `mpirun -np R ntklab batch …` the jobs spread over the R ranks (hosts), J at a time\n"
      "on each: rank 0 alone writes DIR; the others send each job's rows back, and the manifest\n"
      "records the ranks and hosts (docs/mpi_batches.md). A rank that dies loses its running\n"
      "jobs only: --resume, with or without mpirun, runs them again.\n"
      "Exit status: 0 all jobs ok, 1 a job failed or an error, 128+N stopped by signal N.",
      {{"--grid", "KEY=V1,V2,...", "a parameter axis (repeat for a grid); KEY=@FILE reads the values, one a line", true},
       {"--reps", "N", "repetitions of every grid point (default 1)", false},
       {"--jobs", "J", "worker processes at once (default 1); under mpirun, on each rank", false},
       {"--job-timeout", "S", "stop a job after S seconds and record it as failed (timeout)", false},
       {"--out", "DIR", "the batch folder (results.jsonl, manifest.json, logs/)", false},
       {"--resume", "", "skip the jobs DIR/results.jsonl already has", false},
       {"--plot", "", "draw the figure when done (see `ntklab plot --help`)", false},
       {"--set", "KEY=VALUE", "a constant parameter for every job", true}},
      &batch_main,
      /*script_help=*/true};
  return command;
}

}  // namespace ntk::cli
