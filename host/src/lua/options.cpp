// Lua table ↔ sdk::Options (see arch.hpp).
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

// Nested layer tables deeper than this are refused (a self-referencing table would recurse
// forever).
constexpr int kMaxDepth = 32;

sdk::Options table_options(lua_State* L, int index, const std::string& where, bool named,
                           int depth);

// {{"dense", w_std = 1}, {"relu"}}: a list of named tables ("layer 2" in messages).
std::vector<sdk::LayerSpec> spec_list(lua_State* L, int index, const std::string& where,
                                      const std::string& key, int depth) {
  if (depth > kMaxDepth)
    throw_error(where, ": option '", key, "' nests tables more than ", kMaxDepth, " deep");
  const lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, index));
  std::vector<sdk::LayerSpec> specs;
  for (lua_Integer i = 1; i <= n; ++i) {
    lua_rawgeti(L, index, i);
    const std::string item = where + ", " + key + " entry " + std::to_string(i);
    if (!lua_istable(L, -1)) {
      const char* type = luaL_typename(L, -1);
      lua_pop(L, 1);
      throw_error(item, " is a ", type, "; each entry is a table such as {\"dense\", w_std = 1}");
    }
    const int t = lua_gettop(L);
    lua_rawgeti(L, t, 1);
    if (lua_type(L, -1) != LUA_TSTRING) {
      lua_pop(L, 2);
      throw_error(item, ": the table's first entry must be the layer name (a string), as in "
                  "{\"relu\"}");
    }
    sdk::LayerSpec spec;
    spec.name = lua_tostring(L, -1);
    lua_pop(L, 1);
    spec.options = table_options(L, t, item + " (\"" + spec.name + "\")", true, depth + 1);
    lua_pop(L, 1);
    specs.push_back(std::move(spec));
  }
  return specs;
}

// The keyed entries of a table. `named`: entry [1] is the table's name (already read) and no
// other positional entries are allowed.
sdk::Options table_options(lua_State* L, int index, const std::string& where, bool named,
                           int depth) {
  sdk::Options options;
  if (!lua_checkstack(L, 6)) throw_error(where, ": Lua stack exhausted");
  lua_pushnil(L);
  while (lua_next(L, index) != 0) {
    if (named && lua_type(L, -2) == LUA_TNUMBER && lua_tointeger(L, -2) == 1) {
      lua_pop(L, 1);
      continue;
    }
    if (lua_type(L, -2) != LUA_TSTRING) {
      const char* type = luaL_typename(L, -2);
      throw_error(where, ": option keys must be names (strings); got a key of type ", type);
    }
    const std::string key = lua_tostring(L, -2);
    switch (lua_type(L, -1)) {
      case LUA_TNUMBER: options.set(key, lua_tonumber(L, -1)); break;
      case LUA_TBOOLEAN: options.set(key, lua_toboolean(L, -1) != 0); break;
      case LUA_TSTRING: options.set(key, std::string(lua_tostring(L, -1))); break;
      case LUA_TTABLE: {
        const int t = lua_gettop(L);
        lua_rawgeti(L, t, 1);
        const bool tables = lua_istable(L, -1);
        lua_pop(L, 1);
        if (tables) options.set(key, spec_list(L, t, where, key, depth));
        else options.set(key, number_list(L, t, where, key));
        break;
      }
      default: {
        const char* type = luaL_typename(L, -1);
        throw_error(where, ": option '", key, "' is a ", type,
                    "; options are numbers, booleans, strings, lists of numbers or lists of "
                    "tables");
      }
    }
    lua_pop(L, 1);
  }
  return options;
}

}  // namespace

sdk::Options to_options(lua_State* L, int index, const std::string& where) {
  if (lua_isnoneornil(L, index)) return {};
  index = lua_absindex(L, index);
  if (!lua_istable(L, index))
    throw_error(where, ": options must be a table, got ", luaL_typename(L, index));
  return table_options(L, index, where, false, 0);
}

void push_option_value(lua_State* L, const sdk::OptionValue& value) {
  if (!lua_checkstack(L, 4)) throw_error("push_option_value(): Lua stack exhausted");
  if (auto* b = std::get_if<bool>(&value)) lua_pushboolean(L, *b);
  else if (auto* d = std::get_if<double>(&value)) lua_pushnumber(L, *d);
  else if (auto* s = std::get_if<std::string>(&value)) lua_pushlstring(L, s->data(), s->size());
  else if (auto* list = std::get_if<std::vector<double>>(&value)) {
    lua_createtable(L, int(list->size()), 0);
    for (std::size_t i = 0; i < list->size(); ++i) {
      lua_pushnumber(L, (*list)[i]);
      lua_rawseti(L, -2, lua_Integer(i + 1));
    }
  } else {  // named tables: {{"dense", w_std = 1}, ...}
    const auto& specs = std::get<std::vector<sdk::LayerSpec>>(value);
    lua_createtable(L, int(specs.size()), 0);
    for (std::size_t i = 0; i < specs.size(); ++i) {
      lua_createtable(L, 1, int(specs[i].options.values().size()));
      lua_pushlstring(L, specs[i].name.data(), specs[i].name.size());
      lua_rawseti(L, -2, 1);
      for (const auto& [key, v] : specs[i].options.values()) {
        push_option_value(L, v);
        lua_setfield(L, -2, key.c_str());
      }
      lua_rawseti(L, -2, lua_Integer(i + 1));
    }
  }
}

}  // namespace ntk::lua
