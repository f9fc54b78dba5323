// Fashion-MNIST from the Debian package dataset-fashion-mnist (installed by ntk.sh).
#include <catch2/catch.hpp>

#include <filesystem>

#include "core/data/mnist.hpp"
#include "ntk/sdk/error.hpp"

using namespace ntk::core;
using namespace ntk::core::data;

namespace {

std::string fashion_file(const char* name) {
  const std::string path = std::string(fashion_mnist_default_dir()) + "/" + name;
  INFO("Fashion-MNIST is a test dependency: apt-get install dataset-fashion-mnist");
  REQUIRE(std::filesystem::exists(path));
  return path;
}

}  // namespace

TEST_CASE("fashion-mnist: official split sizes and balanced classes", "[data][fashion]") {
  struct Side {
    const char* images;
    const char* labels;
    arma::uword n;
  } sides[] = {{"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", 60000},
               {"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 10000}};
  for (const Side& side : sides) {
    const LabelledImages set =
        read_labelled_images(fashion_file(side.images), fashion_file(side.labels), "test");
    CHECK(set.images.dims == std::vector<arma::uword>{side.n, 28, 28});
    std::vector<arma::uword> count(10, 0);
    for (unsigned char label : set.labels.bytes) ++count[label];
    // Fashion-MNIST is balanced: 6,000 / 1,000 images per class.
    for (arma::uword c = 0; c < 10; ++c) CHECK(count[c] == side.n / 10);
  }
}

TEST_CASE("fashion_mnist(): seeded subsets of the official split", "[data][fashion]") {
  ImageSetOptions o;
  o.classes = {0, 9};  // T-shirt/top vs ankle boot
  o.n_train = 100;
  o.n_test = 50;
  o.seed = 3;
  const Split s = fashion_mnist(o);
  REQUIRE(s.train.x.n_rows == 784);
  REQUIRE(s.train.size() == 100);
  REQUIRE(s.test.size() == 50);
  CHECK(s.train.x.min() >= 0.0);
  CHECK(s.train.x.max() <= 1.0);
  for (arma::uword j = 0; j < 100; ++j)
    CHECK(s.train.y(0, j) == (s.train.labels(j) == 9 ? 1.0 : -1.0));
  const Split again = fashion_mnist(o);
  CHECK(arma::approx_equal(again.train.x, s.train.x, "absdiff", 0.0));
  CHECK(arma::approx_equal(again.test.x, s.test.x, "absdiff", 0.0));

  // Without counts: every test image of the classes (2 × 1,000).
  o.n_train = 10;
  o.n_test.reset();
  const Split all = fashion_mnist(o);
  CHECK(all.test.size() == 2000);
  CHECK(arma::accu(all.test.labels == 9.0) == 1000);

  o.n_test = 2001;
  CHECK_THROWS_WITH(fashion_mnist(o), Catch::Contains("2001") && Catch::Contains("2000"));
  o.n_test = 10;
  o.dir = "/nonexistent/fashion";
  CHECK_THROWS_WITH(fashion_mnist(o), Catch::Contains("dataset-fashion-mnist"));
}
