#include "core/progress/switch.hpp"

#include <atomic>
#include <cctype>
#include <cstdlib>
#include <string>

namespace ntk::core::progress {

namespace {
// -1: not decided yet (read the environment on first use); 0 off; 1 on.
std::atomic<int> state{-1};
}  // namespace

bool enabled_by_environment(const char* value) {
  if (value == nullptr) return true;
  std::string v(value);
  for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return !(v == "0" || v == "off" || v == "false" || v == "no");
}

bool enabled() {
  int s = state.load();
  if (s < 0) {
    s = enabled_by_environment(std::getenv("NTKLAB_PROGRESS")) ? 1 : 0;
    int expected = -1;
    state.compare_exchange_strong(expected, s);
    s = state.load();
  }
  return s == 1;
}

void set_enabled(bool on) { state.store(on ? 1 : 0); }

}  // namespace ntk::core::progress
