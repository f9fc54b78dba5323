// ntk.params: declared script parameters (see params.hpp).
#include "lua/params.hpp"

#include <lua.hpp>

#include <algorithm>
#include <cmath>

#include "core/batch/grid.hpp"
#include "lua/module.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::lua {
namespace {

constexpr const char* kGivenKey = "ntk.params.given";
constexpr const char* kSinkKey = "ntk.params.sink";
constexpr const char* kCalledKey = "ntk.params.called";
const char kStop = 0;  // its address is the error object that ends a declare-only run

void push_value(lua_State* L, const ParamValue& v) {
  switch (v.type) {
    case ParamType::integer: lua_pushinteger(L, static_cast<lua_Integer>(v.integer)); break;
    case ParamType::number:
      if (v.is_integer) lua_pushinteger(L, static_cast<lua_Integer>(v.integer));
      else lua_pushnumber(L, v.number);
      break;
    case ParamType::boolean: lua_pushboolean(L, v.boolean); break;
    case ParamType::string: lua_pushlstring(L, v.text.data(), v.text.size()); break;
    case ParamType::list:
      lua_createtable(L, static_cast<int>(v.list.size()), 0);
      for (std::size_t i = 0; i < v.list.size(); ++i) {
        if (v.list[i].first) lua_pushinteger(L, static_cast<lua_Integer>(v.list[i].second));
        else lua_pushnumber(L, v.list[i].second);
        lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
      }
      break;
  }
}

std::string number_text(lua_State* L, int index) {
  lua_pushvalue(L, index);
  std::string text = lua_tostring(L, -1);  // converts the copy
  lua_pop(L, 1);
  return text;
}

ParamType type_from_text(const std::string& where, const std::string& text) {
  if (text == "integer") return ParamType::integer;
  if (text == "number") return ParamType::number;
  if (text == "string") return ParamType::string;
  if (text == "boolean") return ParamType::boolean;
  if (text == "list") return ParamType::list;
  throw_error(where, ": type must be one of integer, number, string, boolean, list, got '", text,
              "'");
}

// Reads {default, "doc", choices = {...}?, type = "..."?} at the top of the stack.
ParamSpec read_spec(lua_State* L, const std::string& name) {
  const std::string where = "ntk.params: parameter '" + name + "'";
  if (!core::batch::is_parameter_name(name))
    throw_error("ntk.params: '", name,
                "' is not a parameter name (letters, digits and '_', not starting with a digit)");
  if (!lua_istable(L, -1))
    throw_error(where, ": expected {default, \"doc\"}, got a ", luaL_typename(L, -1));
  const int t = lua_gettop(L);
  lua_pushnil(L);
  while (lua_next(L, t) != 0) {
    lua_pop(L, 1);
    const bool ok = (lua_isinteger(L, -1) && (lua_tointeger(L, -1) == 1 || lua_tointeger(L, -1) == 2)) ||
                    (lua_type(L, -1) == LUA_TSTRING &&
                     (std::string(lua_tostring(L, -1)) == "choices" ||
                      std::string(lua_tostring(L, -1)) == "type"));
    if (!ok) {
      const std::string key = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1)
                                                             : luaL_typename(L, -1);
      lua_pop(L, 1);
      throw_error(where, ": unknown field '", key, "' (known fields: 1 (default), 2 (doc), choices, type)");
    }
  }
  ParamSpec spec;
  spec.name = name;
  if (lua_rawgeti(L, t, 2) != LUA_TSTRING)
    throw_error(where, ": the second item must be its one-line doc (a string), got ",
                luaL_typename(L, -1));
  spec.doc = lua_tostring(L, -1);
  lua_pop(L, 1);

  const int default_type = lua_rawgeti(L, t, 1);
  const int d = lua_gettop(L);
  switch (default_type) {
    case LUA_TNUMBER:
      spec.type = lua_isinteger(L, d) ? ParamType::integer : ParamType::number;
      spec.default_text = number_text(L, d);
      break;
    case LUA_TSTRING:
      spec.type = ParamType::string;
      spec.default_text = lua_tostring(L, d);
      break;
    case LUA_TBOOLEAN:
      spec.type = ParamType::boolean;
      spec.default_text = lua_toboolean(L, d) ? "true" : "false";
      break;
    case LUA_TTABLE: {
      spec.type = ParamType::list;
      const lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, d));
      if (n == 0) throw_error(where, ": a list default needs at least one number");
      for (lua_Integer i = 1; i <= n; ++i) {
        if (lua_rawgeti(L, d, i) != LUA_TNUMBER)
          throw_error(where, ": list default item ", i, " must be a number, got a ",
                      luaL_typename(L, -1));
        spec.default_text += (i == 1 ? "" : ",") + number_text(L, -1);
        lua_pop(L, 1);
      }
      break;
    }
    default:
      throw_error(where, ": the first item must be its default (a number, string, boolean or "
                  "list of numbers), got ", luaL_typename(L, d));
  }

  if (lua_getfield(L, t, "type") != LUA_TNIL) {
    if (!lua_isstring(L, -1) || lua_type(L, -1) != LUA_TSTRING)
      throw_error(where, ": type must be a string, got a ", luaL_typename(L, -1));
    const ParamType wanted = type_from_text(where, lua_tostring(L, -1));
    const bool fits = wanted == spec.type ||
                      (wanted == ParamType::number && spec.type == ParamType::integer) ||
                      (wanted == ParamType::integer && spec.type == ParamType::number &&
                       lua_tonumber(L, d) == std::floor(lua_tonumber(L, d)));
    if (!fits)
      throw_error(where, ": the default ", spec.default_text, " is not of type ", type_name(wanted));
    spec.type = wanted;
  }
  lua_pop(L, 1);

  if (lua_getfield(L, t, "choices") != LUA_TNIL) {
    if (spec.type != ParamType::string)
      throw_error(where, ": choices are for string parameters (this one is ",
                  type_name(spec.type), ")");
    if (!lua_istable(L, -1))
      throw_error(where, ": choices must be a list of strings, got a ", luaL_typename(L, -1));
    const lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, -1));
    for (lua_Integer i = 1; i <= n; ++i) {
      if (lua_rawgeti(L, -1, i) != LUA_TSTRING)
        throw_error(where, ": choice ", i, " must be a string, got a ", luaL_typename(L, -1));
      spec.choices.push_back(lua_tostring(L, -1));
      lua_pop(L, 1);
    }
    if (spec.choices.empty()) throw_error(where, ": choices is empty");
    if (std::find(spec.choices.begin(), spec.choices.end(), spec.default_text) == spec.choices.end())
      throw_error(where, ": the default '", spec.default_text, "' is not one of its choices");
  }
  lua_pop(L, 2);  // choices, default
  return spec;
}

// The declaration in the table at index 1, sorted by name.
ParamDeclaration read_declaration(lua_State* L) {
  if (!lua_istable(L, 1))
    throw_error("ntk.params: expected a table {name = {default, \"doc\"}, ...}, got a ",
                luaL_typename(L, 1));
  ParamDeclaration declaration;
  lua_pushnil(L);
  while (lua_next(L, 1) != 0) {
    if (lua_type(L, -2) != LUA_TSTRING)
      throw_error("ntk.params: parameter names must be strings, got a ", luaL_typename(L, -2));
    declaration.push_back(read_spec(L, lua_tostring(L, -2)));
    lua_pop(L, 1);
  }
  std::sort(declaration.begin(), declaration.end(),
            [](const ParamSpec& a, const ParamSpec& b) { return a.name < b.name; });
  return declaration;
}

// The global-`params` conversion of a host value (mode, out, seed, ...): a number when the
// whole text is a Lua numeral.
void push_host_value(lua_State* L, const std::string& text) {
  if (!text.empty() && lua_stringtonumber(L, text.c_str()) == text.size() + 1) return;
  lua_pushlstring(L, text.data(), text.size());
}

int l_params(lua_State* L) {
  bool stop = false;
  const int results = protect(L, [&] {
    lua_getfield(L, LUA_REGISTRYINDEX, kCalledKey);
    const bool called = lua_toboolean(L, -1) != 0;
    lua_pop(L, 1);
    if (called) throw_error("ntk.params: the parameters are already declared (call it once)");
    ParamDeclaration declaration = read_declaration(L);
    lua_pushboolean(L, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, kCalledKey);

    lua_getfield(L, LUA_REGISTRYINDEX, kSinkKey);
    auto* sink = static_cast<ParamDeclaration*>(lua_touserdata(L, -1));
    lua_pop(L, 1);
    if (sink != nullptr) {
      *sink = std::move(declaration);
      stop = true;
      return 0;
    }

    // Every given key must be declared or the host's; collect them first (no pushes between).
    std::vector<std::pair<std::string, std::string>> given;
    if (lua_getfield(L, LUA_REGISTRYINDEX, kGivenKey) == LUA_TTABLE) {
      lua_pushnil(L);
      while (lua_next(L, -2) != 0) {
        given.emplace_back(lua_tostring(L, -2), lua_tostring(L, -1));
        lua_pop(L, 1);
      }
    }
    lua_pop(L, 1);
    std::sort(given.begin(), given.end());
    for (const auto& [name, text] : given) {
      try {
        check_parameter(declaration, name, text);
      } catch (const Error& e) {
        throw_error("ntk.params: --set ", name, "=", text, ": ", e.what());
      }
    }

    lua_createtable(L, 0, static_cast<int>(declaration.size() + given.size()));
    const int out = lua_gettop(L);
    for (const auto& spec : declaration) {
      lua_getfield(L, 1, spec.name.c_str());
      lua_rawgeti(L, -1, 1);  // the default
      lua_setfield(L, out, spec.name.c_str());
      lua_pop(L, 1);
    }
    for (const auto& [name, text] : given) {
      if (const ParamSpec* spec = find_parameter(declaration, name)) push_value(L, convert_parameter(*spec, text));
      else push_host_value(L, text);
      lua_setfield(L, out, name.c_str());
    }
    return 1;
  });
  if (stop) {
    lua_pushlightuserdata(L, const_cast<char*>(&kStop));
    return lua_error(L);
  }
  return results;
}

}  // namespace

void set_declaration_sink(lua_State* L, ParamDeclaration* sink) {
  if (sink) lua_pushlightuserdata(L, sink);
  else lua_pushnil(L);
  lua_setfield(L, LUA_REGISTRYINDEX, kSinkKey);
}

bool is_declaration_stop(lua_State* L, int index) {
  return lua_type(L, index) == LUA_TLIGHTUSERDATA && lua_touserdata(L, index) == &kStop;
}

void set_given_parameters(lua_State* L,
                          const std::vector<std::pair<std::string, std::string>>& given) {
  lua_createtable(L, 0, static_cast<int>(given.size()));
  for (const auto& [name, text] : given) {
    lua_pushlstring(L, text.data(), text.size());
    lua_setfield(L, -2, name.c_str());
  }
  lua_setfield(L, LUA_REGISTRYINDEX, kGivenKey);
}

bool parameters_declared(lua_State* L) {
  lua_getfield(L, LUA_REGISTRYINDEX, kCalledKey);
  const bool called = lua_toboolean(L, -1) != 0;
  lua_pop(L, 1);
  return called;
}

void open_params(lua_State* L, Context&) {
  lua_pushcfunction(L, l_params);
  lua_setfield(L, -2, "params");
}

}  // namespace ntk::lua
