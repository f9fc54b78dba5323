// The sandbox's globals (sandbox.hpp): a fresh global table holding only allowed entries, a
// fresh package.loaded, and the file-naming ntk functions wrapped with the path checks of
// file_access.hpp.
#include "lua/sandbox.hpp"

#include <lua.hpp>

#include <cstring>
#include <filesystem>
#include <string>

#include "core/data/data_dir.hpp"
#include "lua/file_access.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::lua {
namespace {

constexpr const char* kBase[] = {
    "assert",   "error",  "ipairs",       "next",         "pairs",    "pcall",  "xpcall",
    "print",    "select", "tonumber",     "tostring",     "type",     "rawequal", "rawget",
    "rawlen",   "rawset", "getmetatable", "setmetatable", "warn",     "_VERSION", "load",
    "loadfile", "dofile", "require",      "ntk",          "params"};

struct Library {
  const char* name;
  std::vector<const char*> members;  // empty: every member
  std::vector<const char*> except;
};

const Library kLibraries[] = {
    {"string", {}, {"dump"}},
    {"table", {}, {}},
    {"math", {}, {}},
    {"utf8", {}, {}},
    {"coroutine", {}, {}},
    {"os", {"clock", "time", "date", "difftime"}, {}},
    {"io", {"write", "type", "stdout", "stderr"}, {}},
};

// Copies the allowed members of global library `lib.name` into a new table left on the stack.
void push_library_copy(lua_State* L, const Library& lib) {
  lua_getglobal(L, lib.name);
  const int original = lua_gettop(L);
  lua_newtable(L);
  if (lib.members.empty()) {
    lua_pushnil(L);
    while (lua_next(L, original) != 0) {
      bool excluded = false;
      if (lua_type(L, -2) == LUA_TSTRING)
        for (const char* name : lib.except) excluded |= std::strcmp(lua_tostring(L, -2), name) == 0;
      if (excluded) {
        lua_pop(L, 1);
        continue;
      }
      lua_pushvalue(L, -2);
      lua_insert(L, -2);
      lua_rawset(L, -4);
    }
  } else {
    for (const char* name : lib.members) {
      lua_getfield(L, original, name);
      lua_setfield(L, -2, name);
    }
  }
  lua_remove(L, original);
}

// Raises `message` (a std::string destroyed before the longjmp) at the caller's line.
int raise(lua_State* L, const std::string& message) {
  luaL_where(L, 1);
  lua_pushlstring(L, message.data(), message.size());
  lua_concat(L, 2);
  return lua_error(L);
}

// io.open(path [, mode]) within the allowed folders; upvalue 1 is Lua's io.open.
int l_io_open(lua_State* L) {
  const char* path = luaL_checkstring(L, 1);
  const char* mode = luaL_optstring(L, 2, "r");
  const bool writes = std::strpbrk(mode, "wa+") != nullptr;
  {
    std::string refusal =
        writes ? write_refusal(L, path, "io.open") : read_refusal(L, path, "io.open");
    if (!refusal.empty()) return raise(L, refusal);
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

// io.lines(path, ...) within the readable folders (no path would read stdin: refused).
int l_io_lines(lua_State* L) {
  const char* path = luaL_checkstring(L, 1);
  {
    std::string refusal = read_refusal(L, path, "io.lines");
    if (!refusal.empty()) return raise(L, refusal);
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

// collectgarbage: "count", "collect" (the default) and "step" only; "stop" and the tuning
// options would let a script change how the host's memory is managed.
int l_collectgarbage(lua_State* L) {
  const char* option = luaL_optstring(L, 1, "collect");
  if (std::strcmp(option, "count") != 0 && std::strcmp(option, "collect") != 0 &&
      std::strcmp(option, "step") != 0)
    return luaL_error(L, "collectgarbage('%s') is not available in the sandbox (only 'count', "
                         "'collect', 'step')", option);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

// refusal(kind, path, function) -> message | nil, for the wrappers below. Kinds: "read",
// "write", "name_or_path" (a bare name that is no file here is a data set of the data folder).
int l_refusal(lua_State* L) {
  const std::string kind = luaL_checkstring(L, 1);
  const std::string path = luaL_checkstring(L, 2);
  const std::string function = luaL_checkstring(L, 3);
  std::string refusal;
  if (kind == "write") {
    refusal = write_refusal(L, path, function);
  } else {
    std::error_code ec;
    const bool data_set_name = kind == "name_or_path" && path.find('/') == std::string::npos &&
                               !std::filesystem::exists(path, ec);
    if (!data_set_name) refusal = read_refusal(L, path, function);
  }
  if (refusal.empty()) return 0;
  lua_pushlstring(L, refusal.data(), refusal.size());
  return 1;
}

// Wraps the ntk functions that name a file. In Lua, so that `return original(...)` is a tail
// call: errors of the original still point at the script's line.
constexpr const char* kWrappers = R"lua(
local refusal, ntk, matrix_methods = ...
local function first(_, a) return a end
local function second(_, _, b) return b end
local function field(name)
  return function(fn, t)
    if type(t) ~= "table" then return nil end
    if getmetatable(t) ~= nil then
      error(fn .. ": an argument table with a metatable is not accepted in the sandbox", 3)
    end
    return rawget(t, name)
  end
end
local function wrap(tbl, key, fn, get_path, kind)
  local original = tbl and tbl[key]
  if type(original) ~= "function" then return end
  tbl[key] = function(...)
    local path = get_path(fn, ...)
    if type(path) == "number" then path = tostring(path) end
    if type(path) == "string" then
      local why = refusal(kind, path, fn)
      if why then error(why, 2) end
    end
    return original(...)
  end
end
wrap(ntk.data, "idx", "ntk.data.idx", first, "read")
wrap(ntk.data, "csv", "ntk.data.csv", first, "read")
wrap(ntk.data, "uci", "ntk.data.uci", first, "name_or_path")
wrap(ntk.data, "tu", "ntk.data.tu", first, "name_or_path")
wrap(ntk.data, "mnist", "ntk.data.mnist", field("dir"), "read")
wrap(ntk.data, "fashion_mnist", "ntk.data.fashion_mnist", field("dir"), "read")
wrap(ntk.plot, "line", "ntk.plot.line", field("file"), "write")
wrap(ntk.plot, "heatmap", "ntk.plot.heatmap", field("file"), "write")
wrap(matrix_methods, "save_csv", "M:save_csv", second, "write")
)lua";

void wrap_file_functions(lua_State* L) {
  if (luaL_loadbufferx(L, kWrappers, std::strlen(kWrappers), "=sandbox", "t") != LUA_OK)
    lua_error(L);
  lua_pushcfunction(L, l_refusal);
  lua_getglobal(L, "ntk");
  luaL_getmetatable(L, "ntk.matrix");
  if (lua_istable(L, -1)) {
    lua_getfield(L, -1, "__index");
    lua_remove(L, -2);
  }
  lua_call(L, 3, 0);
}

// getmetatable(userdata) would hand out __gc (a second destructor call is a use after free):
// every metatable made with luaL_newmetatable (registry[NAME] with __name = NAME) is locked.
void lock_userdata_metatables(lua_State* L) {
  lua_pushnil(L);
  while (lua_next(L, LUA_REGISTRYINDEX) != 0) {
    if (lua_type(L, -2) == LUA_TSTRING && lua_istable(L, -1)) {
      // stack: key, table, table.__name
      if (lua_getfield(L, -1, "__name") == LUA_TSTRING && lua_rawequal(L, -1, -3)) {
        lua_pushliteral(L, "locked in the sandbox");
        lua_setfield(L, -3, "__metatable");
      }
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
}

void set_module_path(lua_State* L, const std::string& script_path) {
  std::string dir = std::filesystem::path(script_path).parent_path().string();
  if (dir.empty()) dir = ".";
  std::string path = dir + "/?.lua;" + dir + "/lib/?.lua";
#ifdef NTKLAB_SCRIPTS_DIR
  path += std::string(";") + NTKLAB_SCRIPTS_DIR + "/lib/?.lua;" + NTKLAB_SCRIPTS_DIR + "/?.lua";
#endif
  lua_getglobal(L, "package");
  lua_pushlstring(L, path.data(), path.size());
  lua_setfield(L, -2, "path");
  lua_pushliteral(L, "");
  lua_setfield(L, -2, "cpath");
  // No native modules: only the preload and Lua-file searchers stay.
  lua_getfield(L, -1, "searchers");
  lua_pushnil(L);
  lua_rawseti(L, -2, 4);
  lua_pushnil(L);
  lua_rawseti(L, -2, 3);
  lua_pop(L, 2);
}

FileAccess make_rules(const std::string& script_path, const std::vector<std::string>& allow_read,
                      const std::vector<std::string>& allow_write) {
  FileAccess access(allow_read, allow_write);
  std::string dir = std::filesystem::path(script_path).parent_path().string();
  if (dir.empty()) dir = ".";
  access.add_module_directory(dir);
#ifdef NTKLAB_SCRIPTS_DIR
  access.add_module_directory(NTKLAB_SCRIPTS_DIR);
#endif
  return access;
}

}  // namespace

void enter_sandbox(lua_State* L, const std::string& script_path,
                   const std::vector<std::string>& allow_read,
                   const std::vector<std::string>& allow_write) {
  install_file_access(L, make_rules(script_path, allow_read, allow_write));
  set_module_path(L, script_path);
  wrap_file_functions(L);
  lock_userdata_metatables(L);

  lua_newtable(L);  // the sandbox's globals
  const int globals = lua_gettop(L);
  for (const char* name : kBase) {
    lua_getglobal(L, name);
    lua_setfield(L, globals, name);
  }
  lua_getglobal(L, "collectgarbage");
  lua_pushcclosure(L, l_collectgarbage, 1);
  lua_setfield(L, globals, "collectgarbage");
  lua_newtable(L);  // package.loaded of the sandbox: what `require` may hand out
  const int loaded = lua_gettop(L);
  for (const Library& lib : kLibraries) {
    push_library_copy(L, lib);
    lua_pushvalue(L, -1);
    lua_setfield(L, loaded, lib.name);
    lua_setfield(L, globals, lib.name);
  }
  lua_getfield(L, globals, "io");
  lua_getglobal(L, "io");
  lua_getfield(L, -1, "open");
  lua_pushcclosure(L, l_io_open, 1);
  lua_setfield(L, -3, "open");
  lua_getfield(L, -1, "lines");
  lua_pushcclosure(L, l_io_lines, 1);
  lua_setfield(L, -3, "lines");
  lua_pop(L, 2);
  lua_getfield(L, globals, "ntk");
  lua_setfield(L, loaded, "ntk");
  lua_pushvalue(L, globals);
  lua_setfield(L, globals, "_G");
  lua_pushvalue(L, globals);
  lua_setfield(L, loaded, "_G");

  // Strings index the sandbox's string table (no string.dump through ("").dump).
  lua_pushliteral(L, "");
  lua_getmetatable(L, -1);
  lua_getfield(L, globals, "string");
  lua_setfield(L, -2, "__index");
  lua_pop(L, 2);

  lua_setfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_rawseti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
}

}  // namespace ntk::lua
