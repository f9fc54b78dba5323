// The shipped MNIST test split and the mnist() loader.
#include <catch2/catch.hpp>

#include <filesystem>
#include <set>

#include "core/data/data_dir.hpp"
#include "core/data/idx.hpp"
#include "core/data/mnist.hpp"
#include "ntk/sdk/error.hpp"
#include "temp_dir.hpp"

using namespace ntk::core;
using namespace ntk::core::data;

namespace {

const LabelledImages& mnist_test_split() {
  static const LabelledImages set =
      read_labelled_images(find_data_file("mnist/t10k-images-idx3-ubyte.gz"),
                           find_data_file("mnist/t10k-labels-idx1-ubyte.gz"), "test");
  return set;
}

ImageSetOptions options(std::vector<double> classes, arma::uword n_train, arma::uword n_test,
                        std::uint64_t seed) {
  ImageSetOptions o;
  o.classes = std::move(classes);
  o.n_train = n_train;
  o.n_test = n_test;
  o.seed = seed;
  return o;
}

}  // namespace

TEST_CASE("mnist: the shipped test split has the published size and class counts",
          "[data][mnist]") {
  const LabelledImages& set = mnist_test_split();
  REQUIRE(set.images.dims == std::vector<arma::uword>{10000, 28, 28});
  REQUIRE(set.labels.items() == 10000);
  // Class counts of the official MNIST test split (t10k-labels).
  const int expected[10] = {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009};
  int count[10] = {};
  for (unsigned char label : set.labels.bytes) ++count[label];
  for (int c = 0; c < 10; ++c) CHECK(count[c] == expected[c]);

  const auto [lo, hi] = std::minmax_element(set.images.bytes.begin(), set.images.bytes.end());
  CHECK(*lo == 0);
  CHECK(*hi == 255);
}

TEST_CASE("mnist: images line up with labels (image 0 is a 7, nearest class mean works)",
          "[data][mnist]") {
  const LabelledImages& set = mnist_test_split();
  CHECK(set.labels.bytes[0] == 7);
  // Class means from images 1000..9999; a misaligned or mis-ordered pixel layout would make the
  // nearest-mean rule fail on the held-out images 0..999 (it reaches about 80% on MNIST).
  std::vector<arma::uword> fit, held_out;
  for (arma::uword j = 0; j < 10000; ++j) (j < 1000 ? held_out : fit).push_back(j);
  const Dataset train = to_dataset(set, fit);
  const Dataset test = to_dataset(set, held_out);
  arma::mat means(784, 10, arma::fill::zeros);
  arma::vec counts(10, arma::fill::zeros);
  for (arma::uword j = 0; j < train.size(); ++j) {
    const auto c = static_cast<arma::uword>(train.labels(j));
    means.col(c) += train.x.col(j);
    counts(c) += 1;
  }
  means.each_row() /= counts.t();
  int correct = 0;
  arma::uword first_prediction = 99;
  for (arma::uword j = 0; j < test.size(); ++j) {
    const arma::rowvec dist = arma::sum(arma::square(means.each_col() - test.x.col(j)), 0);
    const arma::uword predicted = dist.index_min();
    if (j == 0) first_prediction = predicted;
    correct += predicted == static_cast<arma::uword>(test.labels(j));
  }
  CHECK(first_prediction == 7);
  CHECK(correct > 700);
  // Pixel (row 0, col 0) is background in every digit; the centre of a digit is often ink.
  CHECK(test.x.row(0).max() == 0.0);
  CHECK(test.x.row(14 * 28 + 14).max() == 1.0);
}

TEST_CASE("mnist(): disjoint seeded draws with ±1 targets", "[data][mnist]") {
  const Split s = mnist(options({0, 1}, 120, 60, 1));
  REQUIRE(s.train.x.n_rows == 784);
  REQUIRE(s.train.size() == 120);
  REQUIRE(s.test.size() == 60);
  REQUIRE(s.train.y.n_rows == 1);
  CHECK(s.train.classes == std::vector<double>{0, 1});
  CHECK(s.train.x.min() >= 0.0);
  CHECK(s.train.x.max() <= 1.0);
  CHECK(s.train.x.max() == 1.0);
  for (const Dataset* d : {&s.train, &s.test})
    for (arma::uword j = 0; j < d->size(); ++j) {
      REQUIRE((d->labels(j) == 0 || d->labels(j) == 1));
      CHECK(d->y(0, j) == (d->labels(j) == 1 ? 1.0 : -1.0));
    }
  // Both classes drawn (120 draws from 980 zeros and 1135 ones).
  CHECK(arma::accu(s.train.labels == 0.0) > 20);
  CHECK(arma::accu(s.train.labels == 1.0) > 20);

  // Disjoint: no test image equals a training image.
  for (arma::uword i = 0; i < s.test.size(); ++i)
    for (arma::uword j = 0; j < s.train.size(); ++j)
      REQUIRE(arma::accu(arma::abs(s.test.x.col(i) - s.train.x.col(j))) > 0);

  // The same seed gives the same sets; another seed other sets.
  const Split again = mnist(options({0, 1}, 120, 60, 1));
  CHECK(arma::approx_equal(again.train.x, s.train.x, "absdiff", 0.0));
  CHECK(arma::approx_equal(again.test.labels, s.test.labels, "absdiff", 0.0));
  const Split other = mnist(options({0, 1}, 120, 60, 2));
  CHECK_FALSE(arma::approx_equal(other.train.x, s.train.x, "absdiff", 0.0));

  // Nested in n_train, test set unchanged.
  const Split more = mnist(options({0, 1}, 240, 60, 1));
  CHECK(arma::approx_equal(more.train.x.cols(0, 119), s.train.x, "absdiff", 0.0));
  CHECK(arma::approx_equal(more.test.x, s.test.x, "absdiff", 0.0));
}

TEST_CASE("mnist(): one-hot targets, class order, normalisation", "[data][mnist]") {
  ImageSetOptions o = options({7, 3, 5}, 90, 30, 4);
  const Split s = mnist(o);
  REQUIRE(s.train.y.n_rows == 3);
  CHECK(s.train.classes == std::vector<double>{7, 3, 5});
  for (arma::uword j = 0; j < s.train.size(); ++j) {
    CHECK(arma::accu(s.train.y.col(j)) == 1.0);
    const double label = s.train.labels(j);
    CHECK(s.train.y(label == 7 ? 0 : label == 3 ? 1 : 2, j) == 1.0);
  }

  o.labels = LabelEncoding::onehot;
  o.classes = {0, 1};
  CHECK(mnist(o).train.y.n_rows == 2);

  o.labels.reset();
  o.normalize = "unit";
  const Split unit = mnist(o);
  CHECK(arma::abs(arma::sqrt(arma::sum(arma::square(unit.train.x), 0)) - 1.0).max() < 1e-12);
  CHECK(arma::abs(arma::sqrt(arma::sum(arma::square(unit.test.x), 0)) - 1.0).max() < 1e-12);

  o.normalize = "standardize";
  const Split standard = mnist(o);
  CHECK(arma::abs(arma::mean(standard.train.x, 1)).max() < 1e-12);
  CHECK(standard.train.x.row(0).max() == 0.0);  // constant border pixel: centred, not NaN
  CHECK(standard.test.x.is_finite());
}

TEST_CASE("mnist(): bad arguments are refused with the counts", "[data][mnist]") {
  CHECK_THROWS_WITH(mnist(options({0, 1}, 2000, 200, 1)),
                    Catch::Contains("2200") && Catch::Contains("2115"));
  CHECK_THROWS_WITH(mnist(options({0, 12}, 10, 10, 1)), Catch::Contains("unknown class 12"));
  CHECK_THROWS_WITH(mnist(options({3, 3}, 10, 10, 1)), Catch::Contains("listed twice"));
  CHECK_THROWS_WITH(mnist(options({3}, 10, 10, 1)), Catch::Contains("at least 2 classes"));
  ImageSetOptions o = options({0, 1}, 10, 10, 1);
  o.normalize = "whiten";
  CHECK_THROWS_WITH(mnist(o), Catch::Contains("whiten") && Catch::Contains("standardize"));
  o = options({0, 1}, 10, 10, 1);
  o.n_test.reset();
  CHECK_THROWS_WITH(mnist(o), Catch::Contains("n_test"));
  o = options({0, 1}, 10, 10, 1);
  o.labels = LabelEncoding::pm1;
  o.classes = {0, 1, 2};
  CHECK_THROWS_WITH(mnist(o), Catch::Contains("exactly 2 classes"));
}

TEST_CASE("mnist(): image and label files that disagree name both files", "[data][mnist]") {
  ntk::test::TempDir dir("mnist_bad");
  arma::mat images(4, 3, arma::fill::zeros);
  write_idx(dir.file("t10k-images-idx3-ubyte.gz"), images, {3, 2, 2});
  write_idx(dir.file("t10k-labels-idx1-ubyte.gz"), arma::mat{{1, 2}}, {2});
  ImageSetOptions o = options({1, 2}, 1, 1, 1);
  o.dir = dir.file("");
  CHECK_THROWS_WITH(mnist(o), Catch::Contains("t10k-images-idx3-ubyte.gz has 3 images") &&
                                  Catch::Contains("t10k-labels-idx1-ubyte.gz has 2 labels") &&
                                  Catch::Contains("byte offset 4"));
  write_idx(dir.file("t10k-labels-idx1-ubyte.gz"), arma::mat{{1, 2, 12}}, {3});
  CHECK_THROWS_WITH(mnist(o), Catch::Contains("label 12 of item 3 at byte offset 10"));
  write_idx(dir.file("t10k-labels-idx1-ubyte.gz"), arma::mat{{1, 2, 1}}, {3}, 0x0B);
  CHECK_THROWS_WITH(mnist(o), Catch::Contains("unsigned-byte labels"));
  o.dir = dir.file("nowhere");
  CHECK_THROWS_WITH(mnist(o), Catch::Contains("not found"));
}

TEST_CASE("mnist(): a rewritten file is read again, not served from the cache", "[data][mnist]") {
  ntk::test::TempDir dir("mnist_cache");
  ImageSetOptions o = options({1, 2}, 2, 0, 1);
  o.dir = dir.file("");
  write_idx(dir.file("t10k-images-idx3-ubyte.gz"), arma::mat(4, 2, arma::fill::value(51)), {2, 2, 2});
  write_idx(dir.file("t10k-labels-idx1-ubyte.gz"), arma::mat{{1, 2}}, {2});
  CHECK(mnist(o).train.x.max() == 51.0 / 255.0);
  write_idx(dir.file("t10k-images-idx3-ubyte.gz"), arma::mat(4, 3, arma::fill::value(255)), {3, 2, 2});
  write_idx(dir.file("t10k-labels-idx1-ubyte.gz"), arma::mat{{1, 2, 2}}, {3});
  o.n_train = 3;
  const Split s = mnist(o);
  CHECK(s.train.size() == 3);
  CHECK(s.train.x.min() == 1.0);
}

TEST_CASE("data folder: NTKLAB_DATA_DIR, else next to the executable, else ./data",
          "[data][mnist]") {
  namespace fs = std::filesystem;
  const char* relative = "mnist/t10k-labels-idx1-ubyte.gz";
  const char* preset = std::getenv("NTKLAB_DATA_DIR");
  const std::string saved = preset ? preset : "";
  unsetenv("NTKLAB_DATA_DIR");
  // From another working directory the folder is still found through the executable's path
  // (build/tests/test_x -> build/tests/../../data).
  const fs::path cwd = fs::current_path();
  ntk::test::TempDir elsewhere("data_dir_cwd");
  fs::current_path(elsewhere.file(""));
  std::string found;
  CHECK_NOTHROW(found = find_data_file(relative));
  fs::current_path(cwd);
  CHECK(fs::equivalent(found, cwd / "data" / relative));

  ntk::test::TempDir dir("data_dir_env");
  fs::create_directories(dir.file("mnist"));
  ntk::test::write_text(dir.file(relative), "x");
  setenv("NTKLAB_DATA_DIR", dir.file("").c_str(), 1);
  CHECK(fs::equivalent(find_data_file(relative), dir.file(relative)));
  CHECK_THROWS_WITH(find_data_file("mnist/other.gz"),
                    Catch::Contains(dir.file("")) && Catch::Contains("NTKLAB_DATA_DIR"));
  unsetenv("NTKLAB_DATA_DIR");
  if (preset) setenv("NTKLAB_DATA_DIR", saved.c_str(), 1);
}
