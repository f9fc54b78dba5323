#include "cli/args.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <sstream>

namespace ntk::cli {
namespace {

const FlagSpec* find_flag(const std::vector<FlagSpec>& specs, const std::string& name) {
  for (const auto& s : specs)
    if (s.name == name) return &s;
  return nullptr;
}

}  // namespace

bool ParsedArgs::has(const std::string& flag) const {
  return std::any_of(flags.begin(), flags.end(), [&](const auto& f) { return f.first == flag; });
}

std::vector<std::string> ParsedArgs::values(const std::string& flag) const {
  std::vector<std::string> out;
  for (const auto& [name, value] : flags)
    if (name == flag) out.push_back(value);
  return out;
}

std::optional<std::string> ParsedArgs::value(const std::string& flag) const {
  std::optional<std::string> out;
  for (const auto& [name, value] : flags)
    if (name == flag) out = value;
  return out;
}

ParsedArgs parse_args(const std::vector<std::string>& args, const std::vector<FlagSpec>& specs,
                      const std::string&) {
  ParsedArgs parsed;
  bool flags_ended = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (flags_ended || arg.size() < 2 || arg[0] != '-') {
      parsed.positional.push_back(arg);
      continue;
    }
    if (arg == "--") {
      flags_ended = true;
      continue;
    }
    const std::size_t eq = arg.find('=');
    std::string name = arg.substr(0, eq);
    if (name == "-h") name = "--help";
    const FlagSpec* spec = find_flag(specs, name);
    if (spec == nullptr) throw UsageError("unknown option '" + name + "'");
    std::string value;
    if (spec->value_name.empty()) {
      if (eq != std::string::npos)
        throw UsageError("option '" + name + "' takes no value");
    } else if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      throw UsageError("option '" + name + "' needs a value " +
                       spec->value_name);
    }
    if (!spec->repeatable && !spec->value_name.empty() && parsed.has(name))
      throw UsageError("option '" + name + "' given more than once");
    parsed.flags.emplace_back(name, value);
  }
  return parsed;
}

std::pair<std::string, std::string> split_key_value(const std::string& text,
                                                    const std::string& flag) {
  const std::size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    throw UsageError(flag + " expects KEY=VALUE, got '" + text + "'");
  return {text.substr(0, eq), text.substr(eq + 1)};
}

unsigned long long parse_count(const std::string& text, const std::string& flag) {
  errno = 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || text[0] == '-' || end == nullptr || *end != '\0' || errno == ERANGE)
    throw UsageError(flag + " expects a whole non-negative number, got '" + text + "'");
  return v;
}

std::string describe_flags(const std::vector<FlagSpec>& specs) {
  std::ostringstream out;
  for (const auto& s : specs) {
    std::string left = s.name + (s.value_name.empty() ? "" : " " + s.value_name);
    if (left.size() < 24) left.resize(24, ' ');
    out << "  " << left << " " << s.help << (s.repeatable ? " (repeatable)" : "") << "\n";
  }
  return out.str();
}

}  // namespace ntk::cli
