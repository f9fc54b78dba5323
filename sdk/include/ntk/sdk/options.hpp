// Typed options, as given by a user (from a Lua table) and as declared by a plugin.
//
// A plugin declares every option it knows (name, default, one-line doc) in its PluginInfo.
// OptionReader binds the user's values to those declarations: a key the plugin does not
// declare is an error that lists the keys it knows; a value of the wrong type names the key,
// the type given and the type expected.
#pragma once

#include <cmath>
#include <map>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "ntk/sdk/error.hpp"

namespace ntk::sdk {

struct LayerSpec;  // below: a named table such as {"dense", w_std = 1.5}

// bool, number, string, list of numbers (e.g. input_shape = {1, 28, 28}), or list of named
// tables (a stax layer list: {{"dense", w_std = 1.5}, {"relu"}}).
using OptionValue =
    std::variant<bool, double, std::string, std::vector<double>, std::vector<LayerSpec>>;

inline const char* option_type_name(const OptionValue& v) {
  switch (v.index()) {
    case 0: return "boolean";
    case 1: return "number";
    case 2: return "string";
    case 3: return "list of numbers";
    default: return "list of tables";
  }
}

struct OptionSpec {
  std::string name;
  OptionValue default_value;
  std::string doc;  // one line
};

// Values a user gave, by key.
class Options {
 public:
  Options() = default;
  Options(std::initializer_list<std::pair<const std::string, OptionValue>> init) : values_(init) {}
  void set(const std::string& key, OptionValue value) { values_[key] = std::move(value); }
  bool has(const std::string& key) const { return values_.count(key) != 0; }
  const std::map<std::string, OptionValue>& values() const { return values_; }

 private:
  std::map<std::string, OptionValue> values_;
};

// A named table: {"dense", w_std = 1.5} has name "dense" and options {w_std = 1.5}.
struct LayerSpec {
  std::string name;
  Options options;
};

inline std::string option_value_text(const OptionValue& v) {
  std::ostringstream out;
  if (auto* b = std::get_if<bool>(&v)) out << (*b ? "true" : "false");
  else if (auto* d = std::get_if<double>(&v)) out << *d;
  else if (auto* s = std::get_if<std::string>(&v)) out << '"' << *s << '"';
  else if (auto* list = std::get_if<std::vector<double>>(&v)) {
    out << '{';
    for (std::size_t i = 0; i < list->size(); ++i) out << (i ? ", " : "") << (*list)[i];
    out << '}';
  } else {
    out << "{" << std::get<std::vector<LayerSpec>>(v).size() << " tables}";
  }
  return out.str();
}

// The user's options checked against a plugin's declarations; getters fall back to defaults.
class OptionReader {
 public:
  // `where` prefixes messages, e.g. "fc options". Throws ntk::Error on an unknown key.
  OptionReader(std::string where, const std::vector<OptionSpec>& specs, const Options& given)
      : where_(std::move(where)), specs_(specs), given_(given) {
    for (const auto& [key, value] : given_.values()) {
      if (find_spec(key) == nullptr) {
        std::ostringstream known;
        for (std::size_t i = 0; i < specs_.size(); ++i) known << (i ? ", " : "") << specs_[i].name;
        throw_error(where_, ": unknown option '", key, "'; known options are: ", known.str());
      }
    }
  }

  double number(const std::string& key) const { return get<double>(key); }
  bool flag(const std::string& key) const { return get<bool>(key); }
  std::string text(const std::string& key) const { return get<std::string>(key); }
  std::vector<double> list(const std::string& key) const { return get<std::vector<double>>(key); }
  // A list of named tables; an empty table ({}) reads as an empty list.
  std::vector<LayerSpec> tables(const std::string& key) const {
    auto it = given_.values().find(key);
    if (it != given_.values().end())
      if (const auto* numbers = std::get_if<std::vector<double>>(&it->second))
        if (numbers->empty()) return {};
    return get<std::vector<LayerSpec>>(key);
  }

  // A whole number within [lo, hi].
  long long integer(const std::string& key, long long lo, long long hi) const {
    const double v = number(key);
    if (!std::isfinite(v) || v != std::floor(v) || v < static_cast<double>(lo) ||
        v > static_cast<double>(hi))
      throw_error(where_, ": option '", key, "' = ", v, " must be a whole number in [", lo, ", ",
                  hi, "]");
    return static_cast<long long>(v);
  }
  // A finite number; with `positive`, also > 0.
  double finite(const std::string& key, bool positive = false) const {
    const double v = number(key);
    if (!std::isfinite(v) || (positive && !(v > 0)))
      throw_error(where_, ": option '", key, "' = ", v, " must be a finite",
                  positive ? " positive" : "", " number");
    return v;
  }
  // One of a small set of strings.
  std::string choice(const std::string& key, const std::vector<std::string>& allowed) const {
    const std::string v = text(key);
    for (const auto& a : allowed)
      if (a == v) return v;
    std::ostringstream list;
    for (std::size_t i = 0; i < allowed.size(); ++i) list << (i ? ", " : "") << '"' << allowed[i] << '"';
    throw_error(where_, ": option '", key, "' = \"", v, "\" is not one of ", list.str());
  }
  bool given(const std::string& key) const { return given_.has(key); }

 private:
  const OptionSpec* find_spec(const std::string& key) const {
    for (const auto& s : specs_)
      if (s.name == key) return &s;
    return nullptr;
  }
  template <class T>
  T get(const std::string& key) const {
    const OptionSpec* spec = find_spec(key);
    if (spec == nullptr) throw_error(where_, ": plugin reads undeclared option '", key, "'");
    auto it = given_.values().find(key);
    const OptionValue& v = it == given_.values().end() ? spec->default_value : it->second;
    if (const T* typed = std::get_if<T>(&v)) return *typed;
    throw_error(where_, ": option '", key, "' is a ", option_type_name(v), " (",
                option_value_text(v), ") but a ", option_type_name(OptionValue(T{})),
                " is expected");
  }

  std::string where_;
  const std::vector<OptionSpec>& specs_;
  const Options& given_;
};

}  // namespace ntk::sdk
