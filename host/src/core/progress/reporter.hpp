// Progress of one long computation (a training run, a kernel) on stderr.
//
// Nothing appears for work that ends within `delay_s` (2 s): short calls stay silent. After
// that, on a terminal a bar is redrawn in place (at most 5 times a second) and replaced by one
// summary line at the end:
//   train.gd() [#########...............]  38%  3800/10000  objective 1.2e-03  0:07, ETA 0:11
//   train.gd(): 10000/10000 in 0:18; objective 3.1e-04
// Elsewhere (a log, a pipe, CI) it prints plain lines, one per 10 % crossed or every 10 s:
//   train.gd(): 38% (3800/10000) objective 1.2e-03, 0:07 elapsed, ETA 0:11
// ETA = elapsed / done × (total − done): a straight extrapolation of the rate so far.
//
// The clock is injectable (seconds from any origin), so the formats are tested without
// waiting. Reporters made by `on_stderr` are silent when progress is switched off (switch.hpp).
#pragma once

#include <functional>
#include <ostream>
#include <string>

namespace ntk::core::progress {

using Clock = std::function<double()>;  // seconds, non-decreasing
double steady_seconds();                // std::chrono::steady_clock

// "0:07", "12:03", "1:02:03"; "?" for negative or non-finite seconds.
std::string format_duration(double seconds);

struct Style {
  bool terminal = false;       // a redrawn bar, else plain lines
  bool show_counts = true;     // "3800/10000" (false: kernels report fractions only)
  double delay_s = 2;          // silent until this much time has passed
  double redraw_every_s = 0.2; // terminal: the bar's refresh interval
  double line_every_s = 10;    // plain: a line at least this often, besides every 10 %
  int bar_width = 24;
};

class Reporter {
 public:
  // `title` starts every line ("train.gd()"); `total` units of work (> 0). `out` null: silent.
  Reporter(std::string title, double total, std::ostream* out, const Style& style,
           Clock clock = steady_seconds);
  // On std::cerr, a bar when stderr is a terminal; silent when progress is switched off or
  // the caller does not want it (`wanted`: e.g. TrainOptions::progress).
  static Reporter on_stderr(std::string title, double total, bool show_counts = true,
                            bool wanted = true);
  // Clears a bar left on the terminal (an exception ended the work before finish()).
  ~Reporter();
  // Not copied or moved: a reporter may own a bar on the screen (on_stderr returns a
  // prvalue, which C++17 constructs in place).
  Reporter(const Reporter&) = delete;
  Reporter& operator=(const Reporter&) = delete;

  // `done` of `total` units (non-decreasing); `detail` follows the counts ("objective 1.2e-03").
  void update(double done, const std::string& detail = "");
  // The end: if anything was shown, the bar is replaced by (or the lines end with) one line
  // "TITLE: DONE/TOTAL in 0:18; NOTE". Shows nothing for work that never became visible.
  void finish(const std::string& note = "");

  bool shown() const { return shown_; }
  // Nothing will ever be written (no stream: switched off or not wanted).
  bool silent() const { return out_ == nullptr; }

 private:
  std::string counts(double done) const;
  std::string timing(double elapsed, double done, bool with_word) const;
  void draw(double now, double done, const std::string& detail);
  void line(double now, double done, const std::string& detail);

  std::string title_;
  double total_;
  std::ostream* out_;
  Style style_;
  Clock clock_;
  double start_;
  double last_draw_ = -1, last_line_ = -1;
  int last_decile_ = 0;
  double done_ = 0;
  bool shown_ = false, bar_on_screen_ = false, finished_ = false;
};

}  // namespace ntk::core::progress
