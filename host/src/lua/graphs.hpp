// Graph collections in Lua (graphs.cpp): the userdata made by ntk.data.tu and ntk.data.graphs.
#pragma once

#include <lua.hpp>

#include "ntk/sdk/inputs.hpp"

namespace ntk::lua {

inline constexpr const char* kGraphsMeta = "ntk.graphs";

// If the value at `index` is a graph collection, copies its graphs into `out` as
// sdk::Inputs::graphs and returns true; otherwise returns false and leaves `out` alone.
// Never raises (use it inside `protect`).
bool to_graph_inputs(lua_State* L, int index, sdk::Inputs& out);

}  // namespace ntk::lua
