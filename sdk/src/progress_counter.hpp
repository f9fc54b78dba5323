// How the kernel engines feed a ProgressSink (ntk/sdk/progress.hpp) from OpenMP loops.
//
// Worker threads count finished units (columns, tiles, graph pairs) into an atomic counter;
// only OpenMP thread 0 — the thread that called kernels() — calls the sink, so the host's sink
// needs no locking and sees non-decreasing fractions. A computation of several phases gives
// each phase a span of [0, 1] (ProgressSpan::part), so the fractions rise once from 0 to 1.
#pragma once

#include <atomic>

#include "ntk/sdk/progress.hpp"

namespace ntk::sdk {

// A sink (possibly null) and the part [from, to] of the whole computation a phase covers.
struct ProgressSpan {
  ProgressSink* sink = nullptr;
  double from = 0, to = 1;
  // The sub-span [a, b] of this span's [0, 1], e.g. part(0, 0.9) for a phase that does 90 %.
  ProgressSpan part(double a, double b) const;
};

class ProgressCounter {
 public:
  // `total` units make up the span; total = 0 counts as done at once.
  ProgressCounter(const ProgressSpan& span, double total);
  // `units` more units are done. Any thread may call it; thread 0 reports, at most once per
  // 1/1000 of the span.
  void add(double units);
  // Reports the end of the span (call after the loop, outside the parallel region).
  void finish();
  // Reports the count so far to the sink even if it moved less than 1/1000 (call between
  // parallel regions, on the thread that called kernels()): the host's sink is where a batch
  // worker takes a new thread count (host core/threads), which applies to the next region.
  void checkpoint();

 private:
  void report(double done);

  ProgressSpan span_;
  double total_;
  std::atomic<double> done_{0};
  double reported_ = -1;  // the last fraction reported (thread 0 only)
};

}  // namespace ntk::sdk
