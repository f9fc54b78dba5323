// scripts/ordered_chaotic.lua in its small setting (σ_w² = 1.5, 2, 2.5; widths M = 10, 20, 40;
// L/M ≈ 0.1, 0.25, 0.5, 1; 20 bias-free ReLU networks × 4 MNIST digits per point; one GD step of
// η = 1e-3): lecture slides Theorem 7 (Seleznova & Kutyniok 2022).
#include <cmath>
#include <map>
#include <string>
#include <utility>

#include "../experiments_1_4/script_runner.hpp"

using ntk::test::number;
using ntk::test::text;

TEST_CASE("ordered_chaotic: the NTK change grows with depth/width far faster in the chaotic "
          "phase", "[experiments]") {
  const auto run = ntk::test::run_script("ordered_chaotic", {});
  INFO(run.output);
  REQUIRE(run.status == 0);
  CHECK(ntk::test::file_is_nonempty(run.figure));
  REQUIRE(run.rows.size() == 36);

  // (σ_w², width) -> depth -> row
  std::map<std::pair<double, double>, std::map<double, ntk::test::Json>> grid;
  for (const auto& row : run.rows) {
    REQUIRE(text(row, "precision") == "ok");
    grid[{number(row, "sigma2"), number(row, "width")}].emplace(number(row, "depth"), row);
  }
  const double widths[] = {10, 20, 40};
  for (double m : widths) {
    INFO("width " << m);
    const auto& ordered = grid.at({1.5, m});
    const auto& edge = grid.at({2.0, m});
    const auto& chaotic = grid.at({2.5, m});
    REQUIRE(ordered.size() == 4);
    for (const auto& [depth, row] : ordered) {
      INFO("depth " << depth);
      // Bias-free ReLU networks are positively homogeneous and the seeds are shared across
      // σ_w², so Θ = σ_w^{2(L+1)} Θ₁ network by network: the dispersion Var[Θ]/E[Θ]² is the
      // same for every σ_w² (an exact check of the finite networks' parametrisation).
      CHECK(number(edge.at(depth), "dispersion") ==
            Approx(number(row, "dispersion")).epsilon(1e-9));
      CHECK(number(chaotic.at(depth), "dispersion") ==
            Approx(number(row, "dispersion")).epsilon(1e-9));
      // At every point: ordered < edge of chaos < chaotic.
      CHECK(number(row, "abs_change") < number(edge.at(depth), "abs_change"));
      CHECK(number(edge.at(depth), "abs_change") < number(chaotic.at(depth), "abs_change"));
    }
    // Growth from L/M = 0.1 to L/M = 1: chaotic at least 10 times the ordered growth
    // (measured: M = 10: 164 vs 5.5; M = 20: 78 vs 2.5; M = 40: 3e86 vs 0.86).
    const auto growth = [](const std::map<double, ntk::test::Json>& series) {
      return number(series.rbegin()->second, "abs_change") /
             number(series.begin()->second, "abs_change");
    };
    INFO("growth ordered " << growth(ordered) << ", chaotic " << growth(chaotic));
    CHECK(growth(chaotic) > 10 * growth(ordered));
    // The NTK disperses more at initialisation when depth and width are comparable.
    CHECK(number(ordered.rbegin()->second, "dispersion") >
          2 * number(ordered.begin()->second, "dispersion"));
  }
  // Theorem 7, chaotic phase: at fixed L/M = 1 the relative change grows with M (→ ∞).
  const double c10 = number(grid.at({2.5, 10.0}).rbegin()->second, "abs_change");
  const double c20 = number(grid.at({2.5, 20.0}).rbegin()->second, "abs_change");
  const double c40 = number(grid.at({2.5, 40.0}).rbegin()->second, "abs_change");
  INFO("chaotic, L/M = 1: " << c10 << ", " << c20 << ", " << c40);
  CHECK(c10 < c20);
  CHECK(c20 < c40);
  CHECK(c40 > 1e6);
}
