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
#include "lua/params.hpp"

struct lua_State;

namespace ntk::lua {

// key=value pairs from --set; values that parse completely as numbers become Lua numbers.
using ScriptParams = std::vector<std::pair<std::string, std::string>>;

// How a script runs. Default: every Lua library (source text only, text_loading.hpp).
// sandbox: the allow-list of sandbox.hpp; files only under allow_read (reading) and
// allow_write (reading and writing). `ntklab plot DIR` runs the script a results folder names
// with {sandbox = true, allow_read = {DIR}, allow_write = {DIR}}.
struct RunOptions {
  bool sandbox = false;
  std::vector<std::string> allow_read;
  std::vector<std::string> allow_write;
};

// Runs a script; returns 0 on success, 1 on any error (message and traceback written to err).
int run_script(const std::string& path, const ScriptParams& params,
               ArchitectureSource& architectures, std::ostream& err,
               const RunOptions& options = {});

// What a script declares with ntk.params (params.hpp).
struct ScriptParameters {
  bool declared = false;  // false: the script never calls ntk.params (values arrive unchecked)
  ParamDeclaration parameters;
};

// Learns a script's parameters without running its experiment: a script whose text does not
// mention `ntk.params` is undeclared; otherwise it runs in declare-only mode, where ntk.params
// records the declaration and stops it (code before that call runs: keep it to `require`s and
// definitions). Throws ntk::Error with the script's message (FILE:LINE, traceback) when it
// fails before declaring.
// With options.sandbox the declaring code runs in the sandbox too.
ScriptParameters read_script_parameters(const std::string& path, ArchitectureSource& architectures,
                                        const RunOptions& options = {});

// True when the file's text mentions ntk.params (the cheap test read_script_parameters uses).
bool mentions_declared_parameters(const std::string& path);

// The directories `require` searches, prepended to package.path: the script's own directory,
// its lib/ folder, and the toolkit's scripts/lib (NTKLAB_SCRIPTS_DIR, fixed at build time), so
// `require("experiment")` works from any working directory.
void add_script_directory(lua_State* L, const std::string& script_path);

// A fresh state with the standard libraries, the `ntk` module and the global `params`.
// `architectures` must outlive the state. Caller closes it with lua_close.
lua_State* new_state(ArchitectureSource& architectures, const ScriptParams& params);

}  // namespace ntk::lua
