// The one exception type of ntklab: misuse and malformed input.
//
// A message names the function, the offending value (or file:line) and what would be accepted,
// e.g. "fc kernel(): inputs have 784 and 196 rows".
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace ntk {

// Visible from every shared object, so a plugin's throw is caught by the host's catch.
class __attribute__((visibility("default"))) Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Builds a message from streamable parts: throw_error("kernel(): inputs have ", a, " rows").
template <class... Parts>
[[noreturn]] void throw_error(Parts&&... parts) {
  std::ostringstream out;
  (out << ... << std::forward<Parts>(parts));
  throw Error(out.str());
}

}  // namespace ntk
