// JSON encoding and decoding of Lua values (see json.hpp).
#include "lua/json.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <vector>

#include "core/batch/json.hpp"
#include "lua/args.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::lua {
namespace {

constexpr int kMaxDepth = 100;

// --- encoding ------------------------------------------------------------------------------

class Encoder {
 public:
  Encoder(lua_State* L, std::string function) : L_(L), function_(std::move(function)) {}

  void value(int index, const std::string& path, int depth, std::string& out) {
    index = lua_absindex(L_, index);
    switch (lua_type(L_, index)) {
      case LUA_TBOOLEAN: out += lua_toboolean(L_, index) ? "true" : "false"; return;
      case LUA_TSTRING: {
        size_t len = 0;
        const char* s = lua_tolstring(L_, index, &len);
        core::batch::append_json_string(out, std::string_view(s, len));
        return;
      }
      case LUA_TNUMBER:
        if (lua_isinteger(L_, index)) out += std::to_string(lua_tointeger(L_, index));
        else number(lua_tonumber(L_, index), path, out);
        return;
      case LUA_TTABLE: table(index, path, depth, out); return;
      case LUA_TUSERDATA:
        if (const arma::mat* m = test_matrix(L_, index)) {
          matrix(*m, path, out);
          return;
        }
        break;
      default: break;
    }
    const char* type = luaL_typename(L_, index);
    throw_error(function_, ": ", label(path), " is a ", type,
                "; JSON takes numbers, strings, booleans, tables and ntk.matrix");
  }

 private:
  std::string label(const std::string& path) const {
    return path.empty() ? std::string("the value") : "value at '" + path + "'";
  }

  void number(double v, const std::string& path, std::string& out) const {
    if (!std::isfinite(v))
      throw_error(function_, ": ", label(path), " is ", v,
                  "; JSON has no NaN or infinity (check the computation or store a string)");
    out += core::batch::format_number(v);  // shortest text that reads back to v
  }

  void matrix(const arma::mat& m, const std::string& path, std::string& out) const {
    out += '[';
    for (arma::uword i = 0; i < m.n_rows; ++i) {
      out += i ? ",[" : "[";
      for (arma::uword j = 0; j < m.n_cols; ++j) {
        if (j) out += ',';
        number(m(i, j), path + "(" + std::to_string(i + 1) + "," + std::to_string(j + 1) + ")",
               out);
      }
      out += ']';
    }
    out += ']';
  }

  void table(int index, const std::string& path, int depth, std::string& out) {
    if (depth >= kMaxDepth)
      throw_error(function_, ": ", label(path), " nests deeper than ", kMaxDepth,
                  " tables (does a table contain itself?)");
    if (!lua_checkstack(L_, 4)) throw_error(function_, ": Lua stack exhausted");
    std::vector<std::string> keys;
    lua_Integer count = 0, max_integer_key = 0;
    bool has_integer_keys = false;
    lua_pushnil(L_);
    while (lua_next(L_, index) != 0) {
      lua_pop(L_, 1);  // the value; keep the key for lua_next
      ++count;
      if (lua_type(L_, -1) == LUA_TSTRING) {
        size_t len = 0;
        const char* s = lua_tolstring(L_, -1, &len);  // a string key: no conversion happens
        keys.emplace_back(s, len);
      } else if (lua_isinteger(L_, -1) && lua_tointeger(L_, -1) >= 1) {
        has_integer_keys = true;
        max_integer_key = std::max(max_integer_key, lua_tointeger(L_, -1));
      } else {
        lua_pushvalue(L_, -1);
        const std::string key = luaL_tolstring(L_, -1, nullptr);
        lua_pop(L_, 3);
        throw_error(function_, ": ", label(path), " has the key ", key,
                    "; JSON objects need string keys and lists keys 1..n");
      }
    }
    if (has_integer_keys && !keys.empty())
      throw_error(function_, ": ", label(path), " mixes list entries and the key '", keys[0],
                  "'; use either keys 1..n or string keys");
    if (has_integer_keys) {
      if (max_integer_key != count)
        throw_error(function_, ": ", label(path), " is a list with holes (", count,
                    " entries, largest index ", max_integer_key, "); JSON lists need keys 1..n");
      out += '[';
      for (lua_Integer i = 1; i <= count; ++i) {
        if (i > 1) out += ',';
        lua_rawgeti(L_, index, i);
        value(-1, path + "[" + std::to_string(i) + "]", depth + 1, out);
        lua_pop(L_, 1);
      }
      out += ']';
      return;
    }
    if (keys.empty()) {
      out += depth == 0 ? "{}" : "[]";
      return;
    }
    std::sort(keys.begin(), keys.end());
    out += '{';
    for (std::size_t k = 0; k < keys.size(); ++k) {
      if (k) out += ',';
      core::batch::append_json_string(out, keys[k]);
      out += ':';
      lua_pushlstring(L_, keys[k].data(), keys[k].size());
      lua_rawget(L_, index);
      value(-1, path.empty() ? keys[k] : path + "." + keys[k], depth + 1, out);
      lua_pop(L_, 1);
    }
    out += '}';
  }

  lua_State* L_;
  std::string function_;
};

// --- decoding ------------------------------------------------------------------------------

// Builds Lua values on the stack from core::batch's JSON reader: containers are tables, a
// finished member is rawset into the table below it, an element rawseti'd at the next index.
// Integers written without '.' or exponent stay Lua integers (exact beyond 2^53).
class LuaBuilder final : public core::batch::JsonHandler {
 public:
  explicit LuaBuilder(lua_State* L) : L_(L) {}

  void null_value() override { room(); lua_pushnil(L_); }
  void boolean(bool value) override { room(); lua_pushboolean(L_, value); }
  void number(std::string_view text, double value) override {
    room();
    long long integer = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), integer);
    if (ec == std::errc() && end == text.data() + text.size()) lua_pushinteger(L_, integer);
    else lua_pushnumber(L_, value);
  }
  void string(std::string value) override { room(); lua_pushlstring(L_, value.data(), value.size()); }
  void begin_object() override { room(); lua_newtable(L_); }
  void key(std::string key) override { room(); lua_pushlstring(L_, key.data(), key.size()); }
  void end_member() override { lua_rawset(L_, -3); }
  void end_object() override {}
  void begin_array() override {
    room();
    lua_newtable(L_);
    next_index_.push_back(1);
  }
  void end_element() override { lua_rawseti(L_, -2, next_index_.back()++); }
  void end_array() override { next_index_.pop_back(); }

 private:
  void room() {
    if (!lua_checkstack(L_, 2)) throw_error("JSON decoding: Lua stack exhausted");
  }

  lua_State* L_;
  std::vector<lua_Integer> next_index_;
};

}  // namespace

std::string encode_json(lua_State* L, int index, const std::string& function) {
  std::string out;
  Encoder(L, function).value(index, "", 0, out);
  return out;
}

void push_decoded_json(lua_State* L, std::string_view text, const std::string& where) {
  const int top = lua_gettop(L);
  try {
    LuaBuilder builder(L);
    core::batch::parse_json(std::string(text), builder, where);
  } catch (...) {
    lua_settop(L, top);
    throw;
  }
}

}  // namespace ntk::lua
