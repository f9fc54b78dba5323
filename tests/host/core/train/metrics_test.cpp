// Losses, accuracies and kernel distances against values computed by hand.
#include <catch2/catch.hpp>

#include <cmath>

#include "core/train/kernel_trace.hpp"
#include "core/train/labelled.hpp"
#include "core/train/metrics.hpp"
#include "ntk/sdk/error.hpp"

using namespace ntk::core::train;

TEST_CASE("mse is the mean over examples of the squared error; squared_loss is half of it",
          "[train][metrics]") {
  const arma::mat f = {{1.0, 2.0, 3.0}};
  const arma::mat y = {{0.0, 2.0, 5.0}};
  // Errors 1, 0, -2: (1 + 0 + 4) / 3 examples.
  CHECK(mse(f, y) == Approx(5.0 / 3.0));
  CHECK(squared_loss(f, y) == Approx((1.0 + 0.0 + 4.0) / 6.0));
  // Two outputs, two examples: ‖(1, 2)‖² = 5 and ‖(0, -3)‖² = 9; the mean over the two
  // examples is 7 (not averaged over the outputs, which would give 3.5).
  const arma::mat f2 = {{1.0, 0.0}, {2.0, -3.0}};
  CHECK(mse(f2, arma::mat(2, 2, arma::fill::zeros)) == Approx(7.0));
  CHECK(squared_loss(f2, arma::mat(2, 2, arma::fill::zeros)) == Approx(3.5));
  CHECK_THROWS_WITH(mse(f, arma::mat(2, 3, arma::fill::zeros)),
                    Catch::Contains("predictions are 1 x 3 but targets are 2 x 3"));
  CHECK_THROWS_AS(squared_loss(f, arma::mat(2, 3, arma::fill::zeros)), ntk::Error);
  CHECK_THROWS_WITH(mse(arma::mat(1, 0), arma::mat(1, 0)), Catch::Contains("no examples"));
}

TEST_CASE("accuracy uses signs for ±1 targets and argmax for several outputs", "[train][metrics]") {
  const arma::mat y = {{1.0, -1.0, 1.0, -1.0}};
  const arma::mat f = {{0.3, -2.0, -0.1, 0.5}};
  CHECK(has_accuracy(y));
  CHECK(accuracy(f, y) == Approx(0.5));
  // f = 0 is no decision and a NaN prediction is never right.
  const arma::mat undecided = {{0.0, -2.0, arma::datum::nan, 0.5}};
  CHECK(accuracy(undecided, y) == Approx(0.25));

  const arma::mat onehot = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
  const arma::mat g = {{0.9, 0.2, 0.5}, {0.1, 0.1, 0.1}, {0.0, 0.0, 0.7}};
  CHECK(accuracy(g, onehot) == Approx(2.0 / 3.0));
  arma::mat g_nan = g;
  g_nan(2, 2) = arma::datum::nan;  // column 3 was right; with a NaN it is not
  CHECK(accuracy(g_nan, onehot) == Approx(1.0 / 3.0));

  const arma::mat regression = {{0.2, 0.7}};
  CHECK_FALSE(has_accuracy(regression));
  CHECK(std::isnan(accuracy(regression, regression)));
  CHECK_THROWS_WITH(accuracy(f, onehot), Catch::Contains("1 x 4 but targets are 3 x 3"));
}

TEST_CASE("argmax_labels: the first row of each column's maximum", "[train][metrics]") {
  const arma::mat f = {{0.1, 5.0, 2.0, -1.0}, {0.7, 1.0, 2.0, -3.0}, {0.2, 4.0, 1.0, -2.0}};
  const arma::uvec labels = argmax_labels(f);
  REQUIRE(labels.n_elem == 4);
  CHECK(labels(0) == 1);
  CHECK(labels(1) == 0);
  CHECK(labels(2) == 0);  // a tie between rows 0 and 1: the first
  CHECK(labels(3) == 0);
  arma::mat bad = f;
  bad(2, 1) = arma::datum::nan;
  CHECK_THROWS_WITH(argmax_labels(bad), Catch::Contains("column 2"));
  CHECK_THROWS_AS(argmax_labels(arma::mat(0, 3)), ntk::Error);
}

TEST_CASE("label_accuracy compares each column's argmax with a class label", "[train][metrics]") {
  const arma::mat f = {{0.1, 5.0, 2.0, -1.0}, {0.7, 1.0, 2.5, -3.0}, {0.2, 4.0, 1.0, -2.0}};
  // argmax per column: 1, 0, 1, 0.
  CHECK(label_accuracy(f, arma::uvec{1, 0, 2, 2}) == Approx(0.5));
  CHECK(label_accuracy(f, arma::uvec{1, 0, 1, 0}) == Approx(1.0));
  CHECK_THROWS_WITH(label_accuracy(f, arma::uvec{1, 0}), Catch::Contains("2 labels for 3 x 4"));
  CHECK_THROWS_WITH(label_accuracy(f, arma::uvec{1, 0, 3, 0}), Catch::Contains("label 3"));
}

TEST_CASE("kernel distance: 0 for identical or scaled kernels, 1 for orthogonal ones", "[train]") {
  const arma::mat a = {{2.0, 1.0}, {1.0, 3.0}};
  CHECK(kernel_distance(a, a) == Approx(0.0).margin(1e-15));
  CHECK(kernel_distance(a, 7.5 * a) == Approx(0.0).margin(1e-15));
  const arma::mat e1 = {{1.0, 0.0}, {0.0, 0.0}};
  const arma::mat e2 = {{0.0, 0.0}, {0.0, 1.0}};
  CHECK(kernel_distance(e1, e2) == Approx(1.0));
  // ⟨a, e1⟩ = 2, ‖a‖ = √15: distance 1 − 2/√15.
  CHECK(kernel_distance(a, e1) == Approx(1.0 - 2.0 / std::sqrt(15.0)));
  CHECK_THROWS_AS(kernel_distance(a, arma::mat(3, 3, arma::fill::ones)), ntk::Error);
  CHECK_THROWS_AS(kernel_distance(a, arma::mat(2, 2, arma::fill::zeros)), ntk::Error);
}

TEST_CASE("kernel trace: distance from the first snapshot and velocity per step", "[train]") {
  const arma::mat e1 = {{1.0, 0.0}, {0.0, 0.0}};
  const arma::mat e2 = {{0.0, 0.0}, {0.0, 1.0}};
  KernelTrace trace;
  trace.add(0, e1);
  trace.add(10, e1);
  trace.add(14, e2);
  REQUIRE(trace.steps.size() == 3);
  CHECK(trace.distance_from_init[1] == Approx(0.0).margin(1e-15));
  CHECK(trace.distance_from_init[2] == Approx(1.0));
  CHECK(trace.velocity[1] == Approx(0.0).margin(1e-15));
  CHECK(trace.velocity[2] == Approx(1.0 / 4.0));
  CHECK_THROWS_AS(trace.add(14, e1), ntk::Error);
}

TEST_CASE("labelled(): a dataset with a shape becomes image inputs", "[train]") {
  ntk::core::Dataset data;
  data.x = arma::mat(12, 3, arma::fill::ones);
  data.y = arma::mat(1, 3, arma::fill::ones);
  CHECK(labelled(data).x.kind() == ntk::sdk::Inputs::Kind::dense);
  data.shape = {3, 2, 2};
  const Labelled images = labelled(data);
  CHECK(images.x.kind() == ntk::sdk::Inputs::Kind::images);
  CHECK(images.x.shape().channels == 3);
  CHECK(images.size() == 3);
  data.shape = {3, 2, 3};  // 18 != 12 rows
  CHECK_THROWS_AS(labelled(data), ntk::Error);
  data.shape.clear();
  data.y = arma::mat(1, 2, arma::fill::ones);
  CHECK_THROWS_WITH(labelled(data), Catch::Contains("3 inputs"));
}
