// A small JSON value for batch results and manifests: parse one document, write it on one line.
//
// Objects keep their keys in insertion order, so a results row reads in the order it was built
// (job, rep, seed, parameters, the script's fields, status). Numbers are doubles written in the
// shortest form that reads back to the same double ("0.1", "3", "1e-08"); NaN and ±inf have no
// JSON spelling and are written as null. Strings are UTF-8; control characters, '"' and '\' are
// escaped, "\uXXXX" escapes (surrogate pairs included) are decoded to UTF-8 on reading.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace ntk::core::batch {

class Json {
 public:
  using Array = std::vector<Json>;
  using Object = std::vector<std::pair<std::string, Json>>;

  Json() = default;  // null
  Json(std::nullptr_t) {}
  Json(bool value) : value_(value) {}
  Json(double value) : value_(value) {}
  Json(int value) : value_(static_cast<double>(value)) {}
  Json(unsigned value) : value_(static_cast<double>(value)) {}
  Json(long value) : value_(static_cast<double>(value)) {}
  Json(long long value) : value_(static_cast<double>(value)) {}
  Json(unsigned long value) : value_(static_cast<double>(value)) {}
  Json(unsigned long long value) : value_(static_cast<double>(value)) {}
  Json(const char* value) : value_(std::string(value)) {}
  Json(std::string value) : value_(std::move(value)) {}
  Json(Array value) : value_(std::move(value)) {}
  Json(Object value) : value_(std::move(value)) {}

  static Json array() { return Json(Array{}); }
  static Json object() { return Json(Object{}); }

  bool is_null() const { return std::holds_alternative<std::monostate>(value_); }
  bool is_bool() const { return std::holds_alternative<bool>(value_); }
  bool is_number() const { return std::holds_alternative<double>(value_); }
  bool is_string() const { return std::holds_alternative<std::string>(value_); }
  bool is_array() const { return std::holds_alternative<Array>(value_); }
  bool is_object() const { return std::holds_alternative<Object>(value_); }
  // "null", "boolean", "number", "string", "array" or "object" (for messages).
  const char* type_name() const;

  // Typed access; the wrong type throws ntk::Error naming the expected and actual type.
  bool as_bool() const;
  double as_number() const;
  const std::string& as_string() const;
  const Array& as_array() const;
  Array& as_array();
  const Object& as_object() const;
  Object& as_object();

  // Object lookup: the value of `key` or nullptr (also nullptr when this is not an object).
  const Json* find(const std::string& key) const;
  // Object assignment: replaces the value of an existing key in place, else appends the key.
  // Throws if this is not an object.
  void set(const std::string& key, Json value);
  // Array append; throws if this is not an array.
  void push_back(Json value);

  // One line, no spaces: {"a":1,"b":[true,null]}.
  std::string dump() const;
  // Indented by two spaces per level (manifest.json), ending without a newline.
  std::string dump_pretty() const;

  friend bool operator==(const Json& a, const Json& b) { return a.value_ == b.value_; }

 private:
  std::variant<std::monostate, bool, double, std::string, Array, Object> value_;
};

// Parses one JSON document (surrounding white space allowed, nothing else after it).
// Throws ntk::Error "parse_json(): <what> at line L, column C" with `context` (e.g. a file name
// and line number) prefixed when given.
Json parse_json(const std::string& text, const std::string& context = "");

// The same parser as events, so that other representations (Lua tables in host/src/lua/json.cpp)
// are built by one reader with one set of error messages. Each value is one call (null_value,
// boolean, number, string) or a begin/end pair; inside an object every member is key(), the
// value, end_member(); inside an array every element is the value, end_element().
class JsonHandler {
 public:
  virtual ~JsonHandler() = default;
  virtual void null_value() = 0;
  virtual void boolean(bool value) = 0;
  // `text` is the number as written ("3", "-1.5e-3"), for readers that keep integers exact.
  virtual void number(std::string_view text, double value) = 0;
  virtual void string(std::string value) = 0;
  virtual void begin_object() = 0;
  virtual void key(std::string key) = 0;
  virtual void end_member() = 0;
  virtual void end_object() = 0;
  virtual void begin_array() = 0;
  virtual void end_element() = 0;
  virtual void end_array() = 0;
};
void parse_json(const std::string& text, JsonHandler& handler, const std::string& context = "");

// Appends `s` as a JSON string literal (quotes included; '"', '\\' and control characters
// escaped, other bytes, UTF-8 included, as they are).
void append_json_string(std::string& out, std::string_view s);

// A number written the way Json::dump writes it (shortest round-trip form).
std::string format_number(double value);

// `text` as a JSON number when it is one completely ("0.1", "-3", "1e5"), else as a string.
// Used for command-line values (--grid sigma=0.1 → 0.1, --grid act=relu → "relu").
Json number_or_string(const std::string& text);

}  // namespace ntk::core::batch
