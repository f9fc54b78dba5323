// scripts/tangent_space.lua in its small setting (MNIST 3 vs 5, n = 200, fc depth 3 width 32,
// 800 GD steps): Fort et al. 2020 as in the lecture slides "The Time Evolution of
// Data-dependent NTK" and "Chaotic Transient".
#include <cmath>
#include <filesystem>
#include <map>
#include <string>

#include "../experiments_1_4/script_runner.hpp"
#include "core/batch/results.hpp"

using ntk::test::number;
using ntk::test::text;

TEST_CASE("tangent_space: the kernel moves fastest early; a late linearisation matches full "
          "training", "[experiments]") {
  const auto run = ntk::test::run_script("tangent_space", {});
  INFO(run.output);
  REQUIRE(run.status == 0);
  CHECK(ntk::test::file_is_nonempty(run.figure));
  const std::string kernel_figure = run.figure.substr(0, run.figure.size() - 4) + "_kernel.png";
  CHECK(ntk::test::file_is_nonempty(kernel_figure));

  std::map<double, ntk::test::Json> kernel, tangent;  // by step / by t̃
  for (const auto& row : run.rows) {
    if (text(row, "part") == "kernel") kernel.emplace(number(row, "step"), row);
    else if (text(row, "part") == "tangent") tangent.emplace(number(row, "tilde_t"), row);
  }
  // Snapshots every 25 steps from 0 to 800 plus t̃ = 12; t̃ = 0, 12, 25, …, 400, 800.
  REQUIRE(kernel.size() == 34);
  REQUIRE(tangent.size() == 8);
  const double steps = 800;

  // Velocity per step: the first interval (0 → 12) against the last (775 → 800). Measured
  // 2.6e-4 vs 3.5e-6; the claim is only that the early transient is the fast part.
  const double first_velocity = number(std::next(kernel.begin())->second, "velocity");
  const double last_velocity = number(kernel.rbegin()->second, "velocity");
  INFO("velocity first " << first_velocity << ", last " << last_velocity);
  CHECK(first_velocity > 5 * last_velocity);
  // The kernel keeps drifting away from K_0, but stays a small distance (lazy-ish, width 32).
  const double first_distance = number(std::next(kernel.begin())->second, "distance_from_init");
  const double last_distance = number(kernel.rbegin()->second, "distance_from_init");
  CHECK(number(kernel.begin()->second, "distance_from_init") == Approx(0).margin(1e-12));
  CHECK(last_distance > first_distance);
  CHECK(last_distance < 0.5);
  // Full training fits the training set.
  CHECK(number(kernel.rbegin()->second, "train_loss") <
        0.05 * number(kernel.begin()->second, "train_loss"));

  // t̃ = steps is full training (no linear steps left): the same predictions, the same accuracy.
  const double full = number(kernel.at(steps), "test_accuracy");
  CHECK(number(tangent.at(steps), "linear_steps") == 0);
  CHECK(number(tangent.at(steps), "test_accuracy") == full);
  // Every linear phase trained the remaining steps: its training loss is small too.
  for (const auto& [t, row] : tangent) {
    CHECK(number(row, "linear_steps") == steps - t);
    CHECK(number(row, "train_loss") < 0.1);
  }
  // Linearising after the transient (t̃ ≥ steps/4) learns as well as full training, within
  // 0.03 (measured: at most 0.008 from the full 0.900 on 500 test images). Whether t̃ = 0
  // (the NTK at initialisation) is worse than full training, as Fort et al. find for CIFAR
  // ResNets, is not asserted: with 200 MNIST images it is not (0.916 vs 0.900).
  for (const auto& [t, row] : tangent) {
    if (t < steps / 4) continue;
    INFO("t~ = " << t);
    CHECK(std::abs(number(row, "test_accuracy") - full) <= 0.03);
  }
}

TEST_CASE("tangent_space: a malformed arch_options item is refused", "[experiments]") {
  const auto run = ntk::test::run_script("tangent_space", {"arch_options=blocks"});
  CHECK(run.status != 0);
  CHECK_THAT(run.output, Catch::Contains("params.arch_options: expected key=value"));
}

TEST_CASE("tangent_space: the closed-form linear phase equals GD on the linearisation",
          "[experiments]") {
  // Two independent routes for the same linear phase: the exact result through the empirical
  // NTK at w(t̃) (linearized_closed_form) and step-by-step GD with jvp/vjp (linearized).
  std::map<std::string, std::map<double, ntk::test::Json>> by_route;
  for (const std::string route : {"closed_form", "gd"}) {
    const auto run = ntk::test::run_script(
        "tangent_space", {"steps=100", "t_tilde=0,50,100", "linear=" + route, "n_train=60"});
    INFO(run.output);
    REQUIRE(run.status == 0);
    for (const auto& row : run.rows)
      if (text(row, "part") == "tangent") by_route[route].emplace(number(row, "tilde_t"), row);
  }
  REQUIRE(by_route["closed_form"].size() == 3);
  REQUIRE(by_route["gd"].size() == 3);
  for (const auto& [t, exact] : by_route["closed_form"]) {
    const auto& gd = by_route["gd"].at(t);
    INFO("t~ = " << t);
    CHECK(number(gd, "train_loss") == Approx(number(exact, "train_loss")).epsilon(1e-6));
    CHECK(number(gd, "test_loss") == Approx(number(exact, "test_loss")).epsilon(1e-6));
    CHECK(number(gd, "test_accuracy") == number(exact, "test_accuracy"));
  }
}

TEST_CASE("tangent_space: runs under ntklab batch and redraws with ntklab plot", "[experiments]") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("ntk_tangent_batch_" + std::to_string(getpid()));
  fs::remove_all(dir);
  const std::string script = std::string(std::getenv("NTKLAB_SOURCE_DIR")) + "/scripts/tangent_space.lua";
  const auto [status, output] = ntk::test::run_ntklab(
      "batch '" + script + "' --grid width=16,32 --set steps=100 --set t_tilde=0,50,100 "
      "--set n_train=100 --reps 1 --jobs 2 --out '" + dir.string() + "'");
  INFO(output);
  REQUIRE(status == 0);
  // The batch's own fields are under "batch"; the grid's width stays visible in each row.
  std::map<double, int> tangent_rows;  // width -> rows
  for (const auto& row : ntk::core::batch::read_jsonl((dir / "results.jsonl").string())) {
    REQUIRE(row.find("batch") != nullptr);
    CHECK(text(*row.find("batch"), "status") == "ok");
    if (text(row, "part") != "tangent") continue;
    const double t = number(row, "tilde_t");
    CHECK((t == 0 || t == 50 || t == 100));
    ++tangent_rows[number(row, "width")];
  }
  CHECK(tangent_rows[16] == 3);
  CHECK(tangent_rows[32] == 3);
  const auto [plot_status, plot_output] = ntk::test::run_ntklab("plot '" + dir.string() + "'");
  INFO(plot_output);
  CHECK(plot_status == 0);
  CHECK_THAT(plot_output, Catch::Contains("t~ =   100"));
  CHECK(ntk::test::file_is_nonempty((dir / "tangent_space.png").string()));
  CHECK(ntk::test::file_is_nonempty((dir / "tangent_space_kernel.png").string()));
  fs::remove_all(dir);
}
