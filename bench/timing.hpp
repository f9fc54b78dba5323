// The benchmarks' clocks: process CPU time, medians, and a wall + CPU sample per run of a
// piece of work (ratios are taken between samples of the same run; docs/benchmarks.md).
#pragma once

#include <time.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <vector>

namespace ntk::bench {

// Process CPU time (all threads, user + system): on a machine shared with other work it varies
// less than the wall time, and it counts the CPU that spinning BLAS threads burn.
inline double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

// Wall and CPU seconds of each call of add(work).
struct Samples {
  std::vector<double> wall, cpu;
  void add(const std::function<void()>& work) {
    const double c0 = cpu_seconds();
    const auto start = std::chrono::steady_clock::now();
    work();
    wall.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    cpu.push_back(cpu_seconds() - c0);
  }
};

}  // namespace ntk::bench
