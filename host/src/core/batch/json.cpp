#include "core/batch/json.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <vector>

#include "ntk/sdk/error.hpp"

namespace ntk::core::batch {

const char* Json::type_name() const {
  static const char* names[] = {"null", "boolean", "number", "string", "array", "object"};
  return names[value_.index()];
}

namespace {
template <class T>
const T& get_as(const std::variant<std::monostate, bool, double, std::string, Json::Array,
                                   Json::Object>& v,
                const char* wanted, const Json& self) {
  if (const T* p = std::get_if<T>(&v)) return *p;
  throw_error("Json: expected ", wanted, ", got ", self.type_name());
}
}  // namespace

bool Json::as_bool() const { return get_as<bool>(value_, "boolean", *this); }
double Json::as_number() const { return get_as<double>(value_, "number", *this); }
const std::string& Json::as_string() const { return get_as<std::string>(value_, "string", *this); }
const Json::Array& Json::as_array() const { return get_as<Array>(value_, "array", *this); }
Json::Array& Json::as_array() { return const_cast<Array&>(get_as<Array>(value_, "array", *this)); }
const Json::Object& Json::as_object() const { return get_as<Object>(value_, "object", *this); }
Json::Object& Json::as_object() {
  return const_cast<Object&>(get_as<Object>(value_, "object", *this));
}

const Json* Json::find(const std::string& key) const {
  const Object* object = std::get_if<Object>(&value_);
  if (object == nullptr) return nullptr;
  for (const auto& [k, v] : *object)
    if (k == key) return &v;
  return nullptr;
}

void Json::set(const std::string& key, Json value) {
  Object& object = as_object();
  for (auto& [k, v] : object)
    if (k == key) {
      v = std::move(value);
      return;
    }
  object.emplace_back(key, std::move(value));
}

void Json::push_back(Json value) { as_array().push_back(std::move(value)); }

// --- writing ------------------------------------------------------------------------------

std::string format_number(double value) {
  if (!std::isfinite(value)) return "null";
  if (value == 0) return "0";  // also -0: JSON readers disagree on "-0"
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

void append_json_string(std::string& out, std::string_view s) {
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
          static const char hex[] = "0123456789abcdef";
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

static void write(std::string& out, const Json& json, int indent, int depth) {
  const auto newline = [&](int level) {
    if (indent < 0) return;
    out += '\n';
    out.append(static_cast<std::size_t>(indent * level), ' ');
  };
  // Pretty output keeps short containers on one line: [0.01, 0.1, 1] reads better than
  // one number per line.
  if (indent >= 0 && (json.is_array() || json.is_object())) {
    std::string compact;
    write(compact, json, -1, 0);
    if (compact.size() + static_cast<std::size_t>(indent * depth) <= 96) {
      out += compact;
      return;
    }
  }
  if (json.is_null()) {
    out += "null";
  } else if (json.is_bool()) {
    out += json.as_bool() ? "true" : "false";
  } else if (json.is_number()) {
    out += format_number(json.as_number());
  } else if (json.is_string()) {
    append_json_string(out, json.as_string());
  } else if (json.is_array()) {
    const auto& array = json.as_array();
    out += '[';
    for (std::size_t i = 0; i < array.size(); ++i) {
      if (i) out += ',';
      newline(depth + 1);
      write(out, array[i], indent, depth + 1);
    }
    if (!array.empty()) newline(depth);
    out += ']';
  } else {
    const auto& object = json.as_object();
    out += '{';
    for (std::size_t i = 0; i < object.size(); ++i) {
      if (i) out += ',';
      newline(depth + 1);
      append_json_string(out, object[i].first);
      out += indent < 0 ? ":" : ": ";
      write(out, object[i].second, indent, depth + 1);
    }
    if (!object.empty()) newline(depth);
    out += '}';
  }
}

std::string Json::dump() const {
  std::string out;
  write(out, *this, -1, 0);
  return out;
}

std::string Json::dump_pretty() const {
  std::string out;
  write(out, *this, 2, 0);
  return out;
}

// --- reading ------------------------------------------------------------------------------

namespace {

class Parser {
 public:
  Parser(const std::string& text, const std::string& context, JsonHandler& handler)
      : s_(text), context_(context), handler_(handler) {}

  void document() {
    skip_space();
    parse_value(0);
    skip_space();
    if (pos_ != s_.size()) fail("unexpected text after the value");
  }

 private:
  static constexpr int kMaxDepth = 512;  // deeper nesting is malformed input, not recursion food

  [[noreturn]] void fail(const std::string& what) const {
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < pos_ && i < s_.size(); ++i) {
      if (s_[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    throw_error(context_.empty() ? "" : context_ + ": ", "parse_json(): ", what, " at line ", line,
                ", column ", column);
  }

  void skip_space() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }

  bool consume(const char* word) {
    std::size_t n = 0;
    while (word[n] != 0) ++n;
    if (s_.compare(pos_, n, word) != 0) return false;
    pos_ += n;
    return true;
  }

  // After a member or element: true on ',', false on `close`, else an error.
  bool next_or_close(char close, const char* where) {
    skip_space();
    if (pos_ < s_.size() && s_[pos_] == ',') {
      ++pos_;
      return true;
    }
    if (pos_ < s_.size() && s_[pos_] == close) {
      ++pos_;
      return false;
    }
    fail(std::string("expected ',' or '") + close + "' in " + where);
  }

  void parse_value(int depth) {
    if (depth > kMaxDepth) fail("nesting deeper than 512 levels");
    if (pos_ >= s_.size()) fail("unexpected end of input, expected a value");
    const char c = s_[pos_];
    if (c == '{') return parse_object(depth);
    if (c == '[') return parse_array(depth);
    if (c == '"') return handler_.string(parse_string());
    if (consume("true")) return handler_.boolean(true);
    if (consume("false")) return handler_.boolean(false);
    if (consume("null")) return handler_.null_value();
    if (c == '-' || (c >= '0' && c <= '9')) {
      const std::size_t start = pos_;
      const double value = parse_number();
      return handler_.number(std::string_view(s_).substr(start, pos_ - start), value);
    }
    fail(std::string("unexpected character '") + c + "', expected a value");
  }

  void parse_object(int depth) {
    ++pos_;  // '{'
    handler_.begin_object();
    skip_space();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      return handler_.end_object();
    }
    do {
      skip_space();
      if (pos_ >= s_.size() || s_[pos_] != '"') fail("expected a string key");
      handler_.key(parse_string());
      skip_space();
      if (pos_ >= s_.size() || s_[pos_] != ':') fail("expected ':' after an object key");
      ++pos_;
      skip_space();
      parse_value(depth + 1);
      handler_.end_member();
    } while (next_or_close('}', "an object"));
    handler_.end_object();
  }

  void parse_array(int depth) {
    ++pos_;  // '['
    handler_.begin_array();
    skip_space();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      return handler_.end_array();
    }
    do {
      skip_space();
      parse_value(depth + 1);
      handler_.end_element();
    } while (next_or_close(']', "an array"));
    handler_.end_array();
  }

  double parse_number() {
    // JSON grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    const std::size_t start = pos_;
    const auto digits = [&] {
      const std::size_t from = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      return pos_ - from;
    };
    if (s_[pos_] == '-') ++pos_;
    if (pos_ < s_.size() && s_[pos_] == '0') {
      ++pos_;
    } else if (digits() == 0) {
      fail("malformed number");
    }
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      if (digits() == 0) fail("malformed number (digits expected after '.')");
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (digits() == 0) fail("malformed number (digits expected in the exponent)");
    }
    double value = 0;
    const auto result = std::from_chars(s_.data() + start, s_.data() + pos_, value);
    if (result.ec == std::errc::result_out_of_range) {
      // Overflow: ±inf would not survive a round trip; underflow reads as 0.
      pos_ = start;
      fail("number out of the range of a double");
    }
    return value;
  }

  unsigned parse_hex4() {
    if (pos_ + 4 > s_.size()) fail("truncated \\u escape");
    unsigned code = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = s_[pos_++];
      code <<= 4;
      if (c >= '0' && c <= '9') code |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f') code |= static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') code |= static_cast<unsigned>(c - 'A' + 10);
      else fail("bad hex digit in a \\u escape");
    }
    return code;
  }

  static void append_utf8(std::string& out, unsigned code) {
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xC0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xE0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (code >> 18));
      out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    }
  }

  std::string parse_string() {
    ++pos_;  // '"'
    std::string out;
    for (;;) {
      if (pos_ >= s_.size()) fail("unterminated string");
      const char c = s_[pos_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) {
        --pos_;
        fail("control character inside a string (must be escaped)");
      }
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= s_.size()) fail("unterminated escape");
      const char e = s_[pos_++];
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
          unsigned code = parse_hex4();
          if (code >= 0xD800 && code <= 0xDBFF) {
            if (!consume("\\u")) fail("high surrogate without a low surrogate");
            const unsigned low = parse_hex4();
            if (low < 0xDC00 || low > 0xDFFF) fail("high surrogate without a low surrogate");
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
          } else if (code >= 0xDC00 && code <= 0xDFFF) {
            fail("lone low surrogate");
          }
          append_utf8(out, code);
          break;
        }
        default:
          --pos_;
          fail(std::string("unknown escape '\\") + e + "'");
      }
    }
  }

  const std::string& s_;
  const std::string& context_;
  JsonHandler& handler_;
  std::size_t pos_ = 0;
};

// Builds a Json tree from the events: open containers on a stack, each finished value goes
// into the container below it (duplicate keys: the last one wins, as in most readers).
class TreeBuilder final : public JsonHandler {
 public:
  Json result() { return std::move(result_); }

  void null_value() override { finish(Json()); }
  void boolean(bool value) override { finish(Json(value)); }
  void number(std::string_view, double value) override { finish(Json(value)); }
  void string(std::string value) override { finish(Json(std::move(value))); }
  void begin_object() override { open_.push_back(Json::object()); }
  void key(std::string key) override { keys_.push_back(std::move(key)); }
  void end_member() override { keys_.pop_back(); }
  void end_object() override { close(); }
  void begin_array() override { open_.push_back(Json::array()); }
  void end_element() override {}
  void end_array() override { close(); }

 private:
  void close() {
    Json done = std::move(open_.back());
    open_.pop_back();
    finish(std::move(done));
  }
  void finish(Json value) {
    if (open_.empty()) result_ = std::move(value);
    else if (open_.back().is_array()) open_.back().push_back(std::move(value));
    else open_.back().set(keys_.back(), std::move(value));
  }

  std::vector<Json> open_;
  std::vector<std::string> keys_;
  Json result_;
};

}  // namespace

void parse_json(const std::string& text, JsonHandler& handler, const std::string& context) {
  Parser(text, context, handler).document();
}

Json parse_json(const std::string& text, const std::string& context) {
  TreeBuilder builder;
  parse_json(text, builder, context);
  return builder.result();
}

Json number_or_string(const std::string& text) {
  double value = 0;
  const char* begin = text.data();
  const char* end = begin + text.size();
  // from_chars does not take a leading '+'; "+1" stays a string like in JSON.
  const auto result = std::from_chars(begin, end, value);
  if (!text.empty() && result.ec == std::errc() && result.ptr == end && std::isfinite(value))
    return Json(value);
  return Json(text);
}

}  // namespace ntk::core::batch
