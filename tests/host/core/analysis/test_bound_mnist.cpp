// The bound √(2 yᵀH⁻¹y / n) separates true from random labels on MNIST 0 vs 1 (Arora et al.
// 2019, Sect. 5 / Fig. 2: the bound tracks the generalisation gap, large for random labels).
// H is the analytic NTK of a one-hidden-layer ReLU network (FC plugin) on unit-norm images.
#include <catch2/catch.hpp>

#include <armadillo>
#include <cmath>
#include <string>

#include "core/analysis/generalization_bound.hpp"
#include "core/data/mnist.hpp"
#include "core/data/random.hpp"
#include "fc_architecture.hpp"

using namespace ntk;

TEST_CASE("bound on MNIST 0 vs 1: true labels give a smaller bound than random labels",
          "[analysis][mnist]") {
  core::data::ImageSetOptions options;
  options.classes = {0, 1};
  options.n_train = 200;
  options.n_test = 1;
  options.seed = 3;
  options.normalize = "unit";
  const core::Split d = core::data::mnist(options);
  const arma::uword n = d.train.size();
  REQUIRE(n == 200);
  REQUIRE(d.train.y.n_rows == 1);  // ±1 targets for two classes

  const auto arch = fc::make_architecture(
      sdk::Options{{"depth", 1.0}, {"activation", std::string("relu")}});
  const sdk::Inputs x = sdk::Inputs::dense(d.train.x);
  const arma::mat H = arch->kernels(x, x, sdk::KernelRequest{false, true}).ntk;
  REQUIRE(H.n_rows == n);

  const arma::vec y = d.train.y.row(0).t();
  const auto bound = [&](const arma::vec& labels) {
    return core::analysis::generalization_bound(H, labels, core::analysis::BoundNormalization::None,
                                                [](const std::string&) {})
        .bound;
  };
  const double true_bound = bound(y);
  INFO("bound with true labels: " << true_bound);
  // Five seeded draws of uniformly random ±1 labels.
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    core::data::Random random(seed);
    arma::vec noise(n);
    for (arma::uword i = 0; i < n; ++i) noise[i] = random.uniform() < 0.5 ? -1.0 : 1.0;
    const double random_bound = bound(noise);
    INFO("bound with random labels (seed " << seed << "): " << random_bound);
    CHECK(random_bound > 2.0 * true_bound);
  }
  // Same comparison at the scale of Arora et al.'s H∞ (mean diagonal 1/2).
  const auto half = core::analysis::generalization_bound(
      H, y, core::analysis::BoundNormalization::HalfDiagonal, [](const std::string&) {});
  CHECK(half.bound == Approx(true_bound / std::sqrt(half.scale)));
}
