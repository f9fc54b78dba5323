// CPU and memory limits for one process (`ntklab run --cpu-seconds N --memory-mb N`; set by
// default in --sandbox mode), through setrlimit: RLIMIT_CPU and RLIMIT_AS.
//
// Past the CPU limit the kernel sends SIGXCPU: a handler prints "ntklab: CPU time limit of N s
// reached" and exits with status 1 (the hard limit, two seconds later, kills a process that
// somehow survives). Past the memory limit allocations fail: Lua raises "not enough memory",
// a C++ allocation throws std::bad_alloc, which `protect` turns into a Lua error at the
// script's line; either way the run ends with status 1 and a message, never a crash.
#pragma once

namespace ntk::cli {

struct ResourceLimits {
  unsigned long long cpu_seconds = 0;  // 0: no limit
  unsigned long long memory_mb = 0;    // 0: no limit
};

// The sandbox's defaults: 10 minutes of CPU time, 8 GiB of address space.
constexpr unsigned long long kSandboxCpuSeconds = 600;
constexpr unsigned long long kSandboxMemoryMb = 8192;

// Applies the limits to this process (a limit may only be lowered below the current hard limit);
// throws ntk::Error naming the limit when setrlimit refuses.
void apply_resource_limits(const ResourceLimits& limits);

}  // namespace ntk::cli
