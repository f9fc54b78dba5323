// Input checks shared by plugins and host: allocation limits and finite values.
//
// Refuse allocations that would not fit, before making them.
//
// The limit is the memory the process can really get (memory_limit() below).
#pragma once

#include <sys/resource.h>
#include <unistd.h>

#include <armadillo>
#include <cmath>
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "ntk/sdk/error.hpp"

namespace ntk::sdk {

// The memory a new allocation may take, and what bounds it. The truth is the smallest of:
// 80% of physical RAM; the address-space limit (RLIMIT_AS, e.g. `ulimit -v`) less the address
// space the process already uses; the cgroup's memory limit (memory.max, or memory.limit_in_bytes
// on cgroup v1: containers, Slurm jobs, systemd units) less what the cgroup already uses.
// NTKLAB_MAX_BYTES, when set, replaces the RAM term (a user's own cap; the others still apply).
struct MemoryLimit {
  double bytes = 0;
  std::string source;  // e.g. "the cgroup limit memory.max = 8 GB (7.2 GB free)"
};

namespace detail {

inline double read_number_file(const std::string& path) {
  std::ifstream in(path);
  std::string text;
  if (!(in >> text) || text == "max") return -1;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  return end != text.c_str() && v > 0 ? v : -1;
}

// The process's cgroup directory under /sys/fs/cgroup (v2: the "0::PATH" line; v1: the line
// whose controllers include "memory"), "" when none.
inline std::string cgroup_dir(bool& v2) {
  std::ifstream in("/proc/self/cgroup");
  std::string line, v1_path;
  while (std::getline(in, line)) {
    const auto first = line.find(':'), second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1);
    const std::string path = line.substr(second + 1);
    if (line.compare(0, 3, "0::") == 0) {
      v2 = true;
      return "/sys/fs/cgroup" + (path == "/" ? std::string() : path);
    }
    if (("," + controllers + ",").find(",memory,") != std::string::npos)
      v1_path = "/sys/fs/cgroup/memory" + (path == "/" ? std::string() : path);
  }
  v2 = false;
  return v1_path;
}

inline std::string gb(double bytes) {
  std::ostringstream s;
  s.precision(3);
  s << bytes / 1e9 << " GB";
  return s.str();
}

}  // namespace detail

inline MemoryLimit memory_limit() {
  MemoryLimit out;
  if (const char* env = std::getenv("NTKLAB_MAX_BYTES")) {
    char* end = nullptr;
    const double v = std::strtod(env, &end);
    if (end != env && v > 0) out = {v, "NTKLAB_MAX_BYTES = " + detail::gb(v)};
  }
  if (out.bytes <= 0) {
    const double ram = static_cast<double>(sysconf(_SC_PHYS_PAGES)) *
                       static_cast<double>(sysconf(_SC_PAGE_SIZE));
    out = {0.8 * ram, "80% of the " + detail::gb(ram) + " of RAM"};
  }
  const double page = static_cast<double>(sysconf(_SC_PAGE_SIZE));
  rlimit as{};
  if (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY) {
    double used = 0;
    std::ifstream statm("/proc/self/statm");
    statm >> used;  // address space in pages
    const double free = static_cast<double>(as.rlim_cur) - used * page;
    if (free < out.bytes)
      out = {std::max(free, 0.0), "the address-space limit RLIMIT_AS = " +
                                      detail::gb(static_cast<double>(as.rlim_cur)) + " (" +
                                      detail::gb(std::max(free, 0.0)) + " free)"};
  }
  bool v2 = false;
  const std::string dir = detail::cgroup_dir(v2);
  if (!dir.empty()) {
    const double max = detail::read_number_file(dir + (v2 ? "/memory.max" : "/memory.limit_in_bytes"));
    // cgroup v1 writes "no limit" as a huge page-aligned number (~9.2e18).
    if (max > 0 && max < 1e18) {
      const double used = std::max(
          0.0, detail::read_number_file(dir + (v2 ? "/memory.current" : "/memory.usage_in_bytes")));
      const double free = max - used;
      if (free < out.bytes)
        out = {std::max(free, 0.0), std::string("the cgroup limit ") +
                                        (v2 ? "memory.max" : "memory.limit_in_bytes") + " = " +
                                        detail::gb(max) + " (" + detail::gb(std::max(free, 0.0)) +
                                        " free)"};
    }
  }
  return out;
}

inline double memory_limit_bytes() { return memory_limit().bytes; }

// Throws if a rows × cols matrix of `element_bytes`-sized values would exceed the limit.
// `what` names the caller and the object, e.g. "fc kernel(): the 100000 × 100000 NTK".
inline void check_allocation(const std::string& what, double rows, double cols,
                             double element_bytes = sizeof(double)) {
  const double bytes = rows * cols * element_bytes;
  // Small requests skip the /proc reads (Lua loops make many small matrices), unless the user
  // set a cap of their own.
  if (bytes < 16e6 && !std::getenv("NTKLAB_MAX_BYTES")) return;
  const MemoryLimit limit = memory_limit();
  if (bytes > limit.bytes)
    throw_error(what, " would need ", rows, " x ", cols, " values = ", detail::gb(bytes),
                ", more than the ", detail::gb(limit.bytes), " available (bounded by ",
                limit.source, "; set NTKLAB_MAX_BYTES to change the RAM share)");
}

// Throws if any entry of x is NaN or infinite, naming the first bad column (1-based).
inline void check_finite(const std::string& where, const arma::mat& x) {
  if (x.is_finite()) return;
  for (arma::uword j = 0; j < x.n_cols; ++j)
    for (arma::uword i = 0; i < x.n_rows; ++i)
      if (!std::isfinite(x(i, j)))
        throw_error(where, ": input column ", j + 1, " has a non-finite value (", x(i, j),
                    ") in row ", i + 1);
}

}  // namespace ntk::sdk
