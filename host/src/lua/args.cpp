// Throwing argument helpers (see args.hpp).
#include "lua/args.hpp"

#include <cmath>
#include <cstring>
#include <sstream>

#include "ntk/sdk/error.hpp"

namespace ntk::lua {

// Argument numbers as Lua's luaL_argerror writes them: for a method call (M:get(i, j)) the
// receiver is not counted, so `i` is argument #1.
static int visible_index(lua_State* L, int index) {
  lua_Debug ar;
  if (lua_getstack(L, 0, &ar) && lua_getinfo(L, "n", &ar) && ar.namewhat != nullptr &&
      std::strcmp(ar.namewhat, "method") == 0)
    return index - 1;
  return index;
}

[[noreturn]] void argument_error(lua_State* L, int index, const char* function,
                                 const char* expected) {
  const char* got = lua_isnone(L, index) ? "no value" : luaL_typename(L, index);
  const int shown = visible_index(L, index);
  if (shown == 0)
    throw_error("calling '", function, "' on bad self (", expected, " expected, got ", got, ")");
  throw_error("bad argument #", shown, " to '", function, "' (", expected, " expected, got ",
              got, ")");
}

std::string argument_name(lua_State* L, int index, const char* function) {
  const int shown = visible_index(L, index);
  if (shown == 0) return std::string("bad self of '") + function + "'";
  return "bad argument #" + std::to_string(shown) + " to '" + function + "'";
}

arma::mat& matrix_arg(lua_State* L, int index, const char* function) {
  if (arma::mat* m = test_matrix(L, index)) return *m;
  argument_error(L, index, function, "ntk.matrix");
}

double number_arg(lua_State* L, int index, const char* function) {
  if (lua_type(L, index) != LUA_TNUMBER) argument_error(L, index, function, "number");
  return lua_tonumber(L, index);
}

long long integer_arg(lua_State* L, int index, const char* function) {
  if (lua_type(L, index) != LUA_TNUMBER) argument_error(L, index, function, "integer");
  if (lua_isinteger(L, index)) return static_cast<long long>(lua_tointeger(L, index));
  const double v = lua_tonumber(L, index);
  if (!(std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9.0e15))
    throw_error("bad argument #", visible_index(L, index), " to '", function, "' (number ", v,
                " has no integer representation)");
  return static_cast<long long>(v);
}

std::string string_arg(lua_State* L, int index, const char* function) {
  if (lua_type(L, index) != LUA_TSTRING) argument_error(L, index, function, "string");
  size_t len = 0;
  const char* s = lua_tolstring(L, index, &len);
  return std::string(s, len);
}

std::string opt_string_arg(lua_State* L, int index, const char* function,
                           const std::string& fallback) {
  if (lua_isnoneornil(L, index)) return fallback;
  return string_arg(L, index, function);
}

void table_arg(lua_State* L, int index, const char* function) {
  if (!lua_istable(L, index)) argument_error(L, index, function, "table");
}

std::string shape_text(const arma::mat& m) {
  std::ostringstream out;
  out << m.n_rows << " x " << m.n_cols;
  return out.str();
}

void push_integer_if_whole(lua_State* L, double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9.0e15)
    lua_pushinteger(L, static_cast<lua_Integer>(v));
  else
    lua_pushnumber(L, v);
}

void push_subtable(lua_State* L, const char* name) {
  if (lua_getfield(L, -1, name) == LUA_TTABLE) return;
  lua_pop(L, 1);
  lua_newtable(L);
  lua_pushvalue(L, -1);
  lua_setfield(L, -3, name);
}

void push_methods_table(lua_State* L, const char* meta) {
  luaL_newmetatable(L, meta);  // the existing one if any
  push_subtable(L, "__index");
  lua_remove(L, -2);
}

void register_userdata_type(lua_State* L, const char* name, lua_CFunction gc,
                            lua_CFunction tostring, const luaL_Reg* methods, lua_CFunction len) {
  luaL_newmetatable(L, name);
  lua_pushcfunction(L, gc);
  lua_setfield(L, -2, "__gc");
  if (len != nullptr) {
    lua_pushcfunction(L, len);
    lua_setfield(L, -2, "__len");
  }
  lua_pushcfunction(L, tostring);
  lua_setfield(L, -2, "__tostring");
  push_subtable(L, "__index");
  luaL_setfuncs(L, methods, 0);
  lua_pop(L, 2);
}

}  // namespace ntk::lua
