// Class filter, encodings, selection, splits and normalisation on small hand-made data sets.
#include <catch2/catch.hpp>

#include <set>

#include "core/data/label_noise.hpp"
#include "core/data/labels.hpp"
#include "core/data/transforms.hpp"
#include "ntk/sdk/error.hpp"

using namespace ntk::core;
using namespace ntk::core::data;

namespace {

// Six examples with labels 3, 5, 7, 5, 3, 5; x(0, j) = j identifies example j.
Dataset six() {
  Dataset d;
  d.x = {{0, 1, 2, 3, 4, 5}, {1, 0, 2, 2, 1, 0}};
  d.labels = {3, 5, 7, 5, 3, 5};
  d.y = d.labels;
  return d;
}

// n examples with x(0, j) = j and labels j mod 3.
Dataset numbered(arma::uword n) {
  Dataset d;
  d.x = arma::linspace<arma::rowvec>(0, double(n) - 1, n);
  d.labels = arma::rowvec(n);
  for (arma::uword j = 0; j < n; ++j) d.labels(j) = double(j % 3);
  return d;
}

}  // namespace

TEST_CASE("filter_classes: ±1 and one-hot targets in the given class order", "[data][transforms]") {
  const Dataset pm = filter_classes(six(), {5, 3}, LabelEncoding::pm1);
  CHECK(arma::approx_equal(pm.x.row(0), arma::rowvec{0, 1, 3, 4, 5}, "absdiff", 0.0));
  CHECK(arma::approx_equal(pm.labels, arma::rowvec{3, 5, 5, 3, 5}, "absdiff", 0.0));
  CHECK(arma::approx_equal(pm.y, arma::mat{{1, -1, -1, 1, -1}}, "absdiff", 0.0));  // 5 -> -1
  CHECK(pm.classes == std::vector<double>{5, 3});

  const Dataset hot = filter_classes(six(), {7, 3, 5}, LabelEncoding::onehot);
  const arma::mat expected = {{0, 0, 1, 0, 0, 0}, {1, 0, 0, 0, 1, 0}, {0, 1, 0, 1, 0, 1}};
  CHECK(arma::approx_equal(hot.y, expected, "absdiff", 0.0));
  CHECK(encoding_of(hot, "t") == LabelEncoding::onehot);
  CHECK(encoding_of(pm, "t") == LabelEncoding::pm1);

  const Dataset all = encode(six(), LabelEncoding::onehot);
  CHECK(all.classes == std::vector<double>{3, 5, 7});

  CHECK_THROWS_WITH(filter_classes(six(), {3, 4}, LabelEncoding::pm1),
                    Catch::Contains("unknown class 4") && Catch::Contains("3, 5, 7"));
  CHECK_THROWS_WITH(filter_classes(six(), {3, 5, 7}, LabelEncoding::pm1),
                    Catch::Contains("exactly 2 classes"));
  CHECK_THROWS_WITH(filter_classes(six(), {3, 3}, LabelEncoding::onehot),
                    Catch::Contains("duplicate"));
  CHECK_THROWS_WITH(parse_encoding("binary", "f()"), Catch::Contains("\"pm1\", \"onehot\""));
  const Dataset noisy = symmetric_noise(pm, 0.5, 1);
  CHECK_THROWS_WITH(filter_classes(noisy, {3, 5}, LabelEncoding::pm1),
                    Catch::Contains("label noise"));
  Dataset unlabelled = six();
  unlabelled.labels.reset();
  CHECK_THROWS_WITH(filter_classes(unlabelled, {3, 5}, LabelEncoding::pm1),
                    Catch::Contains("no class labels"));
  Dataset ragged = six();
  ragged.y = arma::mat(1, 5);
  CHECK_THROWS_WITH(filter_classes(ragged, {3, 5}, LabelEncoding::pm1),
                    Catch::Contains("'y' has 5 columns but x has 6"));
}

TEST_CASE("split and subsample: disjoint, complete, seeded, nested", "[data][transforms]") {
  const Dataset d = numbered(100);
  const Split s = split(d, 60, 40, 9);
  std::set<double> train(s.train.x.begin(), s.train.x.end());
  std::set<double> test(s.test.x.begin(), s.test.x.end());
  CHECK(train.size() == 60);
  CHECK(test.size() == 40);
  std::set<double> both = train;
  both.insert(test.begin(), test.end());
  CHECK(both.size() == 100);  // disjoint and together all examples
  for (arma::uword j = 0; j < 60; ++j) CHECK(s.train.labels(j) == double(int(s.train.x(0, j)) % 3));

  const Split small = split(d, 10, 40, 9);
  CHECK(arma::approx_equal(small.train.x, s.train.x.cols(0, 9), "absdiff", 0.0));
  CHECK(arma::approx_equal(small.test.x, s.test.x, "absdiff", 0.0));
  CHECK_FALSE(arma::approx_equal(split(d, 60, 40, 10).train.x, s.train.x, "absdiff", 0.0));
  CHECK_THROWS_WITH(split(d, 60, 41, 9), Catch::Contains("101") && Catch::Contains("only 100"));

  const Dataset sub = subsample(d, 30, 4);
  CHECK(sub.size() == 30);
  CHECK(std::set<double>(sub.x.begin(), sub.x.end()).size() == 30);
  CHECK(arma::approx_equal(subsample(d, 30, 4).x, sub.x, "absdiff", 0.0));
  CHECK(arma::approx_equal(subsample(d, 10, 4).x, sub.x.cols(0, 9), "absdiff", 0.0));
  CHECK_THROWS_WITH(subsample(d, 101, 4), Catch::Contains("101") && Catch::Contains("100"));
  CHECK_THROWS_WITH(select(d, {100}), Catch::Contains("out of range"));
}

TEST_CASE("unit_norm: each example (column) gets norm 1", "[data][transforms]") {
  Dataset d;
  d.x = {{3, 0, -1}, {4, 2, 1}};
  const Dataset u = unit_norm(d);
  const arma::mat expected = {{0.6, 0, -1 / std::sqrt(2.0)}, {0.8, 1, 1 / std::sqrt(2.0)}};
  CHECK(arma::approx_equal(u.x, expected, "absdiff", 1e-15));
  d.x(0, 1) = 0;
  d.x(1, 1) = 0;
  CHECK_THROWS_WITH(unit_norm(d), Catch::Contains("example 2 has norm 0"));
}

TEST_CASE("standardize: train statistics, applied to test", "[data][transforms]") {
  Dataset train, test;
  train.x = {{1, 2, 3, 6}, {5, 5, 5, 5}};
  test.x = {{4, 0}, {7, 5}};
  standardize(train, test);
  // Feature 1: mean 3, population sd sqrt(((−2)²+(−1)²+0²+3²)/4) = sqrt(3.5). Feature 2: constant.
  const double sd = std::sqrt(3.5);
  const arma::mat train_expected = {{-2 / sd, -1 / sd, 0, 3 / sd}, {0, 0, 0, 0}};
  const arma::mat test_expected = {{1 / sd, -3 / sd}, {2, 0}};
  CHECK(arma::approx_equal(train.x, train_expected, "absdiff", 1e-14));
  CHECK(arma::approx_equal(test.x, test_expected, "absdiff", 1e-14));

  Dataset wrong;
  wrong.x = arma::mat(3, 2, arma::fill::ones);
  Dataset fresh;
  fresh.x = {{1, 2}, {3, 4}};
  CHECK_THROWS_WITH(standardize(fresh, wrong), Catch::Contains("3 features") &&
                                                   Catch::Contains("fitted on 2"));
}
