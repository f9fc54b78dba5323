#include "core/progress/reporter.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "core/progress/switch.hpp"
#include "core/threads/share.hpp"

namespace ntk::core::progress {

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const long total = std::lround(seconds);
  char text[32];
  if (total >= 3600)
    std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", total / 3600, total / 60 % 60, total % 60);
  else
    std::snprintf(text, sizeof text, "%ld:%02ld", total / 60, total % 60);
  return text;
}

namespace {

bool stderr_is_terminal() {
  if (::isatty(STDERR_FILENO) == 0) return false;
  const char* term = std::getenv("TERM");  // a dumb terminal cannot redraw a line
  return term == nullptr || std::strcmp(term, "dumb") != 0;
}

std::string count_text(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.0f", value);
  return text;
}

}  // namespace

Reporter::Reporter(std::string title, double total, std::ostream* out, const Style& style,
                   Clock clock)
    : title_(std::move(title)),
      total_(total > 0 ? total : 1),
      out_(out),
      style_(style),
      clock_(std::move(clock)),
      start_(clock_()) {}

Reporter Reporter::on_stderr(std::string title, double total, bool show_counts, bool wanted) {
  Style style;
  style.terminal = stderr_is_terminal();
  style.show_counts = show_counts;
  return Reporter(std::move(title), total, wanted && enabled() ? &std::cerr : nullptr, style);
}

Reporter::~Reporter() {
  if (out_ != nullptr && bar_on_screen_ && !finished_) *out_ << "\r\033[K" << std::flush;
}

std::string Reporter::counts(double done) const {
  return count_text(done) + "/" + count_text(total_);
}

// "0:07, ETA 0:11" (bar) or "0:07 elapsed, ETA 0:11" (lines).
std::string Reporter::timing(double elapsed, double done, bool with_word) const {
  const double eta = done > 0 ? elapsed / done * (total_ - done) : -1;
  return format_duration(elapsed) + (with_word ? " elapsed" : "") + ", ETA " +
         format_duration(eta);
}

void Reporter::update(double done, const std::string& detail) {
  threads::poll();  // a long computation between its parallel regions: a safe point
  if (out_ == nullptr || finished_) return;
  done_ = std::clamp(done, 0.0, total_);
  const double now = clock_();
  if (now - start_ < style_.delay_s) return;
  if (style_.terminal) {
    if (!bar_on_screen_ || now - last_draw_ >= style_.redraw_every_s) draw(now, done_, detail);
    return;
  }
  const int decile = static_cast<int>(std::floor(10 * done_ / total_));
  if (!shown_ || decile > last_decile_ || now - last_line_ >= style_.line_every_s)
    line(now, done_, detail);
}

void Reporter::draw(double now, double done, const std::string& detail) {
  const double share = done / total_;
  const int width = std::max(style_.bar_width, 1);
  const int filled = std::clamp(static_cast<int>(std::floor(share * width)), 0, width);
  char percent[8];
  std::snprintf(percent, sizeof percent, "%3d%%", static_cast<int>(std::floor(100 * share)));
  std::string text = "\r\033[K" + title_ + " [" + std::string(std::size_t(filled), '#') +
                     std::string(std::size_t(width - filled), '.') + "] " + percent;
  if (style_.show_counts) text += "  " + counts(done);
  if (!detail.empty()) text += "  " + detail;
  text += "  " + timing(now - start_, done, false);
  *out_ << text << std::flush;
  shown_ = bar_on_screen_ = true;
  last_draw_ = now;
}

void Reporter::line(double now, double done, const std::string& detail) {
  const double share = done / total_;
  std::string text = title_ + ": " + std::to_string(static_cast<int>(std::floor(100 * share))) + "%";
  if (style_.show_counts) text += " (" + counts(done) + ")";
  if (!detail.empty()) text += " " + detail;
  text += ", " + timing(now - start_, done, true);
  *out_ << text << std::endl;
  shown_ = true;
  last_line_ = now;
  last_decile_ = static_cast<int>(std::floor(10 * share));
}

void Reporter::finish(const std::string& note) {
  if (finished_) return;
  finished_ = true;
  if (out_ == nullptr || !shown_) return;
  const double elapsed = clock_() - start_;
  std::string text = style_.terminal ? "\r\033[K" : "";
  text += title_ + ": " + (style_.show_counts ? counts(done_) : std::string("done")) + " in " +
          format_duration(elapsed);
  if (!note.empty()) text += "; " + note;
  *out_ << text << std::endl;
  bar_on_screen_ = false;
}

}  // namespace ntk::core::progress
