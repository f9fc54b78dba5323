// The convolutional kernel rules (layers_conv.hpp) against an independent long-double
// implementation over all pixel pairs (cntk_reference.hpp), for every readout, padding and
// activation; float32 against float64; the symmetric path against the cross one; refusals.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "cntk_reference.hpp"
#include "layers.hpp"
#include "layers_conv.hpp"
#include "ntk/sdk/error.hpp"

namespace L = ntk::sdk::layers;
using ntk::sdk::ImageShape;
using ntk::sdk::KernelState;

namespace {

std::vector<L::ImageRule> rules_of(const cntk_reference::Config& c) {
  std::vector<L::ImageRule> rules;
  for (int l = 0; l < c.depth; ++l) {
    const char pad = cntk_reference::padding(c, l);
    rules.push_back(L::conv(double(c.w_std), double(c.b_std), cntk_reference::qh(c),
                            cntk_reference::qw(c),
                            pad == 'c' ? L::Padding::circular
                                       : (pad == 'v' ? L::Padding::valid : L::Padding::same)));
    rules.push_back(c.relu ? L::image_relu() : L::image_erf());
  }
  return rules;
}

L::SpatialReadout readout_of(const cntk_reference::Config& c) {
  if (c.readout == 0) return L::flatten();
  if (c.readout == 1) return L::global_average_pool();
  return L::average_pool(c.pool_window, c.pool_stride);
}

// NNGP and NTK through the SDK: image rules, readout, then the Dense readout rule.
KernelState sdk_kernel(const cntk_reference::Config& c, const arma::mat& a, const arma::mat& b,
                       bool symmetric, L::Precision precision = L::Precision::float64) {
  KernelState s = L::image_kernel(a, b, {c.channels, c.height, c.width}, symmetric, rules_of(c),
                                  readout_of(c), true, precision);
  L::apply_rules(s, {L::dense(double(c.readout_w_std), double(c.readout_b_std))});
  L::finish(s);
  return s;
}

// Largest entry-wise error relative to the largest entry.
double worst(const arma::mat& got, const arma::mat& want) {
  return arma::abs(got - want).max() / arma::abs(want).max();
}

void reference(const cntk_reference::Config& c, const arma::mat& a, const arma::mat& b, bool same,
               arma::mat& nngp, arma::mat& ntk) {
  nngp.set_size(a.n_cols, b.n_cols);
  ntk.set_size(a.n_cols, b.n_cols);
  for (arma::uword i = 0; i < a.n_cols; ++i)
    for (arma::uword j = 0; j < b.n_cols; ++j) {
      const auto [s, t] = cntk_reference::kernel(c, a.colptr(i), b.colptr(j), same && i == j);
      nngp(i, j) = double(s);
      ntk(i, j) = double(t);
    }
}

std::vector<cntk_reference::Config> grid() {
  std::vector<cntk_reference::Config> out;
  for (int readout : {0, 1, 2})
    for (bool circular : {false, true})
      for (bool relu : {true, false}) {
        cntk_reference::Config c;
        c.channels = 2;
        c.height = 5;
        c.width = 4;
        c.circular = circular;
        c.relu = relu;
        c.readout = readout;
        c.w_std = 1.3L;
        c.b_std = relu ? 0.2L : 0.0L;
        c.readout_w_std = 0.9L;
        c.readout_b_std = 0.3L;
        c.pool_window = 2;
        c.pool_stride = readout == 2 && circular ? 1 : 2;
        out.push_back(c);
      }
  cntk_reference::Config big;  // a filter larger than the image with zero padding, depth 3
  big.height = 3;
  big.width = 4;
  big.filter = 5;
  big.depth = 3;
  big.readout = 1;
  out.push_back(big);
  cntk_reference::Config one;  // 1 × 1 filters (C > 1: with C = 1 and q = 1 every pixel pair
  one.filter = 1;               // is exactly collinear, ρ = ±1, where the arc-cosine is ill-posed)
  one.channels = 3;
  one.readout = 2;
  one.pool_window = 3;
  one.pool_stride = 1;
  out.push_back(one);
  return out;
}

}  // namespace

TEST_CASE("image kernels agree with the pixel-pair reference to 1e-10", "[layers_conv]") {
  arma::arma_rng::set_seed(11);
  double largest = 0;
  for (const auto& c : grid()) {
    const arma::uword d = c.channels * c.height * c.width;
    const arma::mat a = arma::randn(d, 3), b = arma::randn(d, 2);
    arma::mat nngp, ntk;
    reference(c, a, b, false, nngp, ntk);
    const KernelState cross = sdk_kernel(c, a, b, false);
    INFO("readout " << c.readout << ", circular " << c.circular << ", relu " << c.relu
                    << ", filter " << c.filter);
    CHECK(worst(cross.nngp, nngp) < 1e-10);
    CHECK(worst(cross.ntk, ntk) < 1e-10);
    largest = std::max({largest, worst(cross.nngp, nngp), worst(cross.ntk, ntk)});

    reference(c, a, a, true, nngp, ntk);
    const KernelState sym = sdk_kernel(c, a, a, true);
    CHECK(worst(sym.nngp, nngp) < 1e-10);
    CHECK(worst(sym.ntk, ntk) < 1e-10);
    CHECK(sym.nngp.is_symmetric());
    largest = std::max({largest, worst(sym.nngp, nngp), worst(sym.ntk, ntk)});
    // The cross path's variances are the symmetric kernel's diagonal.
    const KernelState cross_self = L::image_kernel(a, b, {c.channels, c.height, c.width}, false,
                                                   rules_of(c), readout_of(c), false);
    const KernelState sym_raw = L::image_kernel(a, a, {c.channels, c.height, c.width}, true,
                                                rules_of(c), readout_of(c), false);
    CHECK(arma::abs(cross_self.diag1 - sym_raw.diag1).max() <= 1e-12 * arma::abs(sym_raw.diag1).max());
  }
  WARN("largest relative error against the long-double reference: " << largest);
}

TEST_CASE("float32 pixel-pair tensors stay within 1e-4 of float64", "[layers_conv]") {
  arma::arma_rng::set_seed(12);
  for (const auto& c : grid()) {
    const arma::uword d = c.channels * c.height * c.width;
    const arma::mat a = arma::randn(d, 20);
    const KernelState f64 = sdk_kernel(c, a, a, true);
    const KernelState f32 = sdk_kernel(c, a, a, true, L::Precision::float32);
    INFO("readout " << c.readout << ", circular " << c.circular << ", relu " << c.relu
                    << ", filter " << c.filter << ", depth " << c.depth);
    CHECK(arma::norm(f32.ntk - f64.ntk, "fro") / arma::norm(f64.ntk, "fro") < 1e-4);
    CHECK(arma::norm(f32.nngp - f64.nngp, "fro") / arma::norm(f64.nngp, "fro") < 1e-4);
  }
}

TEST_CASE("pixel variances are the reference's spatial diagonal", "[layers_conv]") {
  cntk_reference::Config c;
  c.channels = 3;
  c.height = 4;
  c.width = 5;
  c.readout = 0;
  c.readout_w_std = 1;
  arma::arma_rng::set_seed(13);
  const arma::mat x = arma::randn(60, 2);
  const arma::mat v = L::pixel_variances(x, {3, 4, 5}, rules_of(c));
  REQUIRE(v.n_rows == 20);
  // The flatten readout is the mean of the variances (readout_b_std = 0, readout_w_std = 1).
  for (arma::uword j = 0; j < 2; ++j) {
    const auto [s, t] = cntk_reference::kernel(c, x.colptr(j), x.colptr(j), true);
    CHECK(std::abs(arma::mean(v.col(j)) - double(s)) < 1e-12 * double(s));
  }
}

TEST_CASE("image kernel rules refuse bad input with a clear message", "[layers_conv]") {
  const arma::mat x(16, 2, arma::fill::randn);
  const ImageShape shape{1, 4, 4};
  const std::vector<L::ImageRule> ok = {L::conv(1, 0, 3), L::image_relu()};
  auto message = [&](auto&& f) {
    try {
      f();
    } catch (const ntk::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(message([&] { L::image_kernel(x, x, {1, 5, 4}, true, ok, L::flatten(), true); }),
             Catch::Contains("16 rows") && Catch::Contains("C*H*W = 20"));
  CHECK_THAT(message([&] { L::conv(1, 0, 4); }), Catch::Contains("filter = 4 must be odd"));
  CHECK_THAT(message([&] {
               L::image_kernel(x, x, shape, true, {L::conv(1, 0, 5, L::Padding::circular)},
                               L::flatten(), true);
             }),
             Catch::Contains("5x5 filter, larger than the 4x4 image"));
  CHECK_THAT(message([&] { L::image_kernel(x, x, shape, true, {L::image_relu()}, L::flatten(), true); }),
             Catch::Contains("put a conv rule before it"));
  CHECK_THAT(message([&] {
               L::image_kernel(x, x, shape, true,
                               {L::conv(1, 0, 3), L::conv(1, 0, 3, L::Padding::circular)},
                               L::flatten(), true);
             }),
             Catch::Contains("mix SAME and CIRCULAR"));
  CHECK_THAT(message([&] { L::image_kernel(x, x, shape, true, ok, L::average_pool(5, 1), true); }),
             Catch::Contains("window 5 is longer"));
  arma::mat bad = x;
  bad(3, 1) = arma::datum::nan;
  CHECK_THAT(message([&] { L::image_kernel(bad, bad, shape, true, ok, L::flatten(), true); }),
             Catch::Contains("column 2"));
}

namespace {

// Rectangular filters, 1-D convolutions (images {C, 1, W}, qh = 1) and VALID padding (alone,
// and mixed with SAME: the engine's shrinking rectangle with zeros around it), at non-default
// w_std and b_std, against the reference's shrinking tensors.
std::vector<cntk_reference::Config> rectangular_and_valid() {
  std::vector<cntk_reference::Config> out;
  auto add = [&](unsigned h, unsigned w, unsigned qh, unsigned qw, std::string paddings, int readout,
                 bool relu) {
    cntk_reference::Config c;
    c.channels = 2;
    c.height = h;
    c.width = w;
    c.filter_height = qh;
    c.filter_width = qw;
    c.paddings = paddings;
    c.depth = int(paddings.size());
    c.readout = readout;
    c.relu = relu;
    c.w_std = 1.3L;
    c.b_std = relu ? 0.2L : 0.1L;
    c.readout_w_std = 0.9L;
    c.readout_b_std = 0.3L;
    c.pool_window = 2;
    c.pool_stride = 1;
    out.push_back(c);
  };
  add(5, 6, 3, 5, "ss", 1, true);   // rectangular, SAME
  add(5, 6, 5, 1, "ss", 2, false);  // tall, SAME, pooled
  add(5, 4, 1, 3, "cc", 0, true);   // rectangular, CIRCULAR
  add(1, 9, 1, 3, "ss", 1, true);   // 1-D, SAME
  add(1, 9, 1, 3, "vv", 0, false);  // 1-D, VALID
  add(1, 8, 1, 5, "vs", 1, true);   // 1-D, VALID then SAME
  add(6, 7, 3, 3, "vv", 0, true);   // VALID
  add(6, 7, 3, 3, "vv", 1, false);
  add(6, 7, 3, 3, "vv", 2, true);
  add(7, 6, 3, 1, "vv", 1, true);   // rectangular VALID
  add(6, 7, 3, 5, "vs", 1, true);   // VALID then SAME
  add(6, 6, 3, 3, "sv", 2, false);  // SAME then VALID
  add(8, 7, 3, 3, "vsv", 2, true);  // VALID, SAME, VALID
  add(3, 5, 3, 5, "v", 0, true);    // the filter is the image: one output pixel
  return out;
}

}  // namespace

TEST_CASE("rectangular, 1-D and VALID convolutions agree with the reference to 1e-10",
          "[layers_conv]") {
  arma::arma_rng::set_seed(14);
  double largest = 0;
  for (const auto& c : rectangular_and_valid()) {
    const arma::uword d = c.channels * c.height * c.width;
    const arma::mat a = arma::randn(d, 3), b = arma::randn(d, 2);
    INFO("image " << c.height << "x" << c.width << ", filter " << cntk_reference::qh(c) << "x"
                  << cntk_reference::qw(c) << ", paddings " << c.paddings << ", readout "
                  << c.readout << ", relu " << c.relu);
    arma::mat nngp, ntk;
    reference(c, a, b, false, nngp, ntk);
    const KernelState cross = sdk_kernel(c, a, b, false);
    CHECK(worst(cross.nngp, nngp) < 1e-10);
    CHECK(worst(cross.ntk, ntk) < 1e-10);
    largest = std::max({largest, worst(cross.nngp, nngp), worst(cross.ntk, ntk)});
    reference(c, a, a, true, nngp, ntk);
    const KernelState sym = sdk_kernel(c, a, a, true);
    CHECK(worst(sym.nngp, nngp) < 1e-10);
    CHECK(worst(sym.ntk, ntk) < 1e-10);
    largest = std::max({largest, worst(sym.nngp, nngp), worst(sym.ntk, ntk)});
    const KernelState f32 = sdk_kernel(c, a, a, true, L::Precision::float32);
    CHECK(arma::norm(f32.ntk - sym.ntk, "fro") / arma::norm(sym.ntk, "fro") < 1e-4);
    // The variances of the output image: what the flatten readout averages.
    const arma::mat v = L::pixel_variances(a, {c.channels, c.height, c.width}, rules_of(c));
    unsigned h = c.height, w = c.width;
    for (char pad : c.paddings)
      if (pad == 'v') {
        h -= cntk_reference::qh(c) - 1;
        w -= cntk_reference::qw(c) - 1;
      }
    CHECK(v.n_rows == h * w);
  }
  WARN("rectangular / 1-D / VALID: largest relative error against the long-double reference: "
       << largest);
}

TEST_CASE("rectangular and VALID conv rules refuse bad input naming the rule", "[layers_conv]") {
  const arma::mat x(12, 2, arma::fill::randn);
  const ImageShape shape{1, 3, 4};
  auto message = [&](auto&& f) {
    try {
      f();
    } catch (const ntk::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(message([&] { L::conv(1, 0, 3, 2, L::Padding::same); }),
             Catch::Contains("filter = 3x2 must be odd in both axes"));
  CHECK_THAT(message([&] {
               L::image_kernel(x, x, shape, true, {L::conv(1, 0, 5, 1, L::Padding::valid)},
                               L::flatten(), true);
             }),
             Catch::Contains("rule 1 (Conv(W_std=1, b_std=0, 5x1, VALID))") &&
                 Catch::Contains("larger than the 3x4 image it reads"));
  // The second VALID conv reads the 1x2 image the first one left.
  CHECK_THAT(message([&] {
               L::image_kernel(x, x, shape, true,
                               {L::conv(1, 0, 3, L::Padding::valid), L::image_relu(),
                                L::conv(1, 0, 1, 3, L::Padding::valid)},
                               L::flatten(), true);
             }),
             Catch::Contains("rule 3") && Catch::Contains("larger than the 1x2 image"));
  CHECK_THAT(message([&] {
               L::image_kernel(x, x, shape, true,
                               {L::conv(1, 0, 1, 3, L::Padding::circular),
                                L::conv(1, 0, 1, 3, L::Padding::valid)},
                               L::flatten(), true);
             }),
             Catch::Contains("mix VALID and CIRCULAR"));
  CHECK_THAT(message([&] {
               L::image_kernel(x, x, shape, true,
                               {L::conv(1, 0, 1, 3, L::Padding::same), L::image_residual_start(),
                                L::conv(1, 0, 1, 3, L::Padding::valid), L::image_residual_sum(1)},
                               L::flatten(), true);
             }),
             Catch::Contains("inside a residual block"));
  CHECK_THAT(message([&] {
               L::image_kernel(x, x, shape, true, {L::conv(1, 0, 3, L::Padding::valid)},
                               L::average_pool(2, 1), true);
             }),
             Catch::Contains("window 2 is longer"));
}
