#include "progress_counter.hpp"

#include <omp.h>

#include <algorithm>

namespace ntk::sdk {

ProgressSpan ProgressSpan::part(double a, double b) const {
  const double width = to - from;
  return {sink, from + a * width, from + b * width};
}

ProgressCounter::ProgressCounter(const ProgressSpan& span, double total)
    : span_(span), total_(total) {}

void ProgressCounter::add(double units) {
  if (span_.sink == nullptr) return;
  // fetch_add on std::atomic<double> is C++20; a CAS loop keeps older compilers working.
  double done = done_.load(std::memory_order_relaxed);
  while (!done_.compare_exchange_weak(done, done + units, std::memory_order_relaxed)) {
  }
  if (omp_get_thread_num() == 0) report(done + units);
}

void ProgressCounter::report(double done) {
  const double share = total_ > 0 ? std::clamp(done / total_, 0.0, 1.0) : 1.0;
  const double fraction = span_.from + share * (span_.to - span_.from);
  if (fraction < reported_ + 1e-3 * (span_.to - span_.from) && share < 1) return;
  if (fraction <= reported_) return;
  reported_ = fraction;
  span_.sink->progress(fraction);
}

void ProgressCounter::checkpoint() {
  if (span_.sink == nullptr) return;
  const double done = done_.load(std::memory_order_relaxed);
  const double share = total_ > 0 ? std::clamp(done / total_, 0.0, 1.0) : 1.0;
  reported_ = std::max(reported_, span_.from + share * (span_.to - span_.from));
  span_.sink->progress(reported_);
}

void ProgressCounter::finish() {
  if (span_.sink == nullptr) return;
  report(total_);
}

}  // namespace ntk::sdk
