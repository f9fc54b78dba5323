// Where ntk.arch(name, options) gets its architectures from.
//
// The Lua library does not load plugins itself: whoever makes a Lua state (the ntklab command
// line, a test, an embedding program) hands it an ArchitectureSource. The command line's is a
// plugin registry (plugin/registry_source.hpp); a test may serve architectures built in-process.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ntk/sdk/architecture.hpp"
#include "ntk/sdk/plugin.hpp"

namespace ntk::lua {

// One architecture a source can make, as ntk.plugins() lists it.
struct ArchitectureEntry {
  sdk::PluginInfo info;
  std::string path;  // where it came from (a plugin file), "" when built in
};

class ArchitectureSource {
 public:
  virtual ~ArchitectureSource() = default;
  // Makes architecture `name` with `options`; throws ntk::Error for an unknown name or bad
  // options. The pointer keeps whatever backs the architecture (a plugin library) alive.
  virtual std::shared_ptr<sdk::Architecture> make(const std::string& name,
                                                  const sdk::Options& options) = 0;
  // Every architecture the source can make.
  virtual std::vector<ArchitectureEntry> list() const = 0;
};

}  // namespace ntk::lua
