// A plugin whose factory calls a function that nothing defines. With lazy binding it would load
// and list fine, then crash the first time a script made the architecture; the loader binds
// every symbol at load (RTLD_NOW) and must refuse it there, naming the file and the symbol.
#include "ntk/sdk/sdk.hpp"

namespace ntk_test_missing {
// Declared, defined nowhere (a shared library may keep undefined symbols at link time).
__attribute__((visibility("default"))) double missing_kernel_rule(int layer);
}  // namespace ntk_test_missing

namespace {

ntk::sdk::PluginInfo undefined_info() {
  return {"undefined", "0.1.0", "test plugin with an undefined symbol", {}};
}

std::unique_ptr<ntk::sdk::Architecture> make_undefined(const ntk::sdk::Options&) {
  ntk::throw_error("undefined plugin: ", ntk_test_missing::missing_kernel_rule(1));
}

}  // namespace

NTK_REGISTER_PLUGIN(undefined_info, make_undefined)
