// Lua table → sdk::Options (see arch.hpp).
#include <string>
#include <vector>

#include "lua/arch.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::lua {

namespace {

std::vector<double> number_list(lua_State* L, int index, const std::string& where,
                                const std::string& key) {
  const lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, index));
  std::vector<double> list;
  list.reserve(static_cast<std::size_t>(n));
  for (lua_Integer i = 1; i <= n; ++i) {
    lua_rawgeti(L, index, i);
    if (lua_type(L, -1) != LUA_TNUMBER) {
      const char* type = luaL_typename(L, -1);
      lua_pop(L, 1);
      throw_error(where, ": option '", key, "' entry ", i, " is a ", type,
                  "; a list of numbers is expected");
    }
    list.push_back(lua_tonumber(L, -1));
    lua_pop(L, 1);
  }
  // Count the keys too, so {1, 2, x = 3} or {[5] = 1} is not silently truncated.
  lua_Integer count = 0;
  lua_pushnil(L);
  while (lua_next(L, index) != 0) {
    lua_pop(L, 1);
    ++count;
  }
  if (count != n)
    throw_error(where, ": option '", key, "' is a table that is not a list of numbers (",
                count, " keys, ", n, " list entries)");
  return list;
}

}  // namespace

sdk::Options to_options(lua_State* L, int index, const std::string& where) {
  sdk::Options options;
  if (lua_isnoneornil(L, index)) return options;
  index = lua_absindex(L, index);
  if (!lua_istable(L, index))
    throw_error(where, ": options must be a table, got ", luaL_typename(L, index));
  if (!lua_checkstack(L, 4)) throw_error(where, ": Lua stack exhausted");
  lua_pushnil(L);
  while (lua_next(L, index) != 0) {
    if (lua_type(L, -2) != LUA_TSTRING) {
      const char* type = luaL_typename(L, -2);
      throw_error(where, ": option keys must be names (strings); got a key of type ", type);
    }
    const std::string key = lua_tostring(L, -2);
    switch (lua_type(L, -1)) {
      case LUA_TNUMBER: options.set(key, lua_tonumber(L, -1)); break;
      case LUA_TBOOLEAN: options.set(key, lua_toboolean(L, -1) != 0); break;
      case LUA_TSTRING: options.set(key, std::string(lua_tostring(L, -1))); break;
      case LUA_TTABLE: options.set(key, number_list(L, lua_gettop(L), where, key)); break;
      default: {
        const char* type = luaL_typename(L, -1);
        throw_error(where, ": option '", key, "' is a ", type,
                    "; options are numbers, booleans, strings or lists of numbers");
      }
    }
    lua_pop(L, 1);
  }
  return options;
}

}  // namespace ntk::lua
