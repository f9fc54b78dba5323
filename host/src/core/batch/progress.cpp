#include "core/batch/progress.hpp"

#include <cmath>
#include <cstdio>

namespace ntk::core::batch {

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

static std::string seconds_text(double s) {
  char text[32];
  std::snprintf(text, sizeof text, s < 10 ? "%.2fs" : "%.1fs", s);
  return text;
}

Progress::Progress(std::ostream& out, bool terminal, std::size_t total)
    : out_(out), terminal_(terminal), total_(total), start_(std::chrono::steady_clock::now()) {}

void Progress::clear_bar() {
  if (terminal_ && bar_shown_) out_ << "\r\033[K";
  bar_shown_ = false;
}

void Progress::job_done(const std::string& label, double elapsed_s, const std::string& note) {
  ++ok_;
  if (running_ > 0) --running_;
  if (terminal_) {
    if (!note.empty()) {
      clear_bar();
      out_ << "job " << label << ": " << note << "\n";
    }
    draw(running_);
    return;
  }
  out_ << "[" << done() << "/" << total_ << "] job " << label << " done in "
       << seconds_text(elapsed_s) << (note.empty() ? "" : " (" + note + ")") << std::endl;
}

void Progress::job_failed(const std::string& label, double elapsed_s, const std::string& reason) {
  ++failed_;
  if (running_ > 0) --running_;
  if (terminal_) {
    clear_bar();
    out_ << "job " << label << " FAILED in " << seconds_text(elapsed_s) << ": " << reason << "\n";
    draw(running_);
    return;
  }
  out_ << "[" << done() << "/" << total_ << "] job " << label << " FAILED in "
       << seconds_text(elapsed_s) << ": " << reason << std::endl;
}

void Progress::note(const std::string& line) {
  clear_bar();
  out_ << line << std::endl;
  draw(running_);
}

void Progress::tick(std::size_t running) {
  running_ = running;
  if (!terminal_) return;
  const auto now = std::chrono::steady_clock::now();
  if (bar_shown_ && now - last_draw_ < std::chrono::milliseconds(250)) return;
  draw(running);
}

void Progress::draw(std::size_t running) {
  if (!terminal_) return;
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  constexpr std::size_t width = 24;
  const std::size_t filled = total_ == 0 ? width : width * done() / total_;
  std::string bar(filled, '#');
  bar.append(width - filled, '.');
  const std::string eta =
      done() == 0 ? "?" : format_duration(elapsed / static_cast<double>(done()) *
                                          static_cast<double>(total_ - done()));
  out_ << "\r\033[K[" << bar << "] " << done() << "/" << total_;
  if (failed_) out_ << "  " << failed_ << " failed";
  out_ << "  " << running << " running  " << format_duration(elapsed) << " elapsed  ETA " << eta;
  out_.flush();
  bar_shown_ = true;
  last_draw_ = std::chrono::steady_clock::now();
}

void Progress::finish(const std::string& how) {
  clear_bar();
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  out_ << "batch " << how << ": " << ok_ << " ok, " << failed_ << " failed";
  if (done() < total_) out_ << ", " << (total_ - done()) << " not run";
  out_ << " in " << format_duration(elapsed) << std::endl;
}

}  // namespace ntk::core::batch
