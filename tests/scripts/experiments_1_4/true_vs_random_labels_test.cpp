// scripts/true_vs_random_labels.lua in its small setting (MNIST 0 vs 1, 100 examples, width
// 256, 500 GD steps): the lecture slides' "Understanding optimization / generalization".
#include <vector>

#include "script_runner.hpp"

using ntk::test::number;
using ntk::test::text;

TEST_CASE("true_vs_random_labels: faster convergence and a smaller bound with true labels",
          "[experiments]") {
  const auto run = ntk::test::run_script("true_vs_random_labels", {});
  INFO(run.output);
  REQUIRE(run.status == 0);
  CHECK(ntk::test::file_is_nonempty(run.figure));

  std::vector<ntk::core::batch::Json> curve[2], bound(2), projections(2);
  for (const auto& row : run.rows) {
    const int which = text(row, "labels") == "true" ? 0 : 1;
    const std::string part = text(row, "part");
    if (part == "curve") curve[which].push_back(row);
    if (part == "bound") bound[which] = row;
    if (part == "projections") projections[which] = row;
  }
  for (int which : {0, 1}) {
    INFO((which == 0 ? "true" : "random") << " labels");
    REQUIRE(curve[which].size() == 51);  // steps 0, 10, …, 500
    // Step 0: the prediction starts from the network's own outputs, so both losses are
    // 1/(2n)‖u(0) − y‖² (checks the 1/(2n) normalisation).
    CHECK(number(curve[which].front(), "loss_gd") ==
          Approx(number(curve[which].front(), "loss_predicted")).epsilon(1e-9));
    // The kernel-regime prediction Σ e^{−2λ_i t}⟨v_i, y − u(0)⟩² / (2n), with t = η·steps for
    // H*/n, follows GD on the width-256 network within a factor 1.7 at every recorded step.
    for (const auto& row : curve[which]) {
      const double ratio = number(row, "loss_gd") / number(row, "loss_predicted");
      INFO("step " << number(row, "step") << ": GD / predicted = " << ratio);
      CHECK(ratio > 1 / 1.7);
      CHECK(ratio < 1.7);
    }
    // The squared projections ⟨v_i, y⟩² sum to ‖y‖² = n for ±1 labels.
    double sum = 0;
    for (const auto& p : projections[which].find("projections")->as_array()) sum += p.as_number();
    CHECK(sum == Approx(number(projections[which], "n_train")).epsilon(1e-9));
  }
  // Optimisation: true labels lie on the top eigenvectors, random ones spread out, so GD on
  // random labels is slower.
  CHECK(number(bound[0], "top10_share") > 0.8);
  CHECK(number(bound[1], "top10_share") < 0.3);
  CHECK(number(bound[1], "final_loss") > 3 * number(bound[0], "final_loss"));
  // Generalisation: the a-priori bound √(2yᵀH⁻¹y/n) separates the two label sets, and so do
  // the networks' accuracies on the true test labels.
  CHECK(number(bound[1], "bound") > 2 * number(bound[0], "bound"));
  CHECK(number(bound[0], "bound") < 1);
  CHECK(number(bound[0], "test_accuracy") > 0.95);
  CHECK(number(bound[1], "test_accuracy") < 0.7);
}
