// A small JSON value for batch results and manifests: parse one document, write it on one line.
// Reading and writing are nlohmann-json's (json.cpp); this class is the tree the batch code
// builds and reads, with its own names and ntk::Error messages.
//
// Objects keep their keys in insertion order, so a results row reads in the order it was built
// (job, rep, seed, parameters, the script's fields, status).
//
// Numbers come in two kinds, as in the text: integers (written without '.' or exponent) are kept
// exactly as 64-bit integers (a seed 2^63 - 1 or 9007199254740993 survives a round trip; a
// double would round the latter), other numbers are doubles. A double is written in the
// shortest form that reads back to the same double, with ".0" on whole numbers so that it reads
// back as a double ("0.1", "3.0", "1e-08"); NaN and ±inf have no JSON spelling and are written
// as null. An integer too large for 64 bits reads as a double.
//
// Strings are UTF-8; control characters, '"' and '\' are escaped, "\uXXXX" escapes (surrogate
// pairs included) are decoded to UTF-8 on reading, malformed UTF-8 is a parse error. On writing,
// a byte that is not valid UTF-8 (e.g. a job's stderr cut mid-character) is written as U+FFFD.
#pragma once

#include <cstdint>
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
  Json(int value) : value_(std::int64_t{value}) {}
  Json(long value) : value_(std::int64_t{value}) {}
  Json(long long value) : value_(std::int64_t{value}) {}
  Json(unsigned value) : value_(std::int64_t{value}) {}
  Json(unsigned long value) : Json(static_cast<unsigned long long>(value)) {}
  Json(unsigned long long value);
  Json(const char* value) : value_(std::string(value)) {}
  Json(std::string value) : value_(std::move(value)) {}
  Json(Array value) : value_(std::move(value)) {}
  Json(Object value) : value_(std::move(value)) {}

  static Json array() { return Json(Array{}); }
  static Json object() { return Json(Object{}); }

  bool is_null() const { return std::holds_alternative<std::monostate>(value_); }
  bool is_bool() const { return std::holds_alternative<bool>(value_); }
  // Integers and doubles.
  bool is_number() const { return is_integer() || std::holds_alternative<double>(value_); }
  // A number written (or built) as an integer.
  bool is_integer() const {
    return std::holds_alternative<std::int64_t>(value_) ||
           std::holds_alternative<std::uint64_t>(value_);
  }
  bool is_string() const { return std::holds_alternative<std::string>(value_); }
  bool is_array() const { return std::holds_alternative<Array>(value_); }
  bool is_object() const { return std::holds_alternative<Object>(value_); }
  // "null", "boolean", "number", "string", "array" or "object" (for messages).
  const char* type_name() const;

  // Typed access; the wrong type throws ntk::Error naming the expected and actual type.
  bool as_bool() const;
  // Any number as a double (an integer beyond 2^53 is rounded to the nearest double).
  double as_number() const;
  // An integer exactly; a double (even 3.0) or an integer of 2^63 or more throws.
  std::int64_t as_integer() const;
  // A non-negative integer exactly (up to 2^64 - 1); anything else throws.
  std::uint64_t as_unsigned() const;
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
  // Indented by two spaces per level (manifest.json), ending without a newline; containers
  // whose one-line form fits in 96 columns stay on one line ([0.01, 0.1, 1] reads better than
  // one number per line).
  std::string dump_pretty() const;

  // Same type and value; numbers compare by value across kinds (Json(3) == Json(3.0)).
  friend bool operator==(const Json& a, const Json& b);

 private:
  // uint64_t only holds integers of 2^63 and more; smaller ones are int64_t.
  std::variant<std::monostate, bool, std::int64_t, std::uint64_t, double, std::string, Array,
               Object>
      value_;
};

// Parses one JSON document (surrounding white space allowed, nothing else after it; at most 512
// nested arrays and objects). Throws ntk::Error "parse_json(): <what> at line L, column C"
// (column in bytes, both from 1), with `context` (e.g. a file name and line number) prefixed
// when given.
Json parse_json(const std::string& text, const std::string& context = "");

// The same parser as events, so that other representations (Lua tables in host/src/lua/json.cpp)
// are built by one reader with one set of error messages. Each value is one call (null_value,
// boolean, integer, unsigned_integer, real, string) or a begin/end pair; inside an object every
// member is key(), the value, end_member(); inside an array every element is the value,
// end_element().
class JsonHandler {
 public:
  virtual ~JsonHandler() = default;
  virtual void null_value() = 0;
  virtual void boolean(bool value) = 0;
  virtual void integer(std::int64_t value) = 0;
  // An integer in [2^63, 2^64): too large for std::int64_t.
  virtual void unsigned_integer(std::uint64_t value) = 0;
  virtual void real(double value) = 0;
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

// A double as the shortest text that reads back to it, whole numbers without ".0" ("0.1", "3",
// "1e-08"); NaN and ±inf as "null", -0 as "0". The canonical text of a grid value.
std::string format_number(double value);

// `text` as a JSON number when it is one completely, else as a string: "-3" and
// "9007199254740993" become integers (exact), "0.1" and "1e5" doubles, "relu", "+1", "1x" and
// "nan" stay strings. Used for command-line values (--grid sigma=0.1 → 0.1, --grid act=relu →
// "relu").
Json number_or_string(const std::string& text);

}  // namespace ntk::core::batch
