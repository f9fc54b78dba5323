// The one conversion from Lua values to sdk::Inputs, used by ntk.arch (kernels, forward, ...),
// ntk.train (data, probe and test sets) and ntk.data alike:
//
//   ntk.matrix (d × n)                      dense inputs, one column per example
//   {x = ntk.matrix, shape = {C, H, W}}     images flattened channel-major (d = C·H·W)
//   {x = ntk.matrix}                        dense inputs (e.g. a data set without a shape)
//   ntk.graphs (ntk.data.tu, ntk.data.graphs), or {x = ntk.graphs}   graphs
//
// A table may carry other fields (a data set {x =, y =, labels =, shape =} is valid inputs).
// Nothing is copied: dense and image matrices alias the ntk.matrix memory and graphs are shared
// with the ntk.graphs value, so the result is valid while the Lua value it came from is alive
// (on the stack, or in a table that is). All functions throw ntk::Error: call inside `protect`.
#pragma once

#include <lua.hpp>

#include <memory>
#include <string>

#include "ntk/sdk/inputs.hpp"

namespace ntk::lua {

using InputsRef = std::shared_ptr<const sdk::Inputs>;

// The inputs at `index`; `what` names the value in messages, e.g. "bad argument #2 to
// 'forward'" or "ntk.train.gd: field 'probe'".
InputsRef to_inputs(lua_State* L, int index, const std::string& what);

// True if the value at `index` is inputs (a matrix, graphs, or a table with a field x).
bool is_inputs(lua_State* L, int index);

// A by-value sdk::Inputs for owners that keep one (core::train::Labelled): dense and image
// matrices still alias the same memory (no copy); graphs copy the graph list.
sdk::Inputs inputs_value(const sdk::Inputs& in);

}  // namespace ntk::lua
