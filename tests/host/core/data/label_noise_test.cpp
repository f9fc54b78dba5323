// Label noise against its definition: binomial flip counts, uniform other classes, transition
// rates; clean labels kept; targets rebuilt.
#include <catch2/catch.hpp>

#include <cmath>

#include "core/data/label_noise.hpp"
#include "core/data/labels.hpp"
#include "ntk/sdk/error.hpp"

using namespace ntk::core;
using namespace ntk::core::data;

namespace {

// n examples, labels cycling through `classes`, encoded.
Dataset cycling(arma::uword n, const std::vector<double>& classes, LabelEncoding encoding) {
  Dataset d;
  d.x = arma::mat(1, n, arma::fill::ones);
  d.labels.set_size(n);
  for (arma::uword j = 0; j < n; ++j) d.labels(j) = classes[j % classes.size()];
  return filter_classes(d, classes, encoding);
}

arma::uword class_index(const Dataset& d, double label) {
  return static_cast<arma::uword>(std::find(d.classes.begin(), d.classes.end(), label) -
                                  d.classes.begin());
}

}  // namespace

TEST_CASE("symmetric_noise: about p·n flips, never to the same class, uniform targets",
          "[data][noise]") {
  const arma::uword n = 40000;
  const double p = 0.3;
  const Dataset clean = cycling(n, {2, 4, 6, 8}, LabelEncoding::onehot);
  const Dataset noisy = symmetric_noise(clean, p, 17);
  CHECK(arma::approx_equal(noisy.clean_labels, clean.labels, "absdiff", 0.0));
  CHECK(arma::approx_equal(noisy.clean_y, clean.y, "absdiff", 0.0));
  CHECK(arma::approx_equal(noisy.y, encode_labels(noisy.labels, noisy.classes,
                                                  LabelEncoding::onehot, "t"),
                           "absdiff", 0.0));

  // Flips ~ Binomial(n, p); each flip lands on each of the 3 other classes with prob 1/3.
  arma::mat moved(4, 4, arma::fill::zeros);
  for (arma::uword j = 0; j < n; ++j)
    moved(class_index(clean, clean.labels(j)), class_index(clean, noisy.labels(j))) += 1;
  const double flips = arma::accu(moved) - arma::trace(moved);
  CHECK(std::abs(flips - p * n) < 5 * std::sqrt(n * p * (1 - p)));
  const double per_pair = n / 4.0 * p / 3.0;  // n/4 examples per class
  for (arma::uword a = 0; a < 4; ++a)
    for (arma::uword b = 0; b < 4; ++b)
      if (a != b) CHECK(std::abs(moved(a, b) - per_pair) < 5 * std::sqrt(per_pair));

  // Reproducible; p = 0 changes nothing; p = 1 changes every label.
  CHECK(arma::approx_equal(symmetric_noise(clean, p, 17).labels, noisy.labels, "absdiff", 0.0));
  CHECK_FALSE(arma::approx_equal(symmetric_noise(clean, p, 18).labels, noisy.labels, "absdiff", 0.0));
  CHECK(arma::approx_equal(symmetric_noise(clean, 0.0, 1).labels, clean.labels, "absdiff", 0.0));
  CHECK(arma::accu(symmetric_noise(clean, 1.0, 1).labels == clean.labels) == 0);

  // Noise on noise keeps the original clean labels.
  const Dataset twice = symmetric_noise(noisy, 0.5, 3);
  CHECK(arma::approx_equal(twice.clean_labels, clean.labels, "absdiff", 0.0));

  CHECK_THROWS_WITH(symmetric_noise(clean, 1.5, 1), Catch::Contains("p = 1.5"));
  CHECK_THROWS_WITH(symmetric_noise(clean, -0.1, 1), Catch::Contains("not in [0, 1]"));
}

TEST_CASE("symmetric_noise: ±1 targets stay ±1", "[data][noise]") {
  const Dataset clean = cycling(1000, {0, 1}, LabelEncoding::pm1);
  const Dataset noisy = symmetric_noise(clean, 0.2, 5);
  REQUIRE(noisy.y.n_rows == 1);
  for (arma::uword j = 0; j < noisy.size(); ++j)
    CHECK(noisy.y(0, j) == (noisy.labels(j) == 1 ? 1.0 : -1.0));
  CHECK(arma::accu(noisy.y != clean.y) > 0);
}

TEST_CASE("transition_noise: empirical rates match P", "[data][noise]") {
  const arma::uword n = 60000;
  const Dataset clean = cycling(n, {0, 1, 2}, LabelEncoding::onehot);
  const arma::mat P = {{0.7, 0.2, 0.1}, {0.0, 1.0, 0.0}, {0.25, 0.25, 0.5}};
  const Dataset noisy = transition_noise(clean, P, 23);
  arma::mat count(3, 3, arma::fill::zeros);
  for (arma::uword j = 0; j < n; ++j)
    count(static_cast<arma::uword>(clean.labels(j)), static_cast<arma::uword>(noisy.labels(j))) += 1;
  const double per_class = n / 3.0;
  for (arma::uword a = 0; a < 3; ++a)
    for (arma::uword b = 0; b < 3; ++b) {
      const double sd = std::sqrt(per_class * P(a, b) * (1 - P(a, b)));
      CHECK(std::abs(count(a, b) - per_class * P(a, b)) <= 5 * sd);
    }
  CHECK(count(1, 0) == 0);  // probability-zero transitions never happen
  CHECK(arma::approx_equal(noisy.clean_labels, clean.labels, "absdiff", 0.0));
  CHECK(arma::approx_equal(transition_noise(clean, P, 23).labels, noisy.labels, "absdiff", 0.0));

  CHECK_THROWS_WITH(transition_noise(clean, arma::mat(2, 2, arma::fill::eye), 1),
                    Catch::Contains("2 x 2") && Catch::Contains("3 classes"));
  arma::mat bad = P;
  bad(0, 0) = 0.6;
  CHECK_THROWS_WITH(transition_noise(clean, bad, 1),
                    Catch::Contains("row 1") && Catch::Contains("sums to 0.9"));
  bad = P;
  bad(2, 0) = -0.25;
  bad(2, 2) = 1.0;
  CHECK_THROWS_WITH(transition_noise(clean, bad, 1), Catch::Contains("P(3, 1) = -0.25"));

  Dataset regression;
  regression.x = arma::mat(1, 3, arma::fill::ones);
  regression.y = arma::mat(1, 3, arma::fill::ones);
  CHECK_THROWS_WITH(symmetric_noise(regression, 0.1, 1), Catch::Contains("no class labels"));
}
