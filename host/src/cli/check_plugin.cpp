// `ntklab check-plugin NAME|PATH`: runs the SDK conformance kit on one plugin, over the given
// options and the sample settings (the plugin's own, exported with
// NTK_REGISTER_CONFORMANCE_SETTINGS, else derived from its declared options).
#include <boost/dll/shared_library.hpp>
#include <cerrno>
#include <cstdlib>
#include <iostream>

#include "cli/commands.hpp"
#include "ntk/sdk/conformance.hpp"

namespace ntk::cli {
namespace {

bool parse_number(const std::string& text, double& value) {
  if (text.empty()) return false;
  errno = 0;
  char* end = nullptr;
  value = std::strtod(text.c_str(), &end);
  return end != nullptr && *end == '\0' && errno != ERANGE;
}

// true/false → boolean; a number → number; {1,2,3} → list of numbers; anything else → string.
sdk::OptionValue parse_option_value(const std::string& key, const std::string& text) {
  if (text == "true") return true;
  if (text == "false") return false;
  double number = 0;
  if (parse_number(text, number)) return number;
  if (text.size() >= 2 && text.front() == '{' && text.back() == '}') {
    std::vector<double> list;
    std::string inner = text.substr(1, text.size() - 2);
    std::size_t start = 0;
    while (start <= inner.size() && !inner.empty()) {
      const std::size_t comma = std::min(inner.find(',', start), inner.size());
      const std::string item = inner.substr(start, comma - start);
      if (!parse_number(item, number))
        throw UsageError("--option " + key + ": '" + item + "' in " + text + " is not a number");
      list.push_back(number);
      start = comma + 1;
    }
    return list;
  }
  return text;
}

bool looks_like_path(const std::string& target) {
  return target.find('/') != std::string::npos ||
         (target.size() > 3 && target.compare(target.size() - 3, 3, ".so") == 0);
}

int check_plugin_main(const ParsedArgs& args, const GlobalOptions& global) {
  if (args.positional.size() != 1)
    throw UsageError("expected one plugin name or path, got " +
                     std::to_string(args.positional.size()) + " arguments");
  const std::string& target = args.positional[0];

  sdk::Options options;
  for (const auto& text : args.values("--option")) {
    const auto [key, value] = split_key_value(text, "--option");
    if (options.has(key)) throw UsageError("--option " + key + " is given more than once");
    options.set(key, parse_option_value(key, value));
  }
  sdk::ConformanceOptions kit;
  if (const auto seed = args.value("--seed")) kit.seed = parse_count(*seed, "--seed");
  kit.monte_carlo = !args.has("--no-monte-carlo");
  const bool one_setting = args.has("--one-setting");

  // A path is checked on its own, so a plugin of the same name elsewhere does not clash with it.
  host::PluginRegistry registry;
  const host::LoadedPlugin& plugin = looks_like_path(target)
                                         ? registry.load(target)
                                         : (discover_plugins(registry, global, std::cerr),
                                            registry.find(target));
  // Made here first so that bad options are an error of the command, not a failed check.
  const auto architecture = registry.make(plugin.info.name, options);
  if (plugin.conformance != nullptr && plugin.conformance->sample_inputs != nullptr) {
    const auto sample = plugin.conformance->sample_inputs;
    kit.inputs = [sample, options](arma::uword n, std::uint64_t seed) {
      return sample(options, n, seed);
    };
    kit.setting_inputs = [sample](const sdk::Options& setting, arma::uword n, std::uint64_t seed) {
      return sample(setting, n, seed);
    };
  }
  const char* const settings_symbol = "ntklab_conformance_settings";
  if (!one_setting && plugin.library && plugin.library->has(settings_symbol)) {
    const auto& entry = plugin.library->get<const sdk::ConformanceSettingsEntry>(settings_symbol);
    if (entry.sample_settings != nullptr) kit.settings = entry.sample_settings();
  }
  std::cout << "plugin file " << plugin.path << ", SDK " << sdk_version_text(plugin.sdk_version)
            << "\n";
  sdk::ConformanceReport report;
  if (one_setting) {
    report = sdk::run_conformance(plugin.info, *architecture, kit);
  } else {
    const std::vector<sdk::Options> settings = sdk::conformance_settings(plugin.info, options, kit);
    std::cout << "settings: ";
    for (std::size_t i = 0; i < settings.size(); ++i)
      std::cout << (i ? "; " : "") << i + 1 << ") " << sdk::setting_text(settings[i]);
    std::cout << (!kit.settings.empty()   ? " (the plugin's sample settings)"
                  : settings.size() > 1 ? " (derived from the declared *_std options)"
                                        : " (no sample settings: none declared, no *_std option)")
              << "\n";
    const std::string name = plugin.info.name;
    report = sdk::run_conformance(
        plugin.info,
        [&registry, &architecture, &options, name](const sdk::Options& setting)
            -> std::shared_ptr<sdk::Architecture> {
          if (sdk::setting_text(setting) == sdk::setting_text(options)) return architecture;
          return registry.make(name, setting);
        },
        options, kit);
  }
  std::cout << report.text();
  return report.passed() ? 0 : 1;
}

}  // namespace

const Command& check_plugin_command() {
  static const Command command{
      "check-plugin",
      "NAME|PATH [--option KEY=VALUE]... [--seed N] [--no-monte-carlo] [--one-setting]",
      "run the SDK conformance kit on a plugin",
      "Checks that a plugin's finite networks and analytic kernels agree: Jacobian, jvp and vjp\n"
      "each against finite differences (naming the wrong parameters), jvp/vjp adjointness,\n"
      "network NTK = J J^T, Monte-Carlo convergence of the empirical NTK and of E[f f^T] to the\n"
      "analytic NTK and NNGP, symmetric PSD kernels that are not identically zero, parameter\n"
      "round trip and refusal of bad input. Runs the given options, then sample\n"
      "settings off the defaults (the plugin's own, else each *_std option moved: w_std 1 -> 1.3,\n"
      "b_std 0 -> 0.4), where bugs the defaults hide show. Prints each check with its measured\n"
      "value and tolerance; the exit status is 1 when any check fails. NAME is looked up among\n"
      "the discovered plugins; an argument with a '/' or ending in .so is loaded as a file.",
      {{"--option", "KEY=VALUE", "an architecture option (number, true/false, {1,2}, text)", true},
       {"--seed", "N", "seed of the random inputs and networks (default 1)", false},
       {"--no-monte-carlo", "", "skip the Monte-Carlo checks (fast)", false},
       {"--one-setting", "", "check the given options only, no sample settings", false}},
      &check_plugin_main};
  return command;
}

}  // namespace ntk::cli
