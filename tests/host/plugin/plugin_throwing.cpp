// A plugin whose factory always throws: the loader must report the plugin and the message.
#include "ntk/sdk/sdk.hpp"

namespace {

ntk::sdk::PluginInfo throwing_info() {
  return {"throwing", "0.1.0", "test plugin whose factory throws", {}};
}

std::unique_ptr<ntk::sdk::Architecture> make_throwing(const ntk::sdk::Options&) {
  ntk::throw_error("throwing plugin: this factory always fails");
}

}  // namespace

NTK_REGISTER_PLUGIN(throwing_info, make_throwing)
