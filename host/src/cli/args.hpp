// Command-line parsing shared by the ntklab commands, through CLI11 (args.cpp).
//
// Flags are long options, `--name VALUE` or `--name=VALUE` (and -h for --help); `--` ends the
// flags. A flag a command does not declare is a UsageError (exit status 2, with the command's
// usage), as are a missing value, a value given to a flag that takes none, and a second value
// for a flag that is not repeatable.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace ntk::cli {

// Misuse of the command line: the caller prints the message and the usage, and exits with 2.
class UsageError : public std::runtime_error {
 public:
  explicit UsageError(const std::string& message) : std::runtime_error(message) {}
};

struct FlagSpec {
  std::string name;        // "--set"
  std::string value_name;  // "KEY=VALUE"; empty for a flag without a value
  std::string help;        // one line
  bool repeatable = false;
};

class ParsedArgs {
 public:
  std::vector<std::string> positional;
  std::vector<std::pair<std::string, std::string>> flags;  // in command-line order
  // `ntklab COMMAND SCRIPT --help` for a command with Command::script_help: the command lists
  // what the script declares instead of running it (without a script, --help prints the usage).
  bool help = false;

  bool has(const std::string& flag) const;
  // Every value given to a repeatable flag, in order.
  std::vector<std::string> values(const std::string& flag) const;
  std::optional<std::string> value(const std::string& flag) const;
};

// Flags anywhere among the positional arguments. `command` names the command in messages
// ("run"; empty for the global flags).
ParsedArgs parse_args(const std::vector<std::string>& args, const std::vector<FlagSpec>& specs,
                      const std::string& command);

// The flags before the first argument that is not one (the command name): `positional` holds
// that argument and everything after it, untouched, for the command's own parse_args.
ParsedArgs parse_leading_args(const std::vector<std::string>& args,
                              const std::vector<FlagSpec>& specs);

// "KEY=VALUE" → {KEY, VALUE}; throws UsageError naming `flag` when there is no '=' or no key.
std::pair<std::string, std::string> split_key_value(const std::string& text,
                                                    const std::string& flag);

// A whole non-negative number, or a UsageError naming the flag.
unsigned long long parse_count(const std::string& text, const std::string& flag);

// Lines "  --name VALUE   help" for a usage text.
std::string describe_flags(const std::vector<FlagSpec>& specs);

}  // namespace ntk::cli
