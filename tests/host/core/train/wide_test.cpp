// Lee et al. 2019: a very wide network trained by gradient descent stays close to its
// linearisation at initialisation all along training. The linearised trajectory is the exact
// closed form (checked against linearised GD in linearized_test.cpp).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>

#include "linearisation_gap.hpp"
#include "toy_networks.hpp"

using namespace ntk::test;

TEST_CASE("a wider tanh network follows its linearisation (Lee et al. 2019)", "[train]") {
  const arma::uword d = 5, n = 20;
  const auto [train, test] = smooth_regression(d, n, 10, 101);

  TanhNetwork narrow(d, 64, 1, 102);
  const Deviation small = compare_with_linearised(narrow, train, test, 5, 200);
  TanhNetwork wide(d, 1024, 1, 102);
  const Deviation large = compare_with_linearised(wide, train, test, 5, 200);
  std::printf("tanh width   64: |f - f_lin| / |f_lin - f0| = %.3f%%, / |f_lin| = %.3f%% (loss %.2e)\n",
              100 * small.of_change, 100 * small.of_output, small.final_train_loss);
  std::printf("tanh width 1024: |f - f_lin| / |f_lin - f0| = %.3f%%, / |f_lin| = %.3f%% (loss %.2e)\n",
              100 * large.of_change, 100 * large.of_output, large.final_train_loss);
  CHECK(large.of_change < 0.03);
  // The gap shrinks with width (here faster than 1/√m).
  CHECK(large.of_change < small.of_change / 3);
}
