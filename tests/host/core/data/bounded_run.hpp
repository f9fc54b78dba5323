// Runs a parser call in a forked child under a memory and a time limit, and reports how it
// ended: parsed, ntk::Error (with its message), std::bad_alloc, another exception, killed by
// the time limit, or crashed (with the signal).
//
// Why a child: a parser that reserves what a hostile header announces would take the test
// process (or the CI machine) down with it; under RLIMIT_AS such an allocation fails at once
// and shows up as `bad_alloc`, which the tests count as a defect like any crash.
#pragma once

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <functional>
#include <new>
#include <string>

#include "ntk/sdk/error.hpp"

namespace ntk::test {

struct BoundedOutcome {
  enum Kind { parsed = 'P', error = 'E', bad_alloc = 'B', other_exception = 'X', timeout = 'T',
              crashed = 'C' };
  Kind kind = crashed;
  std::string message;  // the exception's what(), or the signal
  double seconds = 0;   // wall time of the child

  bool clean() const { return kind == parsed || kind == error; }
  std::string describe() const {
    const char* names[] = {"parsed", "ntk::Error", "std::bad_alloc", "another exception",
                           "timeout", "crash"};
    const int index = kind == parsed ? 0 : kind == error ? 1 : kind == bad_alloc ? 2
                    : kind == other_exception ? 3 : kind == timeout ? 4 : 5;
    return std::string(names[index]) + ": " + message;
  }
};

// The process's current virtual size in bytes (/proc/self/statm, first field in pages).
inline double virtual_bytes() {
  std::ifstream statm("/proc/self/statm");
  double pages = 0;
  statm >> pages;
  return pages * static_cast<double>(sysconf(_SC_PAGE_SIZE));
}

// Calls `body` in a child whose address space may grow by at most `extra_bytes` and which is
// killed after `seconds`.
inline BoundedOutcome bounded_run(const std::function<void()>& body,
                                  double extra_bytes = 512.0 * (1 << 20), unsigned seconds = 10) {
  int channel[2];
  if (pipe(channel) != 0) return {BoundedOutcome::crashed, "pipe() failed", 0};
  std::fflush(nullptr);
  const auto start = std::chrono::steady_clock::now();
  const pid_t child = fork();
  if (child == 0) {
    close(channel[0]);
    const rlim_t limit = static_cast<rlim_t>(virtual_bytes() + extra_bytes);
    const rlimit memory{limit, limit};
    setrlimit(RLIMIT_AS, &memory);
    alarm(seconds);
    char kind = BoundedOutcome::parsed;
    std::string message;
    try {
      body();
    } catch (const ntk::Error& e) {
      kind = BoundedOutcome::error;
      message = e.what();
    } catch (const std::bad_alloc& e) {
      kind = BoundedOutcome::bad_alloc;
      message = e.what();
    } catch (const std::exception& e) {
      kind = BoundedOutcome::other_exception;
      message = e.what();
    } catch (...) {
      kind = BoundedOutcome::other_exception;
      message = "a non-standard exception";
    }
    const std::string report = std::string(1, kind) + message;
    if (write(channel[1], report.data(), report.size()) < 0) _exit(3);
    _exit(0);  // no destructors, no Catch2 reporting in the child
  }
  close(channel[1]);
  std::string report;
  char buffer[4096];
  for (ssize_t got; (got = read(channel[0], buffer, sizeof buffer)) > 0;) report.append(buffer, got);
  close(channel[0]);
  int status = 0;
  waitpid(child, &status, 0);
  BoundedOutcome outcome;
  outcome.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (WIFSIGNALED(status)) {
    outcome.kind = WTERMSIG(status) == SIGALRM ? BoundedOutcome::timeout : BoundedOutcome::crashed;
    outcome.message = std::string("signal ") + std::to_string(WTERMSIG(status)) + " (" +
                      strsignal(WTERMSIG(status)) + ")";
  } else if (report.empty()) {
    outcome.message = "the child exited with status " + std::to_string(WEXITSTATUS(status)) +
                      " without a report";
  } else {
    outcome.kind = static_cast<BoundedOutcome::Kind>(report[0]);
    outcome.message = report.substr(1);
  }
  return outcome;
}

}  // namespace ntk::test
