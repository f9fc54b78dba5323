#include "core/solve/factorisation_progress.hpp"

#include <algorithm>
#include <cstdio>

#include "core/progress/kernel_progress.hpp"

namespace ntk::core::solve {
namespace {

progress::Style percent_only(progress::Style style) {
  style.show_counts = false;  // "27%", not "270/1000"
  return style;
}

}  // namespace

std::string FactorisationProgress::title(const std::string& caller, std::size_t n,
                                         const std::string& precision) {
  return caller + ": Cholesky of " + std::to_string(n) + " x " + std::to_string(n) + " " +
         precision;
}

FactorisationProgress::FactorisationProgress(const std::string& caller, std::size_t n,
                                             const std::string& precision)
    : clock_(progress::steady_seconds),
      n_(static_cast<double>(n)),
      start_(clock_()),
      reporter_(progress::Reporter::on_stderr(title(caller, n, precision),
                                              progress::KernelProgress::kUnits,
                                              /*show_counts=*/false)) {}

FactorisationProgress::FactorisationProgress(const std::string& caller, std::size_t n,
                                             const std::string& precision, std::ostream* out,
                                             const progress::Style& style, progress::Clock clock)
    : clock_(std::move(clock)),
      n_(static_cast<double>(n)),
      start_(clock_()),
      reporter_(title(caller, n, precision), progress::KernelProgress::kUnits, out,
                percent_only(style), clock_) {}

void FactorisationProgress::progress(double fraction) {
  reporter_.update(std::clamp(fraction, 0.0, 1.0) * progress::KernelProgress::kUnits);
}

void FactorisationProgress::finish() {
  const double seconds = clock_() - start_;
  char rate[64] = "";
  if (seconds > 0)
    std::snprintf(rate, sizeof rate, "%.0f GFLOP/s", n_ * n_ * n_ / 3 / seconds / 1e9);
  reporter_.finish(rate);
}

}  // namespace ntk::core::solve
