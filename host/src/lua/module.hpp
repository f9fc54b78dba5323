// Shared helpers for the binding files, one per Lua module (matrix.cpp, io.cpp, arch.cpp, ...).
//
// Each module file defines `void open_<name>(lua_State* L, Context& ctx)`, called by
// new_state() with the `ntk` table on top of the stack; it adds its functions or subtable.
// Bindings hold no numerics: they check arguments, call host/src/core or a plugin, and push
// results. C++ exceptions are turned into Lua errors at the caller's line by `protect`.
#pragma once

#include <lua.hpp>

#include <armadillo>
#include <exception>
#include <string>
#include <vector>

#include "core/threads/share.hpp"
#include "lua/architecture_source.hpp"

namespace ntk::lua {

struct Context {
  ArchitectureSource* architectures = nullptr;  // ntk.arch, ntk.plugins (never null)
};

// The registry-stored Context of a state.
Context& context(lua_State* L);

// --- ntk.matrix userdata (metatable "ntk.matrix") -----------------------------------------
// Pushes a new matrix userdata owning `m`.
void push_matrix(lua_State* L, arma::mat m);
// The matrix at `index`, or a Lua error "bad argument #i to 'name' (ntk.matrix expected, got T)"
// raised directly (a longjmp: call before creating C++ objects; inside `protect` prefer
// matrix_arg from lua/args.hpp, which throws).
arma::mat& check_matrix(lua_State* L, int index);
// True if the value at `index` is an ntk.matrix.
bool is_matrix(lua_State* L, int index);
// A matrix from an ntk.matrix or a Lua table of rows / numbers (a plain list is a column).
// Throws ntk::Error (ragged rows, non-numbers, naming the row): call inside `protect`.
arma::mat to_matrix(lua_State* L, int index);

// Argument tables ({net =, data =, ...}) are read with TableReader (lua/table_reader.hpp).

// Runs `body`, turning any C++ exception into a Lua error raised at the caller's line
// (luaL_where(L, 1) prefix). Use in every lua_CFunction:
//   static int l_foo(lua_State* L) { return protect(L, [&] { ...; return 1; }); }
// Inside `body`, report bad input by throwing ntk::Error (lua/args.hpp has throwing argument
// checks): Debian's Lua is C, so a Lua error is a longjmp that would skip C++ destructors.
// Every call first takes up a new thread share from the batch, if any (core/threads/share.hpp).
template <class Body>
int protect(lua_State* L, Body&& body) {
  core::threads::poll();
  {
    std::string message;
    try {
      return body();
    } catch (const std::exception& e) {
      message = e.what();
    } catch (...) {
      message = "unknown C++ exception";
    }
    // The exception has unwound body's frames; `message` dies at the end of this block,
    // before the longjmp of lua_error.
    luaL_where(L, 1);
    lua_pushlstring(L, message.data(), message.size());
    lua_concat(L, 2);
  }
  return lua_error(L);
}

}  // namespace ntk::lua

namespace ntk::lua {
// Defined in modules.cpp. An opener adds one module to the `ntk` table on top of the stack;
// openers run in any order (each gets or creates the tables it adds to).
struct ModuleOpener {
  const char* name;  // e.g. "train", for tests and messages
  void (*open)(lua_State* L, Context& ctx);
};
// Every module, in the order new_state() opens them.
const std::vector<ModuleOpener>& module_openers();
// Runs `openers` in the order given (tests open them in other orders).
void open_modules(lua_State* L, Context& ctx, const std::vector<ModuleOpener>& openers);
// open_modules(L, ctx, module_openers()).
void open_all_modules(lua_State* L, Context& ctx);
}  // namespace ntk::lua

#include "core/data/dataset.hpp"

namespace ntk::lua {
// Dataset <-> Lua table {x, y, labels, clean_y, clean_labels, classes} (see core/data/dataset.hpp).
// Implemented in dataset.cpp. to_dataset raises a Lua-visible ntk::Error naming the missing field.
void push_dataset(lua_State* L, const core::Dataset& data);
core::Dataset to_dataset(lua_State* L, int index);
}  // namespace ntk::lua
