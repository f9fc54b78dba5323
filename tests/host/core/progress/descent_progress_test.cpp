// train.gd reports its progress (core/train/descent.cpp): after the 2 s delay, the step of
// max_steps and the objective, then one summary line with the status and the final objective;
// nothing with TrainOptions::progress = false. A linear model slowed to ~30 ms a prediction
// makes the run last ~2.5 s.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <thread>

#include "../train/toy_networks.hpp"
#include "core/progress/switch.hpp"
#include "core/train/gradient_descent.hpp"

using namespace ntk::core::train;

namespace {

class SlowLinearNetwork : public ntk::test::LinearNetwork {
 public:
  using LinearNetwork::LinearNetwork;
  arma::mat forward(const ntk::sdk::Inputs& x) const override {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    return LinearNetwork::forward(x);
  }
};

// Runs 80 slow GD steps with std::cerr captured; returns what was written there.
std::string train_capturing_stderr(bool progress, TrainResult& result) {
  const Labelled train{ntk::sdk::Inputs::dense(ntk::test::gaussian(4, 10, 1)),
                       ntk::test::gaussian(1, 10, 2)};
  SlowLinearNetwork net(4, 1, 3);
  TrainOptions options;
  options.lr = 0.1;
  options.max_steps = 80;
  options.record_every = 1000;
  options.progress = progress;
  std::ostringstream captured;
  std::streambuf* saved = std::cerr.rdbuf(captured.rdbuf());
  const bool was_enabled = ntk::core::progress::enabled();
  ntk::core::progress::set_enabled(true);  // the test suite runs with NTKLAB_PROGRESS=0
  try {
    result = gradient_descent(net, train, options);
  } catch (...) {
    std::cerr.rdbuf(saved);
    ntk::core::progress::set_enabled(was_enabled);
    throw;
  }
  std::cerr.rdbuf(saved);
  ntk::core::progress::set_enabled(was_enabled);
  return captured.str();
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("a long train.gd run shows the step of max_steps, the objective and a summary",
          "[progress]") {
  TrainResult result;
  const std::string err = train_capturing_stderr(true, result);
  INFO(err);
  REQUIRE(result.status == Status::max_steps);
  char objective[32];
  std::snprintf(objective, sizeof objective, "%.2e", result.objective);
  // Plain lines ("train.gd(): 90% (72/80) objective …") or a bar ("… 72/80  objective …"),
  // whichever stderr is: both name the step of 80 and the objective.
  CHECK(err.find("/80") != std::string::npos);
  CHECK(count(err, "objective ") >= 2);  // at least one progress report and the summary
  CHECK(err.find("train.gd(): 80/80 in 0:0") != std::string::npos);
  CHECK(err.find("; max_steps, objective " + std::string(objective) + "\n") != std::string::npos);
}

TEST_CASE("TrainOptions::progress = false keeps a long run silent", "[progress]") {
  TrainResult result;
  CHECK(train_capturing_stderr(false, result).empty());
  CHECK(result.steps == 80);
}
