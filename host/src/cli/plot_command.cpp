// `ntklab plot DIR`: the plot step of a batch (the convention is in plot_command.hpp).
#include "cli/plot_command.hpp"

#include <filesystem>
#include <iostream>
#include <set>

#include "cli/resource_limits.hpp"
#include "core/batch/manifest.hpp"
#include "core/batch/quarantine.hpp"
#include "ntk/sdk/error.hpp"
#include "plugin/registry_source.hpp"

namespace ntk::cli {

namespace fs = std::filesystem;

int plot_batch_folder(const std::string& dir, const std::string& script_override,
                      const lua::ScriptParams& extra, const GlobalOptions& global) {
  std::error_code ec;
  const fs::path folder = fs::absolute(dir, ec).lexically_normal();
  const fs::path manifest_path = folder / "manifest.json";
  const fs::path results = folder / "results.jsonl";
  if (!fs::exists(manifest_path, ec)) {
    std::cerr << "ntklab plot: " << manifest_path.string()
              << " not found; DIR must be the --out folder of `ntklab batch`\n";
    return 1;
  }
  if (!fs::exists(results, ec)) {
    std::cerr << "ntklab plot: " << results.string() << " not found; the batch has no results yet\n";
    return 1;
  }
  core::batch::Json manifest;
  try {
    // The script reads every line: a corrupt one would stop every plot of this folder for good.
    const std::string moved =
        core::batch::describe_quarantine(core::batch::quarantine_corrupt_rows(results.string()));
    if (!moved.empty()) std::cerr << "ntklab plot: " << moved << "\n";
    manifest = core::batch::read_json_file(manifest_path.string());
  } catch (const Error& e) {
    std::cerr << "ntklab plot: " << e.what() << "\n";
    return 1;
  }
  std::string script = script_override;
  if (script.empty()) {
    const auto* recorded = manifest.find("script");
    if (recorded == nullptr || !recorded->is_string()) {
      std::cerr << "ntklab plot: " << manifest_path.string()
                << " names no script; give one with --script FILE.lua\n";
      return 1;
    }
    script = recorded->as_string();
  }
  if (!fs::is_regular_file(script, ec)) {
    std::cerr << "ntklab plot: the batch's script " << script
              << " is not there any more; give its new place with --script FILE.lua\n";
    return 1;
  }

  // The batch's constants, then --set overrides, then the plot-mode parameters.
  lua::ScriptParams params;
  std::set<std::string> given;
  for (const auto& [key, value] : extra) given.insert(key);
  if (const auto* constants = manifest.find("constants"); constants && constants->is_object()) {
    for (const auto& [key, value] : constants->as_object()) {
      if (given.count(key)) continue;
      params.emplace_back(key, value.is_string() ? value.as_string() : value.dump());
    }
  }
  for (const auto& entry : extra) params.push_back(entry);
  params.emplace_back("mode", "plot");
  params.emplace_back("results", results.string());
  params.emplace_back("out_dir", folder.string());

  // A results folder may come from someone else: its script runs in the sandbox, reading and
  // writing only DIR (plus the toolkit's scripts/lib), under the sandbox's CPU and memory limits,
  // with plugins loaded only when the script asks for one.
  std::cerr << "ntklab plot: running " << script << " in the sandbox (reads and writes only "
            << folder.string() << ")\n";
  apply_resource_limits({kSandboxCpuSeconds, kSandboxMemoryMb});
  host::PluginRegistry registry;
  index_plugins(registry, global, std::cerr);
  host::RegistrySource source(registry);
  return lua::run_script(script, params, source, std::cerr,
                         lua::RunOptions{true, {folder.string()}, {folder.string()}}) == 0
             ? 0
             : 1;
}

namespace {

int plot_main(const ParsedArgs& args, const GlobalOptions& global) {
  if (args.positional.size() != 1)
    throw UsageError("ntklab plot: expected one batch folder DIR, got " +
                     std::to_string(args.positional.size()) + " arguments");
  lua::ScriptParams extra;
  std::set<std::string> keys;
  for (const auto& text : args.values("--set")) {
    auto [key, value] = split_key_value(text, "--set");
    if (key == "mode" || key == "results" || key == "out_dir")
      throw UsageError("--set " + key + ": set by `ntklab plot` itself");
    if (!keys.insert(key).second) throw UsageError("--set " + key + " is given more than once");
    extra.emplace_back(std::move(key), std::move(value));
  }
  return plot_batch_folder(args.positional[0], args.value("--script").value_or(""), extra, global);
}

}  // namespace

const Command& plot_command() {
  static const Command command{
      "plot",
      "DIR [--script FILE.lua] [--set KEY=VALUE]...",
      "redraw a batch's figure from DIR/results.jsonl",
      "Runs the batch's script (recorded in DIR/manifest.json) once, in plot mode: with the\n"
      "batch's --set constants and params.mode = \"plot\", params.results = DIR/results.jsonl,\n"
      "params.out_dir = DIR. The script reads the rows (ntk.io.read_jsonl) and draws with\n"
      "ntk.plot instead of computing; no job is rerun. A results folder may come from anyone,\n"
      "so the script runs in the sandbox (as `run --sandbox`): it reads and writes only DIR. --script uses another script (e.g. when\n"
      "the batch's has moved); --set adds or overrides parameters. Lines of results.jsonl that\n"
      "are not JSON objects are first moved to DIR/results.quarantine.jsonl (with their line\n"
      "numbers and what is wrong), and stderr says how many.",
      {{"--script", "FILE.lua", "the script to run instead of the manifest's", false},
       {"--set", "KEY=VALUE", "a parameter for the plot run, params.KEY", true}},
      &plot_main};
  return command;
}

}  // namespace ntk::cli
