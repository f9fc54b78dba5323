// Input checks shared by plugins and host: allocation limits and finite values.
//
// Refuse allocations that would not fit, before making them.
//
// The limit is NTKLAB_MAX_BYTES if set, else 80% of the machine's physical memory.
#pragma once

#include <unistd.h>

#include <armadillo>
#include <cmath>
#include <cstdlib>
#include <string>

#include "ntk/sdk/error.hpp"

namespace ntk::sdk {

inline double memory_limit_bytes() {
  if (const char* env = std::getenv("NTKLAB_MAX_BYTES")) {
    char* end = nullptr;
    const double v = std::strtod(env, &end);
    if (end != env && v > 0) return v;
  }
  const double pages = static_cast<double>(sysconf(_SC_PHYS_PAGES));
  const double page_size = static_cast<double>(sysconf(_SC_PAGE_SIZE));
  return 0.8 * pages * page_size;
}

// Throws if a rows × cols matrix of `element_bytes`-sized values would exceed the limit.
// `what` names the caller and the object, e.g. "fc kernel(): the 100000 × 100000 NTK".
inline void check_allocation(const std::string& what, double rows, double cols,
                             double element_bytes = sizeof(double)) {
  const double bytes = rows * cols * element_bytes;
  const double limit = memory_limit_bytes();
  if (bytes > limit)
    throw_error(what, " would need ", rows, " x ", cols, " values = ", bytes / 1e9,
                " GB, more than the ", limit / 1e9,
                " GB allowed (set NTKLAB_MAX_BYTES to change the limit)");
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
