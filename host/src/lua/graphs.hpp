// Graph collections in Lua (graphs.cpp): the userdata made by ntk.data.tu and ntk.data.graphs.
#pragma once

#include <lua.hpp>

#include "lua/inputs.hpp"

namespace ntk::lua {

inline constexpr const char* kGraphsMeta = "ntk.graphs";

// The graphs of the collection at `index` as sdk::Inputs shared with the collection (no copy),
// or nullptr when the value is not a graph collection. Never raises.
InputsRef graph_inputs(lua_State* L, int index);

}  // namespace ntk::lua
