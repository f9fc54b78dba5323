// Progress reporting (core/progress): the bar and the plain lines on a fake clock and a string
// stream, the delay that keeps short work silent, the kernel sink, and the off switch.
#include <catch2/catch.hpp>

#include <sstream>

#include "core/progress/kernel_progress.hpp"
#include "core/progress/reporter.hpp"
#include "core/progress/switch.hpp"

using namespace ntk::core::progress;

namespace {

// A clock the test moves by hand.
struct FakeClock {
  double now = 0;
  Clock clock() {
    return [this] { return now; };
  }
};

}  // namespace

TEST_CASE("durations read as m:ss or h:mm:ss", "[progress]") {
  CHECK(format_duration(0) == "0:00");
  CHECK(format_duration(7.4) == "0:07");
  CHECK(format_duration(723) == "12:03");
  CHECK(format_duration(3723) == "1:02:03");
  CHECK(format_duration(-1) == "?");
}

TEST_CASE("plain lines: silent for 2 s, then every 10 % or every 10 s, and a summary",
          "[progress]") {
  FakeClock t;
  std::ostringstream out;
  Style style;  // plain lines
  Reporter r("train.gd()", 100, &out, style, t.clock());
  t.now = 1;
  r.update(5, "objective 0.9");
  CHECK(out.str().empty());  // within the delay
  t.now = 4;
  r.update(20, "objective 0.5");
  // elapsed 4 s for 20 of 100: ETA = 4 / 20 × 80 = 16 s
  CHECK(out.str() == "train.gd(): 20% (20/100) objective 0.5, 0:04 elapsed, ETA 0:16\n");
  out.str("");
  t.now = 5;
  r.update(25);  // same decile, 1 s later: nothing
  CHECK(out.str().empty());
  t.now = 6;
  r.update(30);  // 30 % crossed: ETA = 6 / 30 × 70 = 14 s
  CHECK(out.str() == "train.gd(): 30% (30/100), 0:06 elapsed, ETA 0:14\n");
  out.str("");
  t.now = 17;
  r.update(31);  // 11 s since the last line: ETA = 17 / 31 × 69 = 37.8 s
  CHECK(out.str() == "train.gd(): 31% (31/100), 0:17 elapsed, ETA 0:38\n");
  out.str("");
  t.now = 20;
  r.finish("converged");
  CHECK(out.str() == "train.gd(): 31/100 in 0:20; converged\n");
  out.str("");
  r.update(40);  // after finish: nothing
  r.finish();
  CHECK(out.str().empty());
}

TEST_CASE("a terminal gets a bar redrawn in place, replaced by the summary", "[progress]") {
  FakeClock t;
  std::ostringstream out;
  Style style;
  style.terminal = true;
  style.bar_width = 10;
  Reporter r("train", 100, &out, style, t.clock());
  t.now = 1;
  r.update(10);
  CHECK(out.str().empty());
  t.now = 3;
  r.update(50, "objective 0.5");
  CHECK(out.str() == "\r\033[Ktrain [#####.....]  50%  50/100  objective 0.5  0:03, ETA 0:03");
  out.str("");
  t.now = 3.1;
  r.update(60);  // within the redraw interval
  CHECK(out.str().empty());
  t.now = 4;
  r.update(70);  // ETA = 4 / 70 × 30 = 1.7 s
  CHECK(out.str() == "\r\033[Ktrain [#######...]  70%  70/100  0:04, ETA 0:02");
  out.str("");
  t.now = 5;
  r.finish();
  CHECK(out.str() == "\r\033[Ktrain: 70/100 in 0:05\n");
}

TEST_CASE("work that ends within the delay shows nothing; an abandoned bar is cleared",
          "[progress]") {
  FakeClock t;
  std::ostringstream out;
  Style style;
  style.terminal = true;
  {
    Reporter r("quick", 10, &out, style, t.clock());
    t.now = 1.9;
    r.update(10);
    r.finish("done");
  }
  CHECK(out.str().empty());
  {
    Reporter r("interrupted", 10, &out, style, t.clock());
    t.now += 2.5;
    r.update(3);
    CHECK(out.str().find("interrupted [") != std::string::npos);
    out.str("");
  }  // destroyed without finish(): an exception ended the work
  CHECK(out.str() == "\r\033[K");
}

TEST_CASE("a kernel's progress is shown in percent, ending at 100 %", "[progress]") {
  CHECK(kernel_title("A:kernel()", 5000, 3000, false, true) == "A:kernel(): 5000 x 3000 NTK");
  CHECK(kernel_title("A:kernels()", 4, 4, true, true) == "A:kernels(): 4 x 4 NNGP and NTK");
  FakeClock t;
  std::ostringstream out;
  KernelProgress k("A:kernel(): 4 x 4 NTK", &out, Style{}, t.clock());
  ntk::sdk::ProgressSink& sink = k;  // what the plugin sees
  t.now = 3;
  sink.progress(0.25);  // ETA = 3 / 0.25 × 0.75 = 9 s
  t.now = 4;
  sink.progress(0.26);
  t.now = 6;
  sink.progress(1);
  k.finish();
  CHECK(out.str() ==
        "A:kernel(): 4 x 4 NTK: 25%, 0:03 elapsed, ETA 0:09\n"
        "A:kernel(): 4 x 4 NTK: 100%, 0:06 elapsed, ETA 0:00\n"
        "A:kernel(): 4 x 4 NTK: done in 0:06\n");
}

TEST_CASE("progress is switched off by NTKLAB_PROGRESS=0 or set_enabled(false)", "[progress]") {
  CHECK(enabled_by_environment(nullptr));
  CHECK(enabled_by_environment("1"));
  CHECK(enabled_by_environment("on"));
  CHECK_FALSE(enabled_by_environment("0"));
  CHECK_FALSE(enabled_by_environment("OFF"));
  CHECK_FALSE(enabled_by_environment("false"));
  CHECK_FALSE(enabled_by_environment("no"));

  const bool before = enabled();
  set_enabled(false);
  CHECK_FALSE(enabled());
  CHECK(Reporter::on_stderr("off", 10).silent());
  set_enabled(true);
  CHECK(enabled());
  CHECK_FALSE(Reporter::on_stderr("on", 10).silent());
  CHECK(Reporter::on_stderr("not wanted", 10, true, /*wanted=*/false).silent());
  set_enabled(before);
}
