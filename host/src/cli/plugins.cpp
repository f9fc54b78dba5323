// `ntklab plugins`: what each loaded plugin is and which options it takes.
#include <iomanip>
#include <iostream>

#include "cli/commands.hpp"

namespace ntk::cli {
namespace {

void print_plugin(const host::LoadedPlugin& plugin, std::ostream& out) {
  const auto& info = plugin.info;
  out << info.name << " " << info.version << "\n"
      << "  " << info.summary << "\n"
      << "  SDK " << sdk_version_text(plugin.sdk_version) << ", " << plugin.path << "\n";
  if (info.options.empty()) {
    out << "  options: none\n";
    return;
  }
  std::size_t name_width = 0, value_width = 0;
  for (const auto& o : info.options) {
    name_width = std::max(name_width, o.name.size());
    value_width = std::max(value_width, sdk::option_value_text(o.default_value).size());
  }
  out << "  options (default):\n";
  for (const auto& o : info.options)
    out << "    " << std::left << std::setw(int(name_width)) << o.name << " = "
        << std::setw(int(value_width)) << sdk::option_value_text(o.default_value) << "  "
        << o.doc << "\n";
  if (!info.details.empty()) out << info.details;
}

int plugins_main(const ParsedArgs& args, const GlobalOptions& global) {
  if (!args.positional.empty())
    throw UsageError("takes no arguments, got '" + args.positional[0] + "'");
  host::PluginRegistry registry;
  const auto errors = discover_plugins(registry, global, std::cerr);
  const auto plugins = registry.list();
  for (std::size_t i = 0; i < plugins.size(); ++i) {
    if (i > 0) std::cout << "\n";
    print_plugin(*plugins[i], std::cout);
  }
  if (plugins.empty()) {
    std::cerr << "ntklab plugins: no plugins found in";
    for (const auto& d : host::default_plugin_directories(global.plugin_paths))
      std::cerr << " " << d;
    std::cerr << "\n";
    return 1;
  }
  return errors.empty() ? 0 : 1;
}

}  // namespace

const Command& plugins_command() {
  static const Command command{
      "plugins",
      "",
      "list the architecture plugins and their options",
      "Lists every plugin found in build/plugins, NTKLAB_PLUGIN_PATH and --plugin-path: name,\n"
      "version, the SDK it was built for, a summary, and its options with defaults and docs.\n"
      "Plugins that fail to load are reported on stderr and the exit status is then 1.",
      {},
      &plugins_main};
  return command;
}

}  // namespace ntk::cli
