// scripts/sigma_sweep.lua in its small setting (2-D bump, N = 10, one hidden layer, width 1000):
// the claims of "Wide neural networks are interpolating kernel methods", Fig. 1 / Thms 3 and 4.
#include <algorithm>
#include <map>

#include "script_runner.hpp"

using ntk::test::number;
using ntk::test::text;

TEST_CASE("sigma_sweep: Θ(σ^{2L}) growth of the test loss at large σ, flat f_int",
          "[experiments]") {
  const auto run = ntk::test::run_script("sigma_sweep", {});
  INFO(run.output);
  REQUIRE(run.status == 0);
  REQUIRE(run.rows.size() == 7);  // σ² = 0.1, 0.3, 1, 3, 10, 30, 100
  CHECK(ntk::test::file_is_nonempty(run.figure));

  std::map<double, ntk::core::batch::Json> by_sigma2;
  for (const auto& row : run.rows) by_sigma2[number(row, "sigma2")] = row;
  REQUIRE(by_sigma2.size() == 7);
  const double L = number(run.rows.front(), "layers");
  REQUIRE(L == 2);

  const double f_int = number(by_sigma2.begin()->second, "test_loss_interpolation");
  const double J = number(by_sigma2.begin()->second, "J");
  for (const auto& [sigma2, row] : by_sigma2) {
    INFO("sigma2 = " << sigma2 << ": " << row.dump());
    // Training stops at the same small loss for every σ.
    CHECK(text(row, "train_status") == "converged");
    CHECK(number(row, "train_loss") <= number(row, "until_loss"));
    // Bias-free ReLU networks are homogeneous: the NTK scales as σ^{2L}, so f_int and
    // J = J(X_test, σ)/σ^L do not depend on σ (up to rounding).
    CHECK(number(row, "test_loss_interpolation") == Approx(f_int).epsilon(1e-8));
    CHECK(number(row, "J") == Approx(J).epsilon(1e-8));
    // Theorem 4 without its width term is exact for the converged linearisation:
    // √L_lin ≥ |σ^L J − √L_int|.
    CHECK(number(row, "lower_bound") <= number(row, "test_loss_linearized_converged") * (1 + 1e-9));
    // Lemma 1: the trained wide network is close to its linearisation (within 10 % in test
    // loss; below σ² = 0.3 the network leaves the lazy regime at this width).
    if (sigma2 >= 0.3)
      CHECK(number(row, "test_loss_network") ==
            Approx(number(row, "test_loss_linearized")).epsilon(0.10));
    // Theorem 3: at small σ the network's test loss is close to f_int's.
    if (sigma2 <= 1) CHECK(number(row, "test_loss_network") == Approx(f_int).epsilon(0.35));
  }

  // The fitted large-σ slope (three largest σ²) of the test loss is L within ±25 %.
  std::vector<double> x, network, linearized, bound;
  for (auto it = std::prev(by_sigma2.end(), 3); it != by_sigma2.end(); ++it) {
    x.push_back(it->first);
    network.push_back(number(it->second, "test_loss_network"));
    linearized.push_back(number(it->second, "test_loss_linearized"));
    bound.push_back(number(it->second, "lower_bound"));
  }
  const double slope_network = ntk::test::loglog_slope(x, network);
  const double slope_linearized = ntk::test::loglog_slope(x, linearized);
  const double slope_bound = ntk::test::loglog_slope(x, bound);
  INFO("slopes: network " << slope_network << ", linearized " << slope_linearized << ", bound "
                          << slope_bound);
  CHECK(slope_network == Approx(L).epsilon(0.25));
  CHECK(slope_linearized == Approx(L).epsilon(0.25));
  CHECK(slope_bound == Approx(L).epsilon(0.25));
  // At the largest σ the network's loss is far above f_int's.
  CHECK(network.back() > 100 * f_int);
}

TEST_CASE("sigma_sweep: plot mode redraws the figure and the slopes from the rows",
          "[experiments]") {
  const auto run = ntk::test::run_script("sigma_sweep", {"sigma2=10,30,100"});
  INFO(run.output);
  REQUIRE(run.status == 0);
  REQUIRE(run.rows.size() == 3);
  // `ntklab plot DIR` runs the script with mode = plot, results, out_dir (plot_command.hpp).
  const auto dir = std::filesystem::path(run.rows_path).parent_path() / "plot";
  std::filesystem::create_directories(dir);
  const auto [status, output] = ntk::test::run_ntklab(
      "run '" + std::string(std::getenv("NTKLAB_SOURCE_DIR")) +
      "/scripts/sigma_sweep.lua' --set mode=plot --set results='" + run.rows_path +
      "' --set out_dir='" + dir.string() + "'");
  INFO(output);
  CHECK(status == 0);
  CHECK_THAT(output, Catch::Contains("large-sigma slope of test_loss_network"));
  CHECK(ntk::test::file_is_nonempty((dir / "sigma_sweep.png").string()));
}

TEST_CASE("sigma_sweep: a bad dataset name is refused", "[experiments]") {
  const auto run = ntk::test::run_script("sigma_sweep", {"dataset=cifar"});
  CHECK(run.status != 0);
  CHECK_THAT(run.output, Catch::Contains("parameter 'dataset' must be one of bump, mnist, got 'cifar'"));
}

TEST_CASE("sigma_sweep: a --grid key it does not declare fails before any job", "[experiments]") {
  // The issue-12 bug: `--grid w_std=…` ran three identical jobs (the script reads sigma2).
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("ntk_sigma_grid_" + std::to_string(getpid()));
  fs::remove_all(dir);
  const std::string script = std::string(std::getenv("NTKLAB_SOURCE_DIR")) + "/scripts/sigma_sweep.lua";
  const auto [status, output] = ntk::test::run_ntklab(
      "batch '" + script + "' --grid w_std=0.5,1,2 --out '" + dir.string() + "'");
  CHECK(status == 2);
  CHECK_THAT(output, Catch::Contains("--grid w_std: unknown parameter 'w_std' (declared: "));
  CHECK_THAT(output, Catch::Contains("sigma2"));
  CHECK_THAT(output, Catch::Contains("width"));
  CHECK_FALSE(fs::exists(dir));  // no folder, no job
  // --help lists the declared parameters with their types and defaults.
  const auto [help_status, help] = ntk::test::run_ntklab("run '" + script + "' --help");
  CHECK(help_status == 0);
  CHECK_THAT(help, Catch::Contains("sigma2       list of numbers  0.1,0.3,1,3,10,30,100"));
  CHECK_THAT(help, Catch::Contains("dataset      string           \"bump\""));
}
