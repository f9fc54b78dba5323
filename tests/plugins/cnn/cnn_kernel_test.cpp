// The cnn plugin's analytic kernels: every option combination against the long-double pixel-pair
// reference (tests/sdk/layers_conv/cntk_reference.hpp), images vs input_shape, the NNGP-only
// and NTK-only requests, and the refusals the issue asks for.
#include <catch2/catch.hpp>

#include <string>

#include "../../sdk/layers_conv/cntk_reference.hpp"
#include "cnn_architecture.hpp"
#include "ntk/sdk/error.hpp"

using namespace ntk;

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ntk::Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("cnn kernels agree with the pixel-pair reference to 1e-10", "[cnn_kernel]") {
  arma::arma_rng::set_seed(21);
  double largest = 0;
  for (const std::string readout : {"flatten", "gap", "pool"})
    for (const std::string padding : {"same", "circular"})
      for (const std::string activation : {"relu", "erf"}) {
        cntk_reference::Config c;
        c.channels = 2;
        c.height = 5;
        c.width = 5;
        c.depth = 2;
        c.filter = 3;
        c.circular = padding == "circular";
        c.relu = activation == "relu";
        c.w_std = 1.2L;
        c.b_std = 0.1L;
        c.readout = readout == "flatten" ? 0 : (readout == "gap" ? 1 : 2);
        c.pool_window = 3;
        c.pool_stride = 2;
        c.readout_w_std = 1.1L;
        c.readout_b_std = 0.2L;
        const auto arch = cnn::make_architecture(
            {{"depth", 2.0}, {"padding", padding}, {"activation", activation}, {"w_std", 1.2},
             {"b_std", 0.1}, {"readout", readout}, {"pool_window", 3.0}, {"pool_stride", 2.0},
             {"readout_w_std", 1.1}, {"readout_b_std", 0.2}});
        const sdk::Inputs a = sdk::Inputs::images(arma::randn(50, 3), {2, 5, 5});
        const sdk::Inputs b = sdk::Inputs::images(arma::randn(50, 2), {2, 5, 5});
        const sdk::Kernels cross = arch->kernels(a, b, {true, true});
        const sdk::Kernels sym = arch->kernels(a, a, {true, true});
        for (arma::uword i = 0; i < 3; ++i)
          for (arma::uword j = 0; j < 3; ++j) {
            const auto [s, t] = cntk_reference::kernel(c, a.x().colptr(i), a.x().colptr(j), i == j);
            largest = std::max(largest, std::abs(sym.nngp(i, j) - double(s)) / std::abs(double(s)));
            largest = std::max(largest, std::abs(sym.ntk(i, j) - double(t)) / std::abs(double(t)));
            if (j < 2) {
              const auto [s2, t2] = cntk_reference::kernel(c, a.x().colptr(i), b.x().colptr(j), false);
              largest = std::max(largest, std::abs(cross.nngp(i, j) - double(s2)) / std::abs(double(s2)));
              largest = std::max(largest, std::abs(cross.ntk(i, j) - double(t2)) / std::abs(double(t2)));
            }
          }
        INFO(readout << " " << padding << " " << activation);
        CHECK(largest < 1e-10);
        // The NTK-only and NNGP-only requests give the same numbers.
        CHECK(arma::approx_equal(arch->kernels(a, b, {false, true}).ntk, cross.ntk, "absdiff", 0));
        CHECK(arma::approx_equal(arch->kernels(a, b, {true, false}).nngp, cross.nngp, "absdiff", 0));
      }
  WARN("largest relative error of the cnn kernels against the reference: " << largest);
}

TEST_CASE("plain matrices with input_shape give the same kernel as images", "[cnn_kernel]") {
  arma::arma_rng::set_seed(22);
  const arma::mat x = arma::randn(48, 4);
  const auto with_shape = cnn::make_architecture({{"input_shape", std::vector<double>{3, 4, 4}}});
  const auto plain = cnn::make_architecture({});
  const sdk::Inputs dense = sdk::Inputs::dense(x);
  const sdk::Inputs images = sdk::Inputs::images(x, {3, 4, 4});
  CHECK(arma::approx_equal(with_shape->kernels(dense, dense, {}).ntk,
                           plain->kernels(images, images, {}).ntk, "absdiff", 0));
}

TEST_CASE("cnn refuses bad input with messages naming the values", "[cnn_kernel]") {
  const sdk::Inputs img = sdk::Inputs::images(arma::randn(16, 2), {1, 4, 4});
  const auto arch = cnn::make_architecture({{"input_shape", std::vector<double>{1, 4, 4}}});
  const sdk::Inputs wrong = sdk::Inputs::dense(arma::randn(15, 2));
  CHECK_THAT(error_of([&] { arch->kernels(wrong, wrong, {}); }),
             Catch::Contains("15 rows") && Catch::Contains("C*H*W = 16"));
  CHECK_THAT(error_of([&] { cnn::make_architecture({{"filter", 4.0}}); }),
             Catch::Contains("filter = 4 is even"));
  CHECK_THAT(error_of([&] {
               cnn::make_architecture({{"filter", 5.0}, {"padding", std::string("circular")},
                                       {"input_shape", std::vector<double>{1, 4, 4}}});
             }),
             Catch::Contains("filter = 5 is larger than the 4x4 image"));
  const auto circular = cnn::make_architecture({{"filter", 5.0}, {"padding", std::string("circular")}});
  CHECK_THAT(error_of([&] { circular->kernels(img, img, {}); }),
             Catch::Contains("5x5 filter, larger than the 4x4 image"));
  CHECK_THAT(error_of([&] { circular->network({4, 1})->forward(img); }),
             Catch::Contains("filter = 5 is larger than the 4x4 image"));
  const auto no_shape = cnn::make_architecture({});
  CHECK_THAT(error_of([&] { no_shape->kernels(wrong, wrong, {}); }),
             Catch::Contains("input_shape = {C, H, W}"));
  const sdk::Inputs other = sdk::Inputs::images(arma::randn(18, 2), {2, 3, 3});
  CHECK_THAT(error_of([&] { arch->kernels(other, other, {}); }),
             Catch::Contains("shape {2, 3, 3}") && Catch::Contains("input_shape is {1, 4, 4}"));
  CHECK_THAT(error_of([&] { cnn::make_architecture({{"input_shape", std::vector<double>{1, 4}}}); }),
             Catch::Contains("give {C, H, W}"));
  CHECK_THAT(error_of([&] { cnn::make_architecture({{"stride", 2.0}}); }),
             Catch::Contains("unknown option 'stride'"));
  arma::mat nan = img.x();
  nan(2, 1) = arma::datum::nan;
  const sdk::Inputs bad = sdk::Inputs::images(nan, {1, 4, 4});
  CHECK_THAT(error_of([&] { arch->kernels(bad, bad, {}); }), Catch::Contains("non-finite"));
}
