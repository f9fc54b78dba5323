// Whether long computations report their progress (reporter.hpp), for the whole process.
//
// On unless the environment says NTKLAB_PROGRESS=0 (or off, false, no) — the test suite sets
// that, so no test's stderr depends on the machine's speed — or a script called
// ntk.progress(false). set_enabled overrides the environment.
#pragma once

namespace ntk::core::progress {

bool enabled();
void set_enabled(bool on);

// The reading of NTKLAB_PROGRESS: false for "0", "off", "false", "no" (any case), else true;
// true when unset (nullptr).
bool enabled_by_environment(const char* value);

}  // namespace ntk::core::progress
