// The memory guard reads the limit the process really has (sdk/include/ntk/sdk/checks.hpp):
// an address-space limit (ulimit -v) below the RAM share bounds it, and a request above it is
// refused by name before anything is allocated. Each case runs in a forked child, so the lowered
// RLIMIT_AS never reaches the rest of the test program.
#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "ntk/sdk/checks.hpp"

namespace {

// Runs `body` in a child under RLIMIT_AS = `bytes`; the child's exit code is body's result
// (0 = all checks held), 99 when it crashed or threw something unexpected.
template <class Body>
int in_child_with_address_limit(double bytes, Body body) {
  const pid_t pid = fork();
  if (pid == 0) {
    rlimit r{static_cast<rlim_t>(bytes), static_cast<rlim_t>(bytes)};
    if (setrlimit(RLIMIT_AS, &r) != 0) _exit(98);
    try {
      _exit(body());
    } catch (...) {
      _exit(99);
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 99;
}

}  // namespace

TEST_CASE("the RAM share bounds the limit when nothing else does", "[checks]") {
  unsetenv("NTKLAB_MAX_BYTES");
  const double ram = double(sysconf(_SC_PHYS_PAGES)) * double(sysconf(_SC_PAGE_SIZE));
  const ntk::sdk::MemoryLimit limit = ntk::sdk::memory_limit();
  CHECK(limit.bytes > 0);
  CHECK(limit.bytes <= 0.8 * ram * (1 + 1e-12));
  CHECK_FALSE(limit.source.empty());
}

TEST_CASE("an address-space limit (ulimit -v) bounds the memory guard", "[checks]") {
  unsetenv("NTKLAB_MAX_BYTES");
  // 3 GB of address space: below 80% of RAM on any machine that runs the suite (≥ 4 GB).
  const int code = in_child_with_address_limit(3e9, [] {
    const ntk::sdk::MemoryLimit limit = ntk::sdk::memory_limit();
    if (!(limit.bytes < 3e9 && limit.bytes > 1e9)) return 1;
    if (limit.source.find("RLIMIT_AS") == std::string::npos) return 2;
    try {
      // 4 GB: fits in RAM, not in the address space; refused before allocating.
      ntk::sdk::check_allocation("test(): the 20000 x 25000 kernel", 20000, 25000);
      return 3;
    } catch (const ntk::Error& e) {
      const std::string m = e.what();
      if (m.find("20000 x 25000") == std::string::npos) return 4;
      if (m.find("RLIMIT_AS") == std::string::npos) return 5;
    }
    // A request that fits passes.
    ntk::sdk::check_allocation("test(): 100 MB", 1e8 / 8, 1);
    return 0;
  });
  CHECK(code == 0);
}

TEST_CASE("NTKLAB_MAX_BYTES caps the guard and is named in the refusal", "[checks]") {
  setenv("NTKLAB_MAX_BYTES", "1e6", 1);
  CHECK(ntk::sdk::memory_limit().bytes <= 1e6);
  CHECK_THROWS_WITH(ntk::sdk::check_allocation("test(): the 1000 x 1000 matrix", 1000, 1000),
                    Catch::Contains("1000 x 1000") && Catch::Contains("NTKLAB_MAX_BYTES"));
  CHECK_NOTHROW(ntk::sdk::check_allocation("test(): small", 10, 10));
  unsetenv("NTKLAB_MAX_BYTES");
}
