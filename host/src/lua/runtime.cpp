// The Lua runtime: a state with the `ntk` module, and the protected run of a script file.
#include "lua/runtime.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <new>
#include <ostream>
#include <sstream>
#include <string>

#include "lua/module.hpp"
#include "lua/sandbox.hpp"
#include "lua/text_loading.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::lua {
namespace {

// The Context lives in a userdata anchored in the registry, so it dies with the state;
// its address sits in the state's extra space for context(L).
constexpr const char* kContextKey = "ntk.context";

int context_gc(lua_State* L) {
  static_cast<Context*>(lua_touserdata(L, 1))->~Context();
  return 0;
}

void install_context(lua_State* L, ArchitectureSource& architectures) {
  auto* ctx = new (lua_newuserdatauv(L, sizeof(Context), 0)) Context{};
  ctx->architectures = &architectures;
  lua_newtable(L);
  lua_pushcfunction(L, context_gc);
  lua_setfield(L, -2, "__gc");
  lua_setmetatable(L, -2);
  lua_setfield(L, LUA_REGISTRYINDEX, kContextKey);
  *static_cast<Context**>(lua_getextraspace(L)) = ctx;
}

// A --set value: a number when the whole text is a Lua numeral ("3" -> integer, "1e-3" ->
// float), otherwise the string as given.
void push_param_value(lua_State* L, const std::string& text) {
  if (!text.empty() && lua_stringtonumber(L, text.c_str()) == text.size() + 1) return;
  lua_pushlstring(L, text.data(), text.size());
}

// Message handler: the error (made a string) followed by the stack traceback. The stop of a
// declare-only run passes through unchanged.
int traceback_handler(lua_State* L) {
  if (is_declaration_stop(L, 1)) return 1;
  const char* message = lua_tostring(L, 1);
  if (message == nullptr) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) {
      message = lua_tostring(L, -1);
    } else {
      message = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
  }
  luaL_traceback(L, L, message, 1);
  return 1;
}

int new_state_body(lua_State* L) {  // runs protected: argument 1 is the ScriptParams
  const auto& params = *static_cast<const ScriptParams*>(lua_touserdata(L, 1));
  luaL_openlibs(L);
  install_text_only_loading(L);

  lua_newtable(L);  // ntk
  open_all_modules(L, context(L));
  // ntk.params lives with the runtime: it reads the given parameters and the declare-only
  // mode that new_state and read_script_parameters set up.
  open_params(L, context(L));
  lua_pushvalue(L, -1);
  lua_setglobal(L, "ntk");
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_insert(L, -2);
  lua_setfield(L, -2, "ntk");  // require "ntk" gives the same table
  lua_pop(L, 1);

  lua_newtable(L);  // params
  for (const auto& [key, value] : params) {
    push_param_value(L, value);
    lua_setfield(L, -2, key.c_str());
  }
  lua_setglobal(L, "params");
  set_given_parameters(L, params);
  return 0;
}

}  // namespace

// Prepends "<dir>/?.lua;<dir>/lib/?.lua;<scripts>/lib/?.lua;<scripts>/?.lua" to package.path
// (the last one for require("lib.experiment")).
void add_script_directory(lua_State* L, const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  std::string prefix = dir + "/?.lua;" + dir + "/lib/?.lua;";
#ifdef NTKLAB_SCRIPTS_DIR
  prefix += std::string(NTKLAB_SCRIPTS_DIR) + "/lib/?.lua;" + NTKLAB_SCRIPTS_DIR + "/?.lua;";
#endif
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "path");
  const std::string old_path = lua_tostring(L, -1) ? lua_tostring(L, -1) : "";
  lua_pop(L, 1);
  const std::string new_path = prefix + old_path;
  lua_pushlstring(L, new_path.data(), new_path.size());
  lua_setfield(L, -2, "path");
  lua_pop(L, 1);
}

bool mentions_declared_parameters(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text.find("ntk.params") != std::string::npos;
}

ScriptParameters read_script_parameters(const std::string& path,
                                        ArchitectureSource& architectures,
                                        const RunOptions& options) {
  ScriptParameters result;
  if (!std::filesystem::is_regular_file(path))
    throw_error("cannot open script ", path);
  if (!mentions_declared_parameters(path)) return result;
  lua_State* L = new_state(architectures, {});
  set_declaration_sink(L, &result.parameters);
  add_script_directory(L, path);
  if (options.sandbox) {
    try {
      enter_sandbox(L, path, options.allow_read, options.allow_write);
    } catch (...) {
      lua_close(L);
      throw;
    }
  }
  lua_pushcfunction(L, traceback_handler);
  int status = load_text_file(L, path.c_str());
  if (status == LUA_OK) status = lua_pcall(L, 0, 0, -2);
  if (status != LUA_OK && !is_declaration_stop(L, -1)) {
    const std::string message =
        lua_tostring(L, -1) ? lua_tostring(L, -1) : "(error object is not a string)";
    lua_close(L);
    throw_error(message);
  }
  result.declared = parameters_declared(L);
  lua_close(L);
  return result;
}

lua_State* new_state(ArchitectureSource& architectures, const ScriptParams& params) {
  lua_State* L = luaL_newstate();
  if (L == nullptr) throw std::bad_alloc();
  install_context(L, architectures);
  lua_pushcfunction(L, new_state_body);
  lua_pushlightuserdata(L, const_cast<ScriptParams*>(&params));
  if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
    const std::string message = lua_tostring(L, -1) ? lua_tostring(L, -1) : "unknown error";
    lua_close(L);
    throw std::runtime_error("cannot create the Lua state: " + message);
  }
  return L;
}

int run_script(const std::string& path, const ScriptParams& params,
               ArchitectureSource& architectures, std::ostream& err, const RunOptions& options) {
  lua_State* L = nullptr;
  try {
    L = new_state(architectures, params);
  } catch (const std::exception& e) {
    err << e.what() << '\n';
    return 1;
  }
  add_script_directory(L, path);
  if (options.sandbox) {
    try {
      enter_sandbox(L, path, options.allow_read, options.allow_write);
    } catch (const std::exception& e) {
      err << e.what() << '\n';
      lua_close(L);
      return 1;
    }
  }
  lua_pushcfunction(L, traceback_handler);
  // The chunk is named "@PATH", so messages read "PATH:LINE: message"; text only.
  int status = load_text_file(L, path.c_str());
  if (status == LUA_OK) status = lua_pcall(L, 0, 0, -2);
  if (status != LUA_OK) {
    const char* message = lua_tostring(L, -1);
    err << (message ? message : "(error object is not a string)") << '\n';
  }
  lua_close(L);
  return status == LUA_OK ? 0 : 1;
}

}  // namespace ntk::lua
