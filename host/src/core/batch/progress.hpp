// Progress of a batch: a redrawn bar on a terminal, plain lines otherwise (logs, CI).
//
// Terminal:     [##########..........] 6/12  1 failed  2 running  0:12 elapsed  ETA 0:12
// Not terminal: [6/12] job 1f3a9c0e2b7d4a51 (sigma2=0.1 rep=2) done in 1.2s
//               [7/12] job 0a… (sigma2=10 rep=2) FAILED (exit 1) in 0.3s: <last stderr line>
// ETA = (wall time so far / jobs finished) × jobs left, which accounts for the parallelism.
#pragma once

#include <chrono>
#include <ostream>
#include <string>

namespace ntk::core::batch {

std::string format_duration(double seconds);  // "0:07", "12:03", "1:02:03"

class Progress {
 public:
  Progress(std::ostream& out, bool terminal, std::size_t total);

  void job_done(const std::string& label, double elapsed_s, const std::string& note);
  void job_failed(const std::string& label, double elapsed_s, const std::string& reason);
  // A line of its own ("batch: …"), above the bar on a terminal.
  void note(const std::string& line);
  // Redraws the bar (terminal only, at most a few times a second).
  void tick(std::size_t running);
  // Final line: "12 jobs: 11 ok, 1 failed in 0:42".
  void finish(const std::string& how);

  std::size_t done() const { return ok_ + failed_; }

 private:
  void draw(std::size_t running);
  void clear_bar();

  std::ostream& out_;
  bool terminal_;
  std::size_t total_, ok_ = 0, failed_ = 0, running_ = 0;
  bool bar_shown_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace ntk::core::batch
