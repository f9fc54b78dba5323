// Discovery and loading of architecture plugins (Boost.DLL).
//
// One precise error per failure (all ntk::Error):
//   "cannot load plugin PATH: file not found"
//   "cannot load plugin PATH: undefined symbol ns::f(int) (_ZN2ns1fEi): ..." — plugins load with
//       immediate binding (RTLD_NOW), so a missing symbol is found here, never mid-run
//   "PATH is not an ntklab plugin: it exports no 'ntklab_sdk_version'/'ntklab_plugin_entry'"
//   "plugin PATH was built for SDK 2.x, this host is SDK 1.0"
//   "plugin PATH has ABI tag X, this host has Y (rebuild the plugin)"
//   "duplicate plugin name 'fc': PATH1 and PATH2; using PATH1 (the first one loaded wins; ...)"
//   "plugin 'fc' (PATH): creating the architecture failed: <what the factory threw>"
// Duplicate names follow one rule: the first file loaded keeps the name. discover() loads the
// directories in the order given (default_plugin_directories: the build's plugins first) and the
// files of one directory sorted by name, so which one wins does not depend on the file system.
// A plugin's library stays loaded as long as any object it made is alive: architectures come
// back as shared_ptr whose deleter holds the library, and make_network() gives networks a
// deleter that holds their architecture.
//
// Besides the two required symbols, a plugin may export `ntklab_conformance_entry`
// (NTK_REGISTER_CONFORMANCE_INPUTS in sdk/src/conformance.hpp): sample inputs of its own kind
// (images, graphs) for `ntklab check-plugin`.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "conformance.hpp"
#include "ntk/sdk/sdk.hpp"

namespace boost::dll {
class shared_library;
}

namespace ntk::host {

struct LoadedPlugin {
  sdk::PluginInfo info;
  sdk::SdkVersion sdk_version;  // the SDK the plugin was built against
  std::string path;
  std::shared_ptr<boost::dll::shared_library> library;
  const sdk::PluginEntry* entry = nullptr;
  // Optional: the plugin's own sample inputs for the conformance kit (nullptr when absent).
  const sdk::ConformanceEntry* conformance = nullptr;
};

// What discover() found wrong, as messages; nothing in it is thrown.
struct DiscoveryReport {
  // One per plugin file that did not load (the error load() would throw); the others load.
  std::vector<std::string> errors;
  // One per directory that does not exist or holds no ntk_*.so file (a mistyped --plugin-path).
  std::vector<std::string> warnings;
  // One per directory or plugin file refused because others may write to it (see
  // unsafe_to_load): nothing in it is loaded.
  std::vector<std::string> skipped;
};

// Why `path` (a plugin directory or file) must not be loaded from, or "" when it may: a place
// another user can write to could hand us their code. Refused: writable by every user (sticky
// bit or not: anyone may add a new ntk_*.so), writable by its group, or owned by a user other
// than us or root.
std::string unsafe_to_load(const std::string& path);

class PluginRegistry {
 public:
  // Loads one plugin file; throws ntk::Error (see above).
  const LoadedPlugin& load(const std::string& path);
  // Loads every ntk_*.so in each directory, in order; never throws for a bad file or directory.
  DiscoveryReport discover(const std::vector<std::string>& directories);
  // Lists the ntk_*.so files of each directory without loading any (the same checks and
  // messages as discover): a plugin loads when it is needed, by file name (load_needed), so
  // the constructors of libraries a command does not use never run.
  DiscoveryReport index(const std::vector<std::string>& directories);
  // Loads ntk_NAME.so from the indexed files (the first directory that has it) unless a plugin
  // named NAME is loaded already. A failure is recorded for find()'s message, never thrown.
  void load_needed(const std::string& name);
  // Loads every indexed file not tried yet (ntk.plugins() lists them all).
  void load_all_indexed();

  // Throws ntk::Error naming the plugins that are loaded, the directories searched and, when
  // discover() could not load ntk_NAME.so, why.
  const LoadedPlugin& find(const std::string& name) const;
  std::vector<const LoadedPlugin*> list() const;

  // Makes an architecture; the returned pointer keeps the plugin's library loaded.
  std::shared_ptr<sdk::Architecture> make(const std::string& name,
                                          const sdk::Options& options) const;

 private:
  std::vector<std::unique_ptr<LoadedPlugin>> plugins_;
  std::vector<std::string> searched_;  // directories given to discover(), for error messages
  std::vector<std::pair<std::string, std::string>> failed_;  // files discover() could not load
  std::vector<std::string> indexed_;  // files index() found and nobody has tried to load yet

  // The ntk_*.so files of `directory`, sorted; a reason in `report` when there are none.
  std::vector<std::string> plugin_files(const std::string& directory, DiscoveryReport& report);
  void try_load(const std::string& file, DiscoveryReport* report);
};

// A finite network whose deleter holds `architecture` (and so the plugin's library): the
// network stays usable after every other reference to the architecture is gone.
std::shared_ptr<sdk::Network> make_network(std::shared_ptr<const sdk::Architecture> architecture,
                                           const sdk::NetworkSpec& spec);

// The directories searched by default: the build's plugins/ folder next to bin/ (found from
// /proc/self/exe), then NTKLAB_BUILD_DIR/plugins when that variable is set (test programs do
// not live in bin/), then NTKLAB_PLUGIN_PATH (colon separated), then `extra` (--plugin-path).
// Duplicates (same directory spelled twice) are dropped.
std::vector<std::string> default_plugin_directories(const std::vector<std::string>& extra);

}  // namespace ntk::host
