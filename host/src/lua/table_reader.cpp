// The one reader of Lua argument tables (see table_reader.hpp).
#include "lua/table_reader.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "lua/module.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::lua {
namespace {

std::string number_text(double v) {
  std::ostringstream s;
  s.precision(17);
  s << v;
  return s.str();
}

// The value on top of the stack as a message shows it: numbers and strings by value, other
// types by name.
std::string given(lua_State* L) {
  switch (lua_type(L, -1)) {
    case LUA_TNUMBER:
      return lua_isinteger(L, -1) ? std::to_string(lua_tointeger(L, -1))
                                  : number_text(lua_tonumber(L, -1));
    case LUA_TSTRING: return std::string("'") + lua_tostring(L, -1) + "'";
    case LUA_TBOOLEAN: return lua_toboolean(L, -1) ? "true" : "false";
    default: return std::string("a ") + luaL_typename(L, -1);
  }
}

}  // namespace

bool Range::contains(double v) const {
  if (!std::isfinite(v)) return false;
  const bool lo = min_open ? v > min : v >= min;
  const bool hi = max_open ? v < max : v <= max;
  return lo && hi;
}

std::string Range::text() const {
  const bool has_min = std::isfinite(min), has_max = std::isfinite(max);
  if (has_min && has_max)
    return "in " + std::string(min_open ? "(" : "[") + number_text(min) + ", " +
           number_text(max) + (max_open ? ")" : "]");
  if (has_min) return (min_open ? "> " : ">= ") + number_text(min);
  if (has_max) return (max_open ? "< " : "<= ") + number_text(max);
  return "";
}

TableReader::TableReader(lua_State* L, int index, std::string function,
                         std::vector<std::string> keys)
    : L_(L), t_(lua_absindex(L, index)), fn_(std::move(function)), keys_(std::move(keys)) {
  if (!lua_istable(L_, t_))
    throw_error(fn_, ": expected a table of fields, got ", luaL_typename(L_, t_));
  std::sort(keys_.begin(), keys_.end());
  check_keys();
}

TableReader::TableReader(lua_State* L, int index, std::string function)
    : L_(L), t_(lua_absindex(L, index)), fn_(std::move(function)) {
  if (!lua_istable(L_, t_))
    throw_error(fn_, ": expected a table of fields, got ", luaL_typename(L_, t_));
}

TableReader TableReader::record(lua_State* L, int index, std::string function) {
  return TableReader(L, index, std::move(function));
}

TableReader::TableReader(lua_State* L, int index, std::string function,
                         std::initializer_list<const char*> keys)
    : TableReader(L, index, std::move(function), std::vector<std::string>(keys.begin(), keys.end())) {}

void TableReader::check_keys() const {
  lua_pushnil(L_);
  while (lua_next(L_, t_) != 0) {
    lua_pop(L_, 1);  // the value; the key stays for lua_next
    const bool is_string = lua_type(L_, -1) == LUA_TSTRING;
    const std::string key = is_string ? lua_tostring(L_, -1) : "";
    if (!is_string || !std::binary_search(keys_.begin(), keys_.end(), key)) {
      const std::string shown = is_string ? "'" + key + "'" : "[" + given(L_) + "]";
      lua_pop(L_, 1);
      std::string list;
      for (const auto& k : keys_) list += (list.empty() ? "" : ", ") + k;
      throw_error(fn_, ": unknown field ", shown, " (known fields: ", list, ")");
    }
  }
}

void TableReader::fail(const char* key, const std::string& what) const {
  throw_error(fn_, ": field '", key, "' ", what);
}

void TableReader::type_error(const char* key, const std::string& expected) const {
  const std::string got = given(L_);
  lua_pop(L_, 1);
  fail(key, "must be " + expected + ", got " + got);
}

bool TableReader::has(const char* key) const {
  const int type = lua_getfield(L_, t_, key);
  lua_pop(L_, 1);
  return type != LUA_TNIL;
}

int TableReader::push(const char* key) const { return lua_getfield(L_, t_, key); }

std::optional<double> TableReader::number(const char* key, Range range) const {
  const int type = lua_getfield(L_, t_, key);
  if (type == LUA_TNIL) {
    lua_pop(L_, 1);
    return std::nullopt;
  }
  const std::string bound = range.text();
  const std::string expected = bound.empty() ? "a finite number" : "a number " + bound;
  if (type != LUA_TNUMBER) type_error(key, expected);
  const double v = lua_tonumber(L_, -1);
  if (!range.contains(v)) type_error(key, expected);
  lua_pop(L_, 1);
  return v;
}

double TableReader::number(const char* key, double fallback, Range range) const {
  return number(key, range).value_or(fallback);
}

double TableReader::required_number(const char* key, Range range) const {
  const auto v = number(key, range);
  if (!v) fail(key, "is required");
  return *v;
}

std::optional<long long> TableReader::integer(const char* key, Range range) const {
  const int type = lua_getfield(L_, t_, key);
  if (type == LUA_TNIL) {
    lua_pop(L_, 1);
    return std::nullopt;
  }
  const std::string bound = range.text();
  const std::string expected = bound.empty() ? "an integer" : "an integer " + bound;
  if (type != LUA_TNUMBER) type_error(key, expected);
  long long v = 0;
  if (lua_isinteger(L_, -1)) {
    v = static_cast<long long>(lua_tointeger(L_, -1));
  } else {
    const double d = lua_tonumber(L_, -1);
    if (!(std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15))
      type_error(key, expected);
    v = static_cast<long long>(d);
  }
  if (!range.contains(static_cast<double>(v))) type_error(key, expected);
  lua_pop(L_, 1);
  return v;
}

long long TableReader::integer(const char* key, long long fallback, Range range) const {
  return integer(key, range).value_or(fallback);
}

long long TableReader::required_integer(const char* key, Range range) const {
  const auto v = integer(key, range);
  if (!v) fail(key, "is required");
  return *v;
}

std::optional<bool> TableReader::boolean(const char* key) const {
  const int type = lua_getfield(L_, t_, key);
  if (type == LUA_TNIL) {
    lua_pop(L_, 1);
    return std::nullopt;
  }
  if (type != LUA_TBOOLEAN) type_error(key, "a boolean");
  const bool v = lua_toboolean(L_, -1) != 0;
  lua_pop(L_, 1);
  return v;
}

bool TableReader::boolean(const char* key, bool fallback) const {
  return boolean(key).value_or(fallback);
}

std::optional<std::string> TableReader::string(const char* key) const {
  const int type = lua_getfield(L_, t_, key);
  if (type == LUA_TNIL) {
    lua_pop(L_, 1);
    return std::nullopt;
  }
  if (type != LUA_TSTRING) type_error(key, "a string");
  size_t len = 0;
  const char* s = lua_tolstring(L_, -1, &len);
  std::string v(s, len);
  lua_pop(L_, 1);
  return v;
}

std::string TableReader::string(const char* key, const std::string& fallback) const {
  return string(key).value_or(fallback);
}

std::string TableReader::required_string(const char* key) const {
  const auto v = string(key);
  if (!v) fail(key, "is required");
  return *v;
}

std::string TableReader::choice(const char* key, const std::string& fallback,
                                std::initializer_list<const char*> choices) const {
  const std::string v = string(key, fallback);
  std::string list;
  for (const char* c : choices) {
    if (v == c) return v;
    list += (list.empty() ? "" : ", ") + std::string(c);
  }
  fail(key, "must be one of " + list + ", got '" + v + "'");
}

const arma::mat* TableReader::matrix(const char* key, arma::mat& storage) const {
  const int top = lua_gettop(L_);
  const int type = lua_getfield(L_, t_, key);
  if (type == LUA_TNIL) {
    lua_pop(L_, 1);
    return nullptr;
  }
  if (is_matrix(L_, -1)) {
    // The table keeps the userdata alive after the pop.
    const arma::mat* m = &check_matrix(L_, -1);
    lua_pop(L_, 1);
    return m;
  }
  if (type != LUA_TTABLE) type_error(key, "an ntk.matrix or a table of rows");
  try {
    storage = to_matrix(L_, -1);
  } catch (const std::exception& e) {
    lua_settop(L_, top);  // to_matrix may leave the row it was reading on the stack
    fail(key, std::string("is not a matrix: ") + e.what());
  }
  lua_pop(L_, 1);
  return &storage;
}

const arma::mat& TableReader::required_matrix(const char* key, arma::mat& storage) const {
  const arma::mat* m = matrix(key, storage);
  if (!m) fail(key, "(an ntk.matrix) is required");
  return *m;
}

std::optional<std::vector<double>> TableReader::numbers(const char* key, Range range) const {
  const int type = lua_getfield(L_, t_, key);
  if (type == LUA_TNIL) {
    lua_pop(L_, 1);
    return std::nullopt;
  }
  const std::string bound = range.text();
  const std::string expected =
      "a number or a list of numbers" + (bound.empty() ? std::string() : " " + bound);
  std::vector<double> out;
  if (type == LUA_TNUMBER) {
    out.push_back(lua_tonumber(L_, -1));
  } else if (type == LUA_TTABLE) {
    const lua_Integer n = luaL_len(L_, -1);
    for (lua_Integer i = 1; i <= n; ++i) {
      if (lua_rawgeti(L_, -1, i) != LUA_TNUMBER) {
        lua_pop(L_, 2);
        fail(key, "must be " + expected + " (entry " + std::to_string(i) + " is not a number)");
      }
      out.push_back(lua_tonumber(L_, -1));
      lua_pop(L_, 1);
    }
  } else {
    type_error(key, expected);
  }
  lua_pop(L_, 1);
  for (std::size_t i = 0; i < out.size(); ++i)
    if (!range.contains(out[i]))
      fail(key, "must be " + expected +
                    (type == LUA_TNUMBER ? ", got " + number_text(out[i])
                                         : " (entry " + std::to_string(i + 1) + " is " +
                                               number_text(out[i]) + ")"));
  return out;
}

}  // namespace ntk::lua
