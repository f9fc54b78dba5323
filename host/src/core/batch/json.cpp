// The Json tree and its writing through nlohmann-json's serializer (reading: json_reader.cpp).
#include "core/batch/json.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "ntk/sdk/error.hpp"

namespace ntk::core::batch {

// --- the value ----------------------------------------------------------------------------

Json::Json(unsigned long long value) {
  if (value <= static_cast<unsigned long long>(std::numeric_limits<std::int64_t>::max()))
    value_ = static_cast<std::int64_t>(value);
  else
    value_ = static_cast<std::uint64_t>(value);
}

const char* Json::type_name() const {
  static const char* names[] = {"null",   "boolean", "number", "number",
                                "number", "string",  "array",  "object"};
  return names[value_.index()];
}

namespace {
template <class T, class Variant>
const T& get_as(const Variant& v, const char* wanted, const Json& self) {
  if (const T* p = std::get_if<T>(&v)) return *p;
  throw_error("Json: expected ", wanted, ", got ", self.type_name());
}
}  // namespace

bool Json::as_bool() const { return get_as<bool>(value_, "boolean", *this); }

double Json::as_number() const {
  if (const auto* i = std::get_if<std::int64_t>(&value_)) return static_cast<double>(*i);
  if (const auto* u = std::get_if<std::uint64_t>(&value_)) return static_cast<double>(*u);
  return get_as<double>(value_, "number", *this);
}

std::int64_t Json::as_integer() const {
  if (const auto* i = std::get_if<std::int64_t>(&value_)) return *i;
  if (const auto* u = std::get_if<std::uint64_t>(&value_))
    throw_error("Json: expected an integer below 2^63, got ", *u);
  if (std::holds_alternative<double>(value_))
    throw_error("Json: expected an integer, got the number ", dump(),
                " (written with a fraction or an exponent)");
  throw_error("Json: expected an integer, got ", type_name());
}

std::uint64_t Json::as_unsigned() const {
  if (const auto* u = std::get_if<std::uint64_t>(&value_)) return *u;
  const std::int64_t value = as_integer();
  if (value < 0) throw_error("Json: expected a non-negative integer, got ", value);
  return static_cast<std::uint64_t>(value);
}

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

namespace {
// An integer and a double are equal when the double is that integer exactly (2^53 + 1 is not
// equal to the double 2^53, although converting it to a double would say so).
bool same_number(const Json& integer, double real) {
  if (!(real >= -0x1p63 && real < 0x1p64) || real != std::trunc(real)) return false;
  if (real < 0x1p63) return integer.as_number() < 0x1p63 &&
                            integer.as_integer() == static_cast<std::int64_t>(real);
  return integer.as_number() >= 0x1p63 && integer.as_unsigned() == static_cast<std::uint64_t>(real);
}
}  // namespace

bool operator==(const Json& a, const Json& b) {
  if (a.is_integer() && b.is_number() && !b.is_integer()) return same_number(a, b.as_number());
  if (b.is_integer() && a.is_number() && !a.is_integer()) return same_number(b, a.as_number());
  // Same kinds (an int64_t and a uint64_t, >= 2^63, are never equal).
  return a.value_ == b.value_;
}

// --- writing ------------------------------------------------------------------------------

namespace {

using Library = nlohmann::ordered_json;

Library to_library(const Json& json) {
  if (json.is_null()) return nullptr;
  if (json.is_bool()) return json.as_bool();
  if (json.is_integer()) {
    // as_number() only tells the two ranges apart; both accessors are exact.
    if (json.as_number() >= 0x1p63) return json.as_unsigned();
    return json.as_integer();
  }
  if (json.is_number()) return json.as_number();  // the serializer writes NaN and ±inf as null
  if (json.is_string()) return json.as_string();
  Library out;
  if (json.is_array()) {
    out = Library::array();
    for (const auto& element : json.as_array()) out.push_back(to_library(element));
  } else {
    out = Library::object();
    for (const auto& [key, value] : json.as_object()) out[key] = to_library(value);
  }
  return out;
}

std::string write_compact(const Json& json) {
  return to_library(json).dump(-1, ' ', false, Library::error_handler_t::replace);
}

void write_pretty(std::string& out, const Json& json, int depth) {
  std::string compact = write_compact(json);
  if (!(json.is_array() || json.is_object()) ||
      compact.size() + static_cast<std::size_t>(2 * depth) <= 96) {
    out += compact;
    return;
  }
  const auto newline = [&](int level) {
    out += '\n';
    out.append(static_cast<std::size_t>(2 * level), ' ');
  };
  if (json.is_array()) {
    const auto& array = json.as_array();
    out += '[';
    for (std::size_t i = 0; i < array.size(); ++i) {
      if (i) out += ',';
      newline(depth + 1);
      write_pretty(out, array[i], depth + 1);
    }
    newline(depth);
    out += ']';
  } else {
    const auto& object = json.as_object();
    out += '{';
    for (std::size_t i = 0; i < object.size(); ++i) {
      if (i) out += ',';
      newline(depth + 1);
      out += write_compact(Json(object[i].first));
      out += ": ";
      write_pretty(out, object[i].second, depth + 1);
    }
    newline(depth);
    out += '}';
  }
}

}  // namespace

std::string Json::dump() const { return write_compact(*this); }

std::string Json::dump_pretty() const {
  std::string out;
  write_pretty(out, *this, 0);
  return out;
}

std::string format_number(double value) {
  if (!std::isfinite(value)) return "null";
  if (value == 0) return "0";  // also -0: JSON readers disagree on "-0"
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

Json number_or_string(const std::string& text) {
  const char* begin = text.data();
  const char* end = begin + text.size();
  // from_chars takes no leading '+' and no white space: "+1" and " 1" stay strings.
  std::int64_t integer = 0;
  if (const auto r = std::from_chars(begin, end, integer); r.ec == std::errc() && r.ptr == end)
    return Json(integer);
  std::uint64_t large = 0;
  if (const auto r = std::from_chars(begin, end, large); r.ec == std::errc() && r.ptr == end)
    return Json(static_cast<unsigned long long>(large));
  double value = 0;
  const auto r = std::from_chars(begin, end, value);
  if (!text.empty() && r.ec == std::errc() && r.ptr == end && std::isfinite(value))
    return Json(value);
  return Json(text);
}

}  // namespace ntk::core::batch
