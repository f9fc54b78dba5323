// The command line through CLI11: one CLI::App per parse, built from the FlagSpecs, and CLI11's
// results turned back into ParsedArgs and our UsageError messages.
#include "cli/args.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <charconv>
#include <map>
#include <sstream>

namespace ntk::cli {
namespace {

// An app that knows the flags in `specs` and nothing else: --help is one of the specs (CLI11's
// own help flag is off, the commands print our usage), unknown arguments are left for us to
// report in our words.
struct FlagParser {
  CLI::App app;
  std::map<const CLI::Option*, const FlagSpec*> spec_of;

  FlagParser(const std::vector<FlagSpec>& specs, const std::string& command) : app("", command) {
    app.set_help_flag();
    for (const auto& spec : specs) {
      const std::string names = spec.name == "--help" ? "-h,--help" : spec.name;
      CLI::Option* option = nullptr;
      if (spec.value_name.empty()) {
        // `--resume=1` is a misuse, not a value (only `--resume=true` passes, meaning the same).
        option = app.add_flag(names, spec.help)->disable_flag_override();
      } else {
        // Every occurrence kept: "given more than once" is ours to say (see collect()).
        option = app.add_option(names, spec.help)
                     ->type_name(spec.value_name)
                     ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
      }
      spec_of[option] = &spec;
    }
  }

  // Parses, translating CLI11's complaints about values into our messages.
  void parse(const std::vector<std::string>& args) {
    std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 pops from the back
    try {
      app.parse(reversed);
    } catch (const CLI::ArgumentMismatch& e) {
      const std::string what = e.what();
      for (const auto& [option, spec] : spec_of) {
        const std::string bare = spec->name.substr(2);
        if (what.rfind(spec->name + ":", 0) == 0)
          throw UsageError("option '" + spec->name + "' needs a value " + spec->value_name);
        if (what.rfind(bare + " was given a disallowed flag override", 0) == 0)
          throw UsageError("option '" + spec->name + "' takes no value");
      }
      throw UsageError(what);
    } catch (const CLI::ParseError& e) {
      throw UsageError(e.what());
    }
  }

  // The flags in command-line order: parse_order() lists each occurrence's option, whose
  // results are in the same order.
  std::vector<std::pair<std::string, std::string>> collect() const {
    std::vector<std::pair<std::string, std::string>> flags;
    std::map<const CLI::Option*, std::size_t> used;
    for (const CLI::Option* option : app.parse_order()) {
      const auto found = spec_of.find(option);
      if (found == spec_of.end()) continue;  // the positional arguments
      const FlagSpec& spec = *found->second;
      const std::size_t occurrence = used[option]++;
      if (spec.value_name.empty()) {
        flags.emplace_back(spec.name, "");
        continue;
      }
      if (occurrence > 0 && !spec.repeatable)
        throw UsageError("option '" + spec.name + "' given more than once");
      flags.emplace_back(spec.name, option->results().at(occurrence));
    }
    return flags;
  }
};

// "--frobnicate=1" → "unknown option '--frobnicate'".
[[noreturn]] void unknown_option(const std::string& arg) {
  throw UsageError("unknown option '" + arg.substr(0, arg.find('=')) + "'");
}

bool looks_like_flag(const std::string& arg) { return arg.size() > 1 && arg[0] == '-'; }

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
                      const std::string& command) {
  FlagParser parser(specs, command);
  ParsedArgs parsed;
  parser.app.allow_extras();  // unknown flags land in remaining(), reported below
  parser.app.add_option("arguments", parsed.positional);
  parser.parse(args);
  for (const std::string& arg : parser.app.remaining())
    if (arg != "--" && looks_like_flag(arg)) unknown_option(arg);
  parsed.flags = parser.collect();
  return parsed;
}

ParsedArgs parse_leading_args(const std::vector<std::string>& args,
                              const std::vector<FlagSpec>& specs) {
  FlagParser parser(specs, "");
  parser.app.prefix_command();  // stop at the first argument that is not a known flag
  parser.parse(args);
  ParsedArgs parsed;
  parsed.positional = parser.app.remaining();
  if (!parsed.positional.empty() && parsed.positional.front() == "--")
    parsed.positional.erase(parsed.positional.begin());
  else if (!parsed.positional.empty() && looks_like_flag(parsed.positional.front()))
    unknown_option(parsed.positional.front());
  parsed.flags = parser.collect();
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
  unsigned long long value = 0;
  const char* end = text.data() + text.size();
  const auto result = std::from_chars(text.data(), end, value);  // no sign, no space accepted
  if (text.empty() || result.ec != std::errc() || result.ptr != end)
    throw UsageError(flag + " expects a whole non-negative number, got '" + text + "'");
  return value;
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
