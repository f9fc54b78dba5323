// scripts/ntk_structure.lua in its small setting (MNIST 0/1/2, n = 150, fc depth 3 width 32 at
// σ_w² = 2, 600 GD steps, NTK on 60 training images every 50 steps): lecture slides
// "Changes of the NTK Structure".
#include <filesystem>
#include <string>

#include "../experiments_1_4/script_runner.hpp"

using ntk::test::number;

TEST_CASE("ntk_structure: training moves Θ_c/Θ_d away from Θ_n/Θ_d", "[experiments]") {
  const auto run = ntk::test::run_script("ntk_structure", {});
  INFO(run.output);
  REQUIRE(run.status == 0);
  CHECK(ntk::test::file_is_nonempty(run.figure));
  REQUIRE(run.rows.size() == 13);  // steps 0, 50, …, 600

  for (const auto& row : run.rows) {
    // The ratios are the class means over the mean diagonal (an identity of the row).
    const double d = number(row, "diagonal");
    CHECK(number(row, "same_over_diagonal") == Approx(number(row, "same_class") / d));
    CHECK(number(row, "different_over_diagonal") == Approx(number(row, "different_class") / d));
    // Same-class pairs are more similar than different-class pairs at every time.
    CHECK(number(row, "gap") > 0);
  }
  const auto& first = run.rows.front();
  const auto& last = run.rows.back();
  CHECK(number(first, "step") == 0);
  CHECK(number(last, "step") == 600);
  // The claim: the gap Θ_c/Θ_d − Θ_n/Θ_d grows during training (measured 0.092 → 0.156; seeds
  // 2 and 3: 0.208 → 0.237, 0.103 → 0.146), and the kernel aligns with the labels.
  INFO("gap " << number(first, "gap") << " -> " << number(last, "gap"));
  CHECK(number(last, "gap") > number(first, "gap") + 0.02);
  CHECK(number(last, "alignment") > number(first, "alignment"));
  // The network learned: test accuracy far above chance (1/3) by the end.
  CHECK(number(last, "test_accuracy") > 0.75);
}

TEST_CASE("ntk_structure: plot mode redraws the figure from the rows", "[experiments]") {
  const auto run = ntk::test::run_script("ntk_structure", {"steps=100"});
  INFO(run.output);
  REQUIRE(run.status == 0);
  const auto dir = std::filesystem::path(run.rows_path).parent_path() / "plot";
  std::filesystem::create_directories(dir);
  const auto [status, output] = ntk::test::run_ntklab(
      "run '" + std::string(std::getenv("NTKLAB_SOURCE_DIR")) +
      "/scripts/ntk_structure.lua' --set mode=plot --set results='" + run.rows_path +
      "' --set out_dir='" + dir.string() + "'");
  INFO(output);
  CHECK(status == 0);
  CHECK_THAT(output, Catch::Contains("Theta_c/Theta_d"));
  CHECK(ntk::test::file_is_nonempty((dir / "ntk_structure.png").string()));
}
