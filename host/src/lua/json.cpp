// JSON encoding and decoding of Lua values (see json.hpp).
#include "lua/json.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <vector>

#include "lua/args.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::lua {
namespace {

constexpr int kMaxDepth = 100;

// --- encoding ------------------------------------------------------------------------------

void append_string(std::string& out, std::string_view s) {
  out += '"';
  for (const char raw : s) {
    const auto c = static_cast<unsigned char>(raw);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          char buffer[8];
          std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
          out += buffer;
        } else {
          out += raw;  // UTF-8 passes through unchanged
        }
    }
  }
  out += '"';
}

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
        append_string(out, std::string_view(s, len));
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
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.17g", v);
    out += buffer;
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
      append_string(out, keys[k]);
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

class Decoder {
 public:
  Decoder(lua_State* L, std::string_view text, const std::string& where)
      : L_(L), text_(text), where_(where) {}

  void document() {
    value(0);
    skip_space();
    if (pos_ != text_.size()) fail("unexpected text after the JSON value");
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw_error(where_, ": column ", pos_ + 1, ": ", what);
  }

  void skip_space() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\r' || text_[pos_] == '\n'))
      ++pos_;
  }

  bool take(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  void expect(char c) {
    if (!take(c)) fail(std::string("expected '") + c + "'");
  }

  bool literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  void value(int depth) {
    if (depth > kMaxDepth) fail("nesting deeper than " + std::to_string(kMaxDepth));
    if (!lua_checkstack(L_, 4)) fail("Lua stack exhausted");
    skip_space();
    if (pos_ >= text_.size()) fail("unexpected end of input");
    const char c = text_[pos_];
    if (c == '{') return object(depth);
    if (c == '[') return array(depth);
    if (c == '"') return string();
    if (literal("true")) return lua_pushboolean(L_, 1);
    if (literal("false")) return lua_pushboolean(L_, 0);
    if (literal("null")) return lua_pushnil(L_);
    number();
  }

  void object(int depth) {
    ++pos_;
    lua_newtable(L_);
    if (take('}')) return;
    do {
      skip_space();
      if (pos_ >= text_.size() || text_[pos_] != '"') fail("expected a string key");
      string();
      expect(':');
      value(depth + 1);
      lua_rawset(L_, -3);
    } while (take(','));
    expect('}');
  }

  void array(int depth) {
    ++pos_;
    lua_newtable(L_);
    if (take(']')) return;
    lua_Integer i = 0;
    do {
      value(depth + 1);
      lua_rawseti(L_, -2, ++i);
    } while (take(','));
    expect(']');
  }

  unsigned hex4() {
    if (pos_ + 4 > text_.size()) fail("truncated \\u escape");
    unsigned code = 0;
    const auto [end, ec] = std::from_chars(text_.data() + pos_, text_.data() + pos_ + 4, code, 16);
    if (ec != std::errc() || end != text_.data() + pos_ + 4) fail("bad \\u escape");
    pos_ += 4;
    return code;
  }

  static void append_utf8(std::string& out, unsigned code) {
    if (code < 0x80) {
      out += char(code);
    } else if (code < 0x800) {
      out += char(0xC0 | (code >> 6));
      out += char(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      out += char(0xE0 | (code >> 12));
      out += char(0x80 | ((code >> 6) & 0x3F));
      out += char(0x80 | (code & 0x3F));
    } else {
      out += char(0xF0 | (code >> 18));
      out += char(0x80 | ((code >> 12) & 0x3F));
      out += char(0x80 | ((code >> 6) & 0x3F));
      out += char(0x80 | (code & 0x3F));
    }
  }

  void string() {
    ++pos_;  // opening quote
    std::string out;
    while (true) {
      if (pos_ >= text_.size()) fail("unterminated string");
      const char c = text_[pos_++];
      if (c == '"') break;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size()) fail("unterminated string");
      const char e = text_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned code = hex4();
          if (code >= 0xD800 && code < 0xDC00 && literal("\\u")) {  // surrogate pair
            const unsigned low = hex4();
            if (low < 0xDC00 || low >= 0xE000) fail("bad surrogate pair");
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
          }
          append_utf8(out, code);
          break;
        }
        default: --pos_; fail(std::string("bad escape '\\") + e + "'");
      }
    }
    lua_pushlstring(L_, out.data(), out.size());
  }

  void number() {
    const std::size_t start = pos_;
    if (pos_ < text_.size() && text_[pos_] == '-') ++pos_;
    bool integral = true;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c >= '0' && c <= '9') ++pos_;
      else if (c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') { integral = false; ++pos_; }
      else break;
    }
    const char* first = text_.data() + start;
    const char* last = text_.data() + pos_;
    if (first == last) fail("expected a JSON value");
    if (integral) {
      long long v = 0;
      const auto [end, ec] = std::from_chars(first, last, v);
      if (ec == std::errc() && end == last) return lua_pushinteger(L_, lua_Integer(v));
    }
    double v = 0;
    const auto [end, ec] = std::from_chars(first, last, v);
    if (ec != std::errc() || end != last) {
      pos_ = start;
      fail("bad number '" + std::string(first, last) + "'");
    }
    lua_pushnumber(L_, v);
  }

  lua_State* L_;
  std::string_view text_;
  const std::string& where_;
  std::size_t pos_ = 0;
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
    Decoder(L, text, where).document();
  } catch (...) {
    lua_settop(L, top);
    throw;
  }
}

}  // namespace ntk::lua
