// Helpers shared by the commands: global flags, plugin discovery with warnings.
#include <ostream>

#include "cli/commands.hpp"

namespace ntk::cli {

const std::vector<FlagSpec>& global_flags() {
  static const std::vector<FlagSpec> flags = {
      {"--plugin-path", "DIR", "also load plugins (ntk_*.so) from DIR", true},
      {"--help", "", "show this help", false},
  };
  return flags;
}

namespace {
std::vector<std::string> print_report(const host::DiscoveryReport& report, std::ostream& err) {
  for (const auto& w : report.warnings) err << "ntklab: warning: " << w << "\n";
  for (const auto& s : report.skipped) err << "ntklab: warning: " << s << "\n";
  for (const auto& e : report.errors) err << "ntklab: warning: " << e << "\n";
  return report.errors;
}
}  // namespace

std::vector<std::string> discover_plugins(host::PluginRegistry& registry,
                                          const GlobalOptions& global, std::ostream& err) {
  return print_report(registry.discover(host::default_plugin_directories(global.plugin_paths)),
                      err);
}

void index_plugins(host::PluginRegistry& registry, const GlobalOptions& global,
                   std::ostream& err) {
  print_report(registry.index(host::default_plugin_directories(global.plugin_paths)), err);
}

std::string sdk_version_text(const sdk::SdkVersion& version) {
  return std::to_string(version.major) + "." + std::to_string(version.minor) + " (" +
         (version.abi_tag != nullptr ? version.abi_tag : "no ABI tag") + ")";
}

}  // namespace ntk::cli
