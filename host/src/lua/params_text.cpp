// Parameter values from command-line text, and the texts about declared parameters (params.hpp).
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "lua/params.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::lua {
namespace {

std::string trim(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t\r\n") + 1 - begin);
}

// A whole-text integer numeral ("12", "-3", "0x10"); false otherwise.
bool parse_integer_text(const std::string& text, long long& value) {
  const std::string t = trim(text);
  if (t.empty()) return false;
  errno = 0;
  char* end = nullptr;
  value = std::strtoll(t.c_str(), &end, 0);
  // base 0 would read "010" as octal: Lua reads it as decimal ten.
  if (t.find_first_not_of("+-0123456789") == std::string::npos) value = std::strtoll(t.c_str(), &end, 10);
  return errno == 0 && end != nullptr && *end == '\0';
}

// A whole-text finite numeral.
bool parse_number_text(const std::string& text, double& value) {
  const std::string t = trim(text);
  if (t.empty()) return false;
  char* end = nullptr;
  value = std::strtod(t.c_str(), &end);
  return end != nullptr && *end == '\0' && std::isfinite(value);
}

// One converted value, ready to push.


[[noreturn]] void wrong_type(const ParamSpec& spec, const std::string& text,
                             const std::string& extra = "") {
  throw_error("parameter '", spec.name, "' must be ",
              spec.type == ParamType::integer ? "an " : "a ", type_name(spec.type), extra,
              ", got '", text, "'");
}

}  // namespace

ParamValue convert_parameter(const ParamSpec& spec, const std::string& text) {
  ParamValue v;
  v.type = spec.type;
  switch (spec.type) {
    case ParamType::integer: {
      double d = 0;
      if (parse_integer_text(text, v.integer)) return v;
      if (!parse_number_text(text, d) || d != std::floor(d) || std::fabs(d) > 9007199254740992.0)
        wrong_type(spec, text);
      v.integer = static_cast<long long>(d);
      return v;
    }
    case ParamType::number:
      if (parse_integer_text(text, v.integer)) {
        v.is_integer = true;
        v.number = static_cast<double>(v.integer);
        return v;
      }
      if (!parse_number_text(text, v.number)) wrong_type(spec, text);
      return v;
    case ParamType::boolean: {
      const std::string t = trim(text);
      if (t == "true" || t == "1") v.boolean = true;
      else if (t == "false" || t == "0") v.boolean = false;
      else wrong_type(spec, text, " (true, false, 1 or 0)");
      return v;
    }
    case ParamType::list: {
      std::size_t start = 0;
      for (;;) {
        const auto comma = text.find(',', start);
        const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos
                                                                               : comma - start);
        long long i = 0;
        double d = 0;
        if (parse_integer_text(item, i)) v.list.emplace_back(true, static_cast<double>(i));
        else if (parse_number_text(item, d)) v.list.emplace_back(false, d);
        else wrong_type(spec, text, " (comma-separated, e.g. 0.1,0.5,1)");
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
      return v;
    }
    case ParamType::string:
      if (!spec.choices.empty() &&
          std::find(spec.choices.begin(), spec.choices.end(), text) == spec.choices.end()) {
        std::string list;
        for (const auto& c : spec.choices) list += (list.empty() ? "" : ", ") + c;
        throw_error("parameter '", spec.name, "' must be one of ", list, ", got '", text, "'");
      }
      v.text = text;
      return v;
  }
  return v;
}


std::string type_name(ParamType type) {
  switch (type) {
    case ParamType::integer: return "integer";
    case ParamType::number: return "number";
    case ParamType::string: return "string";
    case ParamType::boolean: return "boolean";
    case ParamType::list: return "list of numbers";
  }
  return "?";
}

const std::vector<std::string>& host_parameter_names() {
  static const std::vector<std::string> names = {"job",     "mode", "out", "out_dir",
                                                 "rep",     "results", "seed"};
  return names;
}

bool is_host_parameter(const std::string& name) {
  const auto& names = host_parameter_names();
  return std::find(names.begin(), names.end(), name) != names.end();
}

const ParamSpec* find_parameter(const ParamDeclaration& declaration, const std::string& name) {
  for (const auto& spec : declaration)
    if (spec.name == name) return &spec;
  return nullptr;
}

std::string declared_names(const ParamDeclaration& declaration) {
  std::string list;
  for (const auto& spec : declaration) list += (list.empty() ? "" : ", ") + spec.name;
  return list.empty() ? "none" : list;
}

void check_parameter(const ParamDeclaration& declaration, const std::string& name,
                     const std::string& text) {
  const ParamSpec* spec = find_parameter(declaration, name);
  if (spec == nullptr) {
    if (is_host_parameter(name)) return;
    throw_error("unknown parameter '", name, "' (declared: ", declared_names(declaration), ")");
  }
  convert_parameter(*spec, text);
}

std::string describe_parameters(const ParamDeclaration& declaration) {
  std::size_t name_width = 4, type_width = 4, default_width = 7;
  const auto shown_default = [](const ParamSpec& s) {
    return s.type == ParamType::string ? "\"" + s.default_text + "\"" : s.default_text;
  };
  for (const auto& s : declaration) {
    name_width = std::max(name_width, s.name.size());
    type_width = std::max(type_width, type_name(s.type).size());
    default_width = std::max(default_width, shown_default(s).size());
  }
  const auto pad = [](std::string text, std::size_t width) {
    text.resize(std::max(width, text.size()), ' ');
    return text;
  };
  std::ostringstream out;
  out << "  " << pad("name", name_width) << "  " << pad("type", type_width) << "  "
      << pad("default", default_width) << "  description\n";
  for (const auto& s : declaration) {
    out << "  " << pad(s.name, name_width) << "  " << pad(type_name(s.type), type_width) << "  "
        << pad(shown_default(s), default_width) << "  " << s.doc;
    if (!s.choices.empty()) {
      out << " (one of ";
      for (std::size_t i = 0; i < s.choices.size(); ++i) out << (i ? ", " : "") << s.choices[i];
      out << ")";
    }
    out << "\n";
  }
  return out.str();
}

}  // namespace ntk::lua
