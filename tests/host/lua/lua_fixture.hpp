// Shared by the Lua binding tests: a state made by new_state, snippets run under a traceback
// handler, and conversions of globals back to C++ for checks against Armadillo.
#pragma once

#include <catch2/catch.hpp>
#include <lua.hpp>

#include <armadillo>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

#include "lua/module.hpp"
#include "lua/runtime.hpp"
#include "plugin/registry.hpp"
#include "plugin/registry_source.hpp"

namespace ntk::lua::test {

inline std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : fallback;
}

inline std::string source_dir() { return env_or("NTKLAB_SOURCE_DIR", "."); }
inline std::string build_dir() { return env_or("NTKLAB_BUILD_DIR", "build"); }
inline std::string script_path(const std::string& name) {
  return source_dir() + "/tests/host/lua/scripts/" + name;
}

// A fresh, empty directory for one test (removed by the destructor).
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& tag)
      : path(std::filesystem::temp_directory_path() /
             ("ntk_lua_" + tag + "_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

inline int traceback(lua_State* L) {
  luaL_traceback(L, L, lua_tostring(L, 1), 1);
  return 1;
}

class LuaFixture {
 public:
  explicit LuaFixture(const ScriptParams& params = {}) : L(new_state(source, params)) {}
  ~LuaFixture() { lua_close(L); }
  LuaFixture(const LuaFixture&) = delete;
  LuaFixture& operator=(const LuaFixture&) = delete;

  // Runs `code` as chunk "snippet" (messages read "snippet:LINE:"); "" on success, else the
  // error message with its traceback.
  std::string run(const std::string& code) {
    lua_pushcfunction(L, traceback);
    int status = luaL_loadbuffer(L, code.data(), code.size(), "=snippet");
    if (status == LUA_OK) status = lua_pcall(L, 0, 0, -2);
    std::string message;
    if (status != LUA_OK) message = lua_tostring(L, -1) ? lua_tostring(L, -1) : "?";
    lua_settop(L, 0);
    return message;
  }
  void ok(const std::string& code) {
    const std::string message = run(code);
    INFO(message);
    REQUIRE(message.empty());
  }
  // The error of `code`, which must fail.
  std::string error(const std::string& code) {
    const std::string message = run(code);
    INFO("code: " << code);
    REQUIRE_FALSE(message.empty());
    return message;
  }

  void set_matrix(const char* name, const arma::mat& m) {
    push_matrix(L, m);
    lua_setglobal(L, name);
  }
  arma::mat matrix(const char* name) {
    lua_getglobal(L, name);
    INFO("global " << name << " is a " << luaL_typename(L, -1));
    REQUIRE(is_matrix(L, -1));
    arma::mat m = check_matrix(L, -1);
    lua_pop(L, 1);
    return m;
  }
  double number(const char* name) {
    lua_getglobal(L, name);
    INFO("global " << name << " is a " << luaL_typename(L, -1));
    REQUIRE(lua_type(L, -1) == LUA_TNUMBER);
    const double v = lua_tonumber(L, -1);
    lua_pop(L, 1);
    return v;
  }
  std::string string(const char* name) {
    lua_getglobal(L, name);
    INFO("global " << name << " is a " << luaL_typename(L, -1));
    REQUIRE(lua_type(L, -1) == LUA_TSTRING);
    std::string v = lua_tostring(L, -1);
    lua_pop(L, 1);
    return v;
  }
  bool boolean(const char* name) {
    lua_getglobal(L, name);
    INFO("global " << name << " is a " << luaL_typename(L, -1));
    REQUIRE(lua_type(L, -1) == LUA_TBOOLEAN);
    const bool v = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return v;
  }

  host::PluginRegistry registry;  // declared before L: outlives the state
  host::RegistrySource source{registry};
  lua_State* L;
};

// Relative Frobenius distance.
inline double relative_error(const arma::mat& a, const arma::mat& b) {
  REQUIRE(a.n_rows == b.n_rows);
  REQUIRE(a.n_cols == b.n_cols);
  const double scale = std::max(arma::norm(b, "fro"), 1e-300);
  return arma::norm(a - b, "fro") / scale;
}

}  // namespace ntk::lua::test
