// A plugin that declares another SDK version or ABI tag than the host's (set by CMakeLists.txt
// through PLUGIN_SDK_MAJOR, PLUGIN_SDK_MINOR and PLUGIN_ABI_TAG); otherwise valid.
#include "linear_toy.hpp"

namespace {

ntk::sdk::PluginInfo toy_info() {
  return {TOY_NAME, "0.1.0", "test plugin with a mismatched SDK version",
          ntk::test::linear_toy_options()};
}

std::unique_ptr<ntk::sdk::Architecture> make_toy(const ntk::sdk::Options& options) {
  return std::make_unique<ntk::test::LinearToyArchitecture>(
      ntk::test::linear_toy_config(TOY_NAME, options));
}

}  // namespace

extern "C" BOOST_SYMBOL_EXPORT const ntk::sdk::SdkVersion ntklab_sdk_version = {
    PLUGIN_SDK_MAJOR, PLUGIN_SDK_MINOR, PLUGIN_ABI_TAG};
extern "C" BOOST_SYMBOL_EXPORT const ntk::sdk::PluginEntry ntklab_plugin_entry = {&toy_info,
                                                                                  &make_toy};
