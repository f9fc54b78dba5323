// Registration of a plugin: one macro, two exported C symbols.
//
//   ntklab_sdk_version   — a plain SdkVersion record, read before anything else
//   ntklab_plugin_entry  — a PluginEntry: the info (name, version, options) and the factory
//
// Usage, in exactly one .cpp file of the plugin:
//   ntk::sdk::PluginInfo fc_info() { return {"fc", "1.0.0", "Fully connected ...", {...options}}; }
//   std::unique_ptr<ntk::sdk::Architecture> make_fc(const ntk::sdk::Options& o) { ... }
//   NTK_REGISTER_PLUGIN(fc_info, make_fc)
#pragma once

#include <boost/config.hpp>
#include <memory>
#include <string>
#include <vector>

#include "ntk/sdk/architecture.hpp"
#include "ntk/sdk/options.hpp"
#include "ntk/sdk/version.hpp"

namespace ntk::sdk {

struct PluginInfo {
  PluginInfo() = default;
  // {name, version, summary, options} or with details as a fifth entry.
  PluginInfo(std::string name_, std::string version_, std::string summary_,
             std::vector<OptionSpec> options_, std::string details_ = {})
      : name(std::move(name_)), version(std::move(version_)), summary(std::move(summary_)),
        options(std::move(options_)), details(std::move(details_)) {}

  std::string name;     // the name scripts use: ntk.arch(name, options)
  std::string version;  // the plugin's own version, e.g. "1.0.0"
  std::string summary;  // one line
  std::vector<OptionSpec> options;
  // Optional further documentation `ntklab plugins` prints after the options (the stax plugin
  // lists its layers and their keys here).
  std::string details;
};

struct PluginEntry {
  PluginInfo (*info)();
  // Throws ntk::Error on bad options (unknown key, wrong type, out of range).
  std::unique_ptr<Architecture> (*make)(const Options& options);
};

}  // namespace ntk::sdk

#define NTK_REGISTER_PLUGIN(info_function, factory_function)                          \
  extern "C" BOOST_SYMBOL_EXPORT const ::ntk::sdk::SdkVersion ntklab_sdk_version =    \
      ::ntk::sdk::kSdkVersion;                                                        \
  extern "C" BOOST_SYMBOL_EXPORT const ::ntk::sdk::PluginEntry ntklab_plugin_entry = { \
      &(info_function), &(factory_function)};
