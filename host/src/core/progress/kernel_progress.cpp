#include "core/progress/kernel_progress.hpp"

#include <algorithm>

namespace ntk::core::progress {

namespace {
Style percent_style(Style style) {
  style.show_counts = false;
  return style;
}
}  // namespace

KernelProgress::KernelProgress(std::string title)
    : reporter_(Reporter::on_stderr(std::move(title), kUnits, /*show_counts=*/false)) {}

KernelProgress::KernelProgress(std::string title, std::ostream* out, const Style& style,
                               Clock clock)
    : reporter_(std::move(title), kUnits, out, percent_style(style), std::move(clock)) {}

void KernelProgress::progress(double fraction) {
  reporter_.update(std::clamp(fraction, 0.0, 1.0) * kUnits);
}

void KernelProgress::finish() { reporter_.finish(); }

std::string kernel_title(const std::string& caller, std::size_t n1, std::size_t n2, bool nngp,
                         bool ntk) {
  const char* which = nngp && ntk ? "NNGP and NTK" : (ntk ? "NTK" : "NNGP");
  return caller + ": " + std::to_string(n1) + " x " + std::to_string(n2) + " " + which;
}

}  // namespace ntk::core::progress
