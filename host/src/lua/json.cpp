// JSON encoding and decoding of Lua values (see json.hpp): a Lua value becomes an nlohmann::json
// tree, which nlohmann writes; reading goes through core::batch::parse_json's events.
#include "lua/json.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/batch/json.hpp"
#include "lua/args.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::lua {
namespace {

constexpr int kMaxDepth = 100;

// Objects keep their keys sorted (std::map), so the same table always gives the same line.
using Tree = nlohmann::json;

// --- encoding ------------------------------------------------------------------------------

class Encoder {
 public:
  Encoder(lua_State* L, std::string function) : L_(L), function_(std::move(function)) {}

  Tree value(int index, const std::string& path, int depth) {
    index = lua_absindex(L_, index);
    switch (lua_type(L_, index)) {
      case LUA_TBOOLEAN: return lua_toboolean(L_, index) != 0;
      case LUA_TSTRING: {
        size_t len = 0;
        const char* s = lua_tolstring(L_, index, &len);
        return text(std::string(s, len), path);
      }
      case LUA_TNUMBER:
        if (lua_isinteger(L_, index)) return std::int64_t{lua_tointeger(L_, index)};
        return number(lua_tonumber(L_, index), path);
      case LUA_TTABLE: return table(index, path, depth);
      case LUA_TUSERDATA:
        if (const arma::mat* m = test_matrix(L_, index)) return matrix(*m, path);
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

  // A Lua float stays a JSON float: nlohmann writes the shortest text that reads back to the
  // same double, whole numbers with ".0" (3.0), so decoding gives a float again.
  Tree number(double v, const std::string& path) const {
    if (!std::isfinite(v))
      throw_error(function_, ": ", label(path), " is ", v,
                  "; JSON has no NaN or infinity (check the computation or store a string)");
    return v;
  }

  // JSON text is UTF-8; a Lua string may hold any bytes. Only strings with non-ASCII bytes
  // can be malformed, and only those are checked (by nlohmann's strict writer).
  Tree text(std::string s, const std::string& path) const {
    Tree out = std::move(s);
    const std::string& bytes = out.get_ref<const std::string&>();
    const bool ascii = std::all_of(bytes.begin(), bytes.end(),
                                   [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    if (!ascii) {
      try {
        (void)out.dump();
      } catch (const Tree::type_error& e) {
        std::string why = e.what();
        if (const auto bracket = why.find("] "); bracket != std::string::npos)
          why = why.substr(bracket + 2);
        throw_error(function_, ": ", label(path), " is not UTF-8 text (", why,
                    "); JSON strings must be UTF-8");
      }
    }
    return out;
  }

  Tree matrix(const arma::mat& m, const std::string& path) const {
    Tree rows = Tree::array();
    for (arma::uword i = 0; i < m.n_rows; ++i) {
      Tree row = Tree::array();
      for (arma::uword j = 0; j < m.n_cols; ++j)
        row.push_back(
            number(m(i, j), path + "(" + std::to_string(i + 1) + "," + std::to_string(j + 1) + ")"));
      rows.push_back(std::move(row));
    }
    return rows;
  }

  Tree table(int index, const std::string& path, int depth) {
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
      Tree list = Tree::array();
      for (lua_Integer i = 1; i <= count; ++i) {
        lua_rawgeti(L_, index, i);
        list.push_back(value(-1, path + "[" + std::to_string(i) + "]", depth + 1));
        lua_pop(L_, 1);
      }
      return list;
    }
    // An empty table is an empty list, except the whole value (a row), which is an object.
    if (keys.empty()) return depth == 0 ? Tree::object() : Tree::array();
    Tree object = Tree::object();
    for (const auto& key : keys) {
      lua_pushlstring(L_, key.data(), key.size());
      lua_rawget(L_, index);
      Tree member = value(-1, path.empty() ? key : path + "." + key, depth + 1);
      lua_pop(L_, 1);
      object[text(key, path.empty() ? key : path + "." + key).get<std::string>()] =
          std::move(member);
    }
    return object;
  }

  lua_State* L_;
  std::string function_;
};

// --- decoding ------------------------------------------------------------------------------

// Builds Lua values on the stack from core::batch's JSON reader: containers are tables, a
// finished member is rawset into the table below it, an element rawseti'd at the next index.
// JSON integers stay Lua integers (exact beyond 2^53); one beyond Lua's range (2^63 or more)
// becomes a float, the nearest Lua can hold.
class LuaBuilder final : public core::batch::JsonHandler {
 public:
  explicit LuaBuilder(lua_State* L) : L_(L) {}

  void null_value() override { room(); lua_pushnil(L_); }
  void boolean(bool value) override { room(); lua_pushboolean(L_, value); }
  void integer(std::int64_t value) override { room(); lua_pushinteger(L_, value); }
  void unsigned_integer(std::uint64_t value) override {
    room();
    lua_pushnumber(L_, static_cast<lua_Number>(value));
  }
  void real(double value) override { room(); lua_pushnumber(L_, value); }
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
  return Encoder(L, function).value(index, "", 0).dump();
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
