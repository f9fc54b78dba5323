// Running Lua scripts with the `ntk` module.
//
// One protected call with a traceback handler; chunks are named after their file, so errors
// read "scripts/demo.lua:12: message" followed by a stack traceback.
#pragma once

#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

#include "lua/architecture_source.hpp"

struct lua_State;

namespace ntk::lua {

// key=value pairs from --set; values that parse completely as numbers become Lua numbers.
using ScriptParams = std::vector<std::pair<std::string, std::string>>;

// Runs a script; returns 0 on success, 1 on any error (message and traceback written to err).
int run_script(const std::string& path, const ScriptParams& params,
               ArchitectureSource& architectures, std::ostream& err);

// A fresh state with the standard libraries, the `ntk` module and the global `params`.
// `architectures` must outlive the state. Caller closes it with lua_close.
lua_State* new_state(ArchitectureSource& architectures, const ScriptParams& params);

}  // namespace ntk::lua
