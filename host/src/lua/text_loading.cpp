// Text-only replacements for load, loadfile, dofile and require's Lua searcher (text_loading.hpp).
// These are plain lua_CFunctions (no C++ objects live across a Lua error).
#include "lua/text_loading.hpp"

#include <lua.hpp>

#include <cstring>
#include <string>

#include "lua/file_access.hpp"

namespace ntk::lua {
namespace {

// Replaces Lua's "attempt to load a binary chunk (mode is 't')", which does not say which file.
void name_binary_chunk(lua_State* L, const char* path) {
  const char* message = lua_tostring(L, -1);
  if (message == nullptr || std::strstr(message, "attempt to load a binary chunk") == nullptr)
    return;
  lua_pop(L, 1);
  lua_pushfstring(L,
                  "%s: a precompiled Lua chunk (bytecode) is refused: ntklab loads Lua source "
                  "text only",
                  path != nullptr ? path : "stdin");
}

// A refusal from the sandbox's read rules pushed as a string, or false when reading is allowed.
bool push_read_refusal(lua_State* L, const char* path, const char* function,
                       bool module = false) {
  if (path == nullptr) {
    if (file_access(L) == nullptr) return false;
    lua_pushfstring(L, "%s: reading stdin is not allowed in the sandbox", function);
    return true;
  }
  const std::string refusal =
      module ? module_refusal(L, path, function) : read_refusal(L, path, function);
  if (refusal.empty()) return false;
  lua_pushlstring(L, refusal.data(), refusal.size());
  return true;
}

// load(chunk [, chunkname [, mode [, env]]]): Lua's own load with mode forced to "t".
int l_load(lua_State* L) {
  if (lua_gettop(L) < 3) lua_settop(L, 3);  // env (argument 4) stays absent
  lua_pushliteral(L, "t");
  lua_replace(L, 3);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

// loadfile([filename [, mode [, env]]]): mode is always "t"; returns nil, message on failure.
int l_loadfile(lua_State* L) {
  const char* path = luaL_optstring(L, 1, nullptr);
  const bool has_env = !lua_isnone(L, 3);
  if (push_read_refusal(L, path, "loadfile")) {
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
  }
  if (load_text_file(L, path) != LUA_OK) {
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
  }
  if (has_env) {
    lua_pushvalue(L, 3);
    if (lua_setupvalue(L, -2, 1) == nullptr) lua_pop(L, 1);  // no upvalue: env unused
  }
  return 1;
}

// dofile([filename]): loads as text and runs; errors propagate.
int l_dofile(lua_State* L) {
  const char* path = luaL_optstring(L, 1, nullptr);
  lua_settop(L, 1);
  if (push_read_refusal(L, path, "dofile")) return lua_error(L);
  if (load_text_file(L, path) != LUA_OK) return lua_error(L);
  lua_call(L, 0, LUA_MULTRET);
  return lua_gettop(L) - 1;
}

// package.searchers[2]: finds NAME on package.path (package.searchpath) and loads it as text.
// Upvalue 1 is the package table.
int l_search_lua_module(lua_State* L) {
  const char* name = luaL_checkstring(L, 1);
  lua_getfield(L, lua_upvalueindex(1), "path");
  if (lua_type(L, -1) != LUA_TSTRING) return luaL_error(L, "'package.path' must be a string");
  lua_getfield(L, lua_upvalueindex(1), "searchpath");
  lua_pushvalue(L, 1);
  lua_pushvalue(L, -3);
  lua_call(L, 2, 2);  // filename | nil, message
  if (lua_isnil(L, -2)) return 1;  // "no file '...'" for require's message
  lua_pop(L, 1);
  const char* path = lua_tostring(L, -1);
  if (push_read_refusal(L, path, "require", /*module=*/true)) {
    return luaL_error(L, "error loading module '%s' from file '%s':\n\t%s", name, path,
                      lua_tostring(L, -1));
  }
  if (load_text_file(L, path) != LUA_OK)
    return luaL_error(L, "error loading module '%s' from file '%s':\n\t%s", name, path,
                      lua_tostring(L, -1));
  lua_pushstring(L, path);  // the loader's second argument, as Lua's own searcher gives
  return 2;
}

void replace_global(lua_State* L, const char* name, lua_CFunction replacement) {
  lua_getglobal(L, name);  // the original, an upvalue (load uses it)
  lua_pushcclosure(L, replacement, 1);
  lua_setglobal(L, name);
}

}  // namespace

int load_text_file(lua_State* L, const char* path) {
  const int status = luaL_loadfilex(L, path, "t");
  if (status != LUA_OK) name_binary_chunk(L, path);
  return status;
}

void install_text_only_loading(lua_State* L) {
  replace_global(L, "load", l_load);
  replace_global(L, "loadfile", l_loadfile);
  replace_global(L, "dofile", l_dofile);
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "searchers");
  lua_pushvalue(L, -2);
  lua_pushcclosure(L, l_search_lua_module, 1);
  lua_rawseti(L, -2, 2);
  lua_pop(L, 2);
}

}  // namespace ntk::lua
