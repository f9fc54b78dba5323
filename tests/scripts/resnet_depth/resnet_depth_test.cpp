// scripts/resnet_depth.lua in its small setting (Fashion-MNIST, 300 train / 300 test images,
// B = 1, 2, 4, 8, 16, 32): the FC NTK degenerates with depth (its normalised off-diagonal
// entries collapse onto one value, its condition number falls towards that limit's, its
// accuracy drops), the α = 1 ResNet follows more slowly, the α = 1/√B ResNet does not.
#include <map>
#include <string>

#include "../experiments_1_4/script_runner.hpp"

using ntk::test::number;
using ntk::test::text;

TEST_CASE("resnet_depth: the FC NTK degenerates with depth, the 1/sqrt(B) ResNet NTK does not",
          "[resnet_depth]") {
  const auto run = ntk::test::run_script("resnet_depth", {});
  INFO(run.output);
  REQUIRE(run.status == 0);
  REQUIRE(run.rows.size() == 18);
  CHECK(ntk::test::file_is_nonempty(run.figure));
  const std::string condition = run.figure.substr(0, run.figure.size() - 4) + "_condition.png";
  CHECK(ntk::test::file_is_nonempty(condition));

  std::map<std::string, std::map<double, ntk::core::batch::Json>> by;  // model → B → row
  for (const auto& row : run.rows) by[text(row, "model")][number(row, "blocks")] = row;
  REQUIRE(by.size() == 3);
  auto& fc = by["fc"];
  auto& plain = by["resnet_alpha_1"];
  auto& scaled = by["resnet_alpha_inv_sqrt"];
  REQUIRE(fc.size() == 6);
  const double first = fc.begin()->first, last = fc.rbegin()->first;
  REQUIRE(first == 1);
  REQUIRE(last == 32);
  // Same depth bookkeeping: FC has 2B + 1 hidden layers, as many dense layers as the ResNets.
  CHECK(number(fc[last], "dense_layers") == number(scaled[last], "dense_layers"));
  // At B = 1 both ResNets have α = 1: the same kernel, the same numbers.
  CHECK(number(plain[1], "cond_ntk") == number(scaled[1], "cond_ntk"));
  CHECK(number(plain[1], "accuracy") == number(scaled[1], "accuracy"));

  // Degeneration: the spread of the normalised NTK entries. FC loses most of it, the α = 1
  // ResNet a good part, the α = 1/√B ResNet almost nothing (measured 0.113 → 0.012, 0.127 →
  // 0.026, 0.127 → 0.113 from B = 1 to 32: ratios 0.11, 0.20, 0.89).
  const double fc_ratio = number(fc[last], "corr_spread") / number(fc[first], "corr_spread");
  const double plain_ratio = number(plain[last], "corr_spread") / number(plain[first], "corr_spread");
  const double scaled_ratio = number(scaled[last], "corr_spread") / number(scaled[first], "corr_spread");
  WARN("spread ratio B = 32 / B = 1: fc " << fc_ratio << ", alpha = 1 " << plain_ratio
                                          << ", alpha = 1/sqrt(B) " << scaled_ratio);
  CHECK(fc_ratio < 0.3);
  CHECK(plain_ratio < 0.5);
  CHECK(scaled_ratio > 0.8);
  CHECK(fc_ratio < plain_ratio);

  // The FC NTK's condition number falls monotonically with depth towards that of the limit
  // c·11ᵀ + (1 − c)·I (measured 1998 → 161); the α = 1/√B ResNet's levels off (2578 → 1537).
  double previous = 1e300;
  for (const auto& [blocks, row] : fc) {
    INFO("fc, B = " << blocks);
    CHECK(number(row, "cond_ntk") < previous);
    previous = number(row, "cond_ntk");
  }
  CHECK(number(fc[last], "cond_ntk") < 0.25 * number(fc[first], "cond_ntk"));
  CHECK(number(scaled[last], "cond_ntk") > 0.4 * number(scaled[first], "cond_ntk"));
  CHECK(number(fc[last], "cond_ntk") < number(scaled[last], "cond_ntk"));

  // Accuracy of NTK regression: the deep FC kernel is worse than the shallow one, the α = 1/√B
  // ResNet keeps its accuracy and beats FC at the largest depth (measured: FC 0.790 → 0.737,
  // α = 1/√B 0.787 → 0.790).
  const double fc_drop = number(fc[first], "accuracy") - number(fc[last], "accuracy");
  const double scaled_change = number(scaled[last], "accuracy") - number(scaled[first], "accuracy");
  WARN("accuracy B = 1 -> 32: fc " << number(fc[first], "accuracy") << " -> "
                                   << number(fc[last], "accuracy") << ", alpha = 1/sqrt(B) "
                                   << number(scaled[first], "accuracy") << " -> "
                                   << number(scaled[last], "accuracy"));
  CHECK(fc_drop > 0.02);
  CHECK(std::abs(scaled_change) < 0.02);
  CHECK(number(scaled[last], "accuracy") > number(fc[last], "accuracy") + 0.02);
  for (const auto& [blocks, row] : scaled) CHECK(text(row, "solver") == "cholesky");
}
