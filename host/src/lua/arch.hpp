// C++ access to the architecture and network userdata of ntk.arch (arch.cpp), for other
// binding files (e.g. training: ntk.train.gd{net = net, ...}).
//
// check_* raise a Lua error "bad argument #i to 'f' (ntk.network expected, got T)" directly
// (a longjmp): call them before creating C++ objects with destructors. arg_* throw ntk::Error
// instead: call them inside `protect`. The returned pointers keep the plugin library loaded
// (the network's deleter holds its Architecture), so they may outlive the Lua values.
#pragma once

#include <lua.hpp>

#include <memory>
#include <string>

#include "lua/inputs.hpp"
#include "ntk/sdk/architecture.hpp"
#include "ntk/sdk/network.hpp"
#include "ntk/sdk/options.hpp"

namespace ntk::lua {

inline constexpr const char* kArchMeta = "ntk.arch";
inline constexpr const char* kNetworkMeta = "ntk.network";

std::shared_ptr<sdk::Architecture> check_arch(lua_State* L, int index);
std::shared_ptr<sdk::Network> check_network(lua_State* L, int index);
std::shared_ptr<sdk::Architecture> arg_arch(lua_State* L, int index, const char* function);
std::shared_ptr<sdk::Network> arg_network(lua_State* L, int index, const char* function);
// The Architecture a network came from (for kernels at the same configuration).
std::shared_ptr<sdk::Architecture> arg_network_arch(lua_State* L, int index, const char* function);

// Pushes a network userdata; `arch` is the architecture that made it.
void push_network(lua_State* L, std::shared_ptr<sdk::Network> network,
                  std::shared_ptr<sdk::Architecture> arch);

// Argument `index` of `function` as inputs (lua/inputs.hpp: no copy); messages read
// "bad argument #2 to 'kernel' ...".
InputsRef inputs_arg(lua_State* L, int index, const char* function);

// A Lua table of options → sdk::Options: string keys; numbers, booleans, strings, lists of
// numbers and lists of named tables ({{"dense", w_std = 1}, {"relu"}}: sdk::LayerSpec, nested
// to any depth up to 32) as values. Anything else throws ntk::Error naming `where` and the key.
sdk::Options to_options(lua_State* L, int index, const std::string& where);

// The reverse: pushes one option value (lists of named tables as {{"dense", w_std = 1}, ...}).
void push_option_value(lua_State* L, const sdk::OptionValue& value);

}  // namespace ntk::lua
