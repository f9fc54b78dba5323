// The loop shared by the parser fuzz tests: prepare input i (write the mutated file), parse it
// in a forked child under a memory and time limit (../data/bounded_run.hpp), tally how each
// ended. A clean ending is a parse or an ntk::Error; anything else is a failure to report.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "../data/bounded_run.hpp"

namespace ntk::test {

// Each input may grow the address space by this much and run this long: the seed files are
// under 2 kB, so no mutation of them can justify more.
constexpr double kFuzzExtraBytes = 256.0 * (1 << 20);
constexpr unsigned kFuzzSecondsPerInput = 5;

struct FuzzTally {
  int parsed = 0, errors = 0;
  double seconds = 0, slowest = 0;       // whole loop, slowest input
  std::vector<std::string> failures;     // "input 17: std::bad_alloc: ..."

  std::string summary() const {
    std::string out = std::to_string(parsed) + " parsed, " + std::to_string(errors) +
                      " ntk::Error, " + std::to_string(failures.size()) + " failures in " +
                      std::to_string(seconds) + " s (slowest input " + std::to_string(slowest) +
                      " s)";
    for (std::size_t i = 0; i < failures.size() && i < 10; ++i) out += "\n  " + failures[i];
    return out;
  }
};

inline FuzzTally fuzz(int inputs, const std::function<void(int)>& prepare,
                      const std::function<void()>& parse) {
  FuzzTally tally;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < inputs; ++i) {
    prepare(i);
    const BoundedOutcome out = bounded_run(parse, kFuzzExtraBytes, kFuzzSecondsPerInput);
    tally.slowest = std::max(tally.slowest, out.seconds);
    if (out.kind == BoundedOutcome::parsed) ++tally.parsed;
    else if (out.kind == BoundedOutcome::error) ++tally.errors;
    else tally.failures.push_back("input " + std::to_string(i) + ": " + out.describe());
  }
  tally.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return tally;
}

}  // namespace ntk::test
