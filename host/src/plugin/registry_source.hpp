// A PluginRegistry seen as the Lua library's ArchitectureSource (lua/architecture_source.hpp):
// the command line and the tests hand one to lua::new_state. With a registry filled by index(),
// ntk.arch("NAME") loads ntk_NAME.so on first use and ntk.plugins() loads every indexed file.
#pragma once

#include "lua/architecture_source.hpp"
#include "plugin/registry.hpp"

namespace ntk::host {

class RegistrySource final : public lua::ArchitectureSource {
 public:
  explicit RegistrySource(PluginRegistry& registry) : registry_(registry) {}

  std::shared_ptr<sdk::Architecture> make(const std::string& name,
                                          const sdk::Options& options) override {
    registry_.load_needed(name);
    return registry_.make(name, options);
  }

  std::vector<lua::ArchitectureEntry> list() const override {
    registry_.load_all_indexed();
    std::vector<lua::ArchitectureEntry> out;
    for (const LoadedPlugin* p : registry_.list()) out.push_back({p->info, p->path});
    return out;
  }

 private:
  PluginRegistry& registry_;
};

}  // namespace ntk::host
