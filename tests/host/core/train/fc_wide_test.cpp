// Lee et al. 2019 on the fc plugin's finite network: at width 4096 gradient descent stays within
// a few percent of the linearised model along training, and the gap shrinks with width.
#include <catch2/catch.hpp>

#include <cstdio>

#include "fc_architecture.hpp"
#include "linearisation_gap.hpp"

using namespace ntk::test;

TEST_CASE("a very wide fc network follows its linearisation (Lee et al. 2019)", "[train]") {
  const arma::uword d = 5, n = 20;
  const auto [train, test] = smooth_regression(d, n, 10, 201);
  const auto arch = ntk::fc::make_architecture(
      ntk::sdk::Options{{"depth", 1.0}, {"activation", std::string("erf")}, {"b_std", 0.1}});
  std::unique_ptr<ntk::sdk::Network> narrow = arch->network({128, 202});
  const Deviation small = compare_with_linearised(*narrow, train, test, 4, 100);
  std::unique_ptr<ntk::sdk::Network> wide = arch->network({4096, 202});
  const Deviation large = compare_with_linearised(*wide, train, test, 4, 100);
  std::printf("fc erf width  128: |f - f_lin| / |f_lin - f0| = %.3f%%, / |f_lin| = %.3f%% (loss %.2e)\n",
              100 * small.of_change, 100 * small.of_output, small.final_train_loss);
  std::printf("fc erf width 4096: |f - f_lin| / |f_lin - f0| = %.3f%%, / |f_lin| = %.3f%% (loss %.2e)\n",
              100 * large.of_change, 100 * large.of_output, large.final_train_loss);
  CHECK(large.of_change < 0.03);
  CHECK(large.of_change < small.of_change / 3);
}
