// Deep and badly scaled convolutional kernels are right or refused naming the layer, never
// silently wrong (issue 13), in the pixel-pair tile engine (layers_conv_range.hpp).
//
// The truth: with b_std = 0 every rule of a conv/relu network is homogeneous — a conv
// multiplies Σ and Θ by W², relu keeps Σ's degree (its NNGP has degree 1, its NTK factor
// degree 0) — so the kernels of W_std = w are those of W_std = 1 times (w²)^(convs + 1)
// exactly, inputs × s multiply them by s², and the normalised kernel K12/√(K11K22) depends on
// neither. Where that scale leaves the doubles the engine must refuse.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <functional>
#include <string>

#include "ntk/sdk/error.hpp"
#include "ntk/sdk/stax.hpp"

namespace st = ntk::sdk::stax;
using ntk::sdk::Inputs;
using ntk::sdk::Kernels;

namespace {

constexpr arma::uword kChannels = 2, kSide = 6;

// n images of {2, 6, 6}, read through input_shape, times `scale`.
Inputs images(arma::uword n, int seed, double scale = 1) {
  arma::arma_rng::set_seed(seed);
  return Inputs::dense(scale * arma::randn(kChannels * kSide * kSide, n));
}

enum class Readout { flatten, global_average };

// depth × (conv 3×3 SAME, activation), readout, dense: every layer W_std = w, b_std = 0.
std::unique_ptr<ntk::sdk::Architecture> cnn(int depth, double w, Readout readout,
                                            const std::string& activation = "relu",
                                            ntk::sdk::Precision precision = ntk::sdk::Precision::float64) {
  std::vector<ntk::sdk::LayerPtr> layers;
  st::ConvOptions conv;
  conv.w_std = w;
  conv.filter = 3;
  for (int l = 0; l < depth; ++l) {
    layers.push_back(st::conv(conv));
    layers.push_back(st::activation(activation));
  }
  layers.push_back(readout == Readout::flatten ? st::flatten() : st::global_avg_pool());
  layers.push_back(st::dense(w, 0.0));
  st::CompositionOptions options;
  options.input_shape = {double(kChannels), double(kSide), double(kSide)};
  options.precision = precision;
  return st::composition(std::move(layers), options);
}

arma::mat normalised(const arma::mat& k) {
  const arma::vec d = arma::sqrt(k.diag());
  return k / (d * d.t());
}

double relative(const arma::mat& a, const arma::mat& b) {
  return arma::abs(a - b).max() / arma::abs(b).max();
}

// Calls f, which must throw an ntk::Error whose message names a layer (unless the input
// itself is out of range), contains all of `names` and says what went out of range (one of
// `kinds`); returns the message.
std::string refused(const std::function<Kernels()>& f, const std::vector<std::string>& names,
                    const std::vector<std::string>& kinds, bool names_layer = true) {
  try {
    const Kernels k = f();
    // Not refused: then it must at least be finite (it is a test failure either way).
    CHECK(k.nngp.is_finite());
    CHECK(k.ntk.is_finite());
    FAIL("expected an ntk::Error");
  } catch (const ntk::Error& e) {
    const std::string what = e.what();
    INFO(what);
    if (names_layer) CHECK(what.find("layer ") != std::string::npos);
    for (const auto& name : names) CHECK(what.find(name) != std::string::npos);
    bool kind = false;
    for (const auto& k : kinds) kind = kind || what.find(k) != std::string::npos;
    CHECK(kind);
    return what;
  }
  return "";
}

}  // namespace

TEST_CASE("conv/relu kernels are homogeneous in w_std and the input scale",
          "[numerics][conv]") {
  const Inputs x = images(4, 1);
  for (Readout readout : {Readout::flatten, Readout::global_average}) {
    const int depth = 6;
    INFO("readout " << (readout == Readout::flatten ? "flatten" : "global_avg_pool"));
    const Kernels k1 = cnn(depth, 1.0, readout)->kernels(x, x, {true, true});
    const Kernels k = cnn(depth, 1.5, readout)->kernels(x, x, {true, true});
    // (w²)^(depth + 1): depth convs and the dense readout.
    const double factor = std::pow(1.5 * 1.5, depth + 1);
    CHECK(relative(k.nngp / factor, k1.nngp) < 1e-13);
    CHECK(relative(k.ntk / factor, k1.ntk) < 1e-13);
    CHECK(arma::abs(normalised(k.nngp) - normalised(k1.nngp)).max() < 1e-13);
    CHECK(arma::abs(normalised(k.ntk) - normalised(k1.ntk)).max() < 1e-13);
    // Inputs × 1e150 and × 1e-150: x·x/C is 1e±300, still a double; the kernels scale by s².
    for (double scale : {1e150, 1e-150}) {
      const Inputs xs = images(4, 1, scale);
      const Kernels ks = cnn(depth, 1.5, readout)->kernels(xs, xs, {true, true});
      REQUIRE(ks.nngp.is_finite());
      REQUIRE(ks.ntk.is_finite());
      CHECK(relative(ks.nngp / (scale * scale), k.nngp) < 1e-13);
      CHECK(relative(ks.ntk / (scale * scale), k.ntk) < 1e-13);
    }
  }
}

TEST_CASE("deep conv/relu kernels: right while the variances are doubles, refused beyond",
          "[numerics][conv]") {
  const Inputs x = images(3, 2);
  // Per conv + relu the variances gain w²/2: 112.5 for w = 15 (1e205 after 100 layers, past
  // 1e308 after about 150), 0.005 for w = 0.1 (1e-230 after 100, below 2e-308 after 135).
  const Kernels reference = cnn(100, 1.0, Readout::flatten)->kernels(x, x, {true, true});
  for (double w : {15.0, 0.1}) {
    INFO("w_std " << w);
    const Kernels k = cnn(100, w, Readout::flatten)->kernels(x, x, {true, true});
    REQUIRE(k.nngp.is_finite());
    REQUIRE(k.ntk.is_finite());
    // The relu maps take the rescaled path here (Σ11Σ22 ≈ 1e±410); ρ's rounding grows with
    // depth near ρ = 1 (kernel_range_test.cpp), measured 2e-15 at depth 100.
    CHECK(arma::abs(normalised(k.nngp) - normalised(reference.nngp)).max() < 1e-12);
    CHECK(arma::abs(normalised(k.ntk) - normalised(reference.ntk)).max() < 1e-12);
  }
  const std::string over = refused([&] { return cnn(160, 15.0, Readout::flatten)->kernels(x, x, {true, true}); },
                                   {"Conv(W_std=15"}, {"overflow"});
  std::printf("w_std 15, depth 160: %s\n", over.c_str());
  const std::string under = refused([&] { return cnn(160, 0.1, Readout::global_average)->kernels(x, x, {true, true}); },
                                    {}, {"underflow"});
  std::printf("w_std 0.1, depth 160: %s\n", under.c_str());
  CHECK((under.find("(Conv(W_std=0.1") != std::string::npos ||
         under.find("(Relu)") != std::string::npos));
  // A cross kernel names the set: the second one here is the one scaled out of range.
  const Inputs big = images(2, 3, 1e100);
  const std::string cross = refused([&] { return cnn(60, 15.0, Readout::flatten)->kernels(x, big, {true, true}); },
                                    {"the second set's example", "Conv(W_std=15"}, {"overflow"});
  std::printf("cross kernel: %s\n", cross.c_str());
}

TEST_CASE("conv inputs × 1e200 and × 1e-200 are refused, never NaN", "[numerics][conv]") {
  for (double scale : {1e200, 1e-200}) {
    INFO("scale " << scale);
    const Inputs x = images(3, 4, scale);
    const std::string what =
        refused([&] { return cnn(2, 1.5, Readout::global_average)->kernels(x, x, {true, true}); },
                {}, {scale > 1 ? "overflow" : "underflow"}, /*names_layer=*/false);
    CHECK(what.find("x·x/C") != std::string::npos);
    CHECK(what.find("rescale the inputs") != std::string::npos);
  }
}

TEST_CASE("an NTK that outgrows its variances is refused at the layer where it overflowed",
          "[numerics][conv]") {
  // erf with w = 1e4: Σ stays below w², but Θ gains about w·(2/π) per layer (erf's derivative
  // factor is (4/π)/√(1 + 4Σ)), so Θ leaves the doubles near depth 80 while Σ never does:
  // only the tiles' readout sums can see it, and their replay names the layer.
  const Inputs x = images(3, 5);
  const auto net = cnn(100, 1e4, Readout::flatten, "erf");
  const Kernels nngp_only = net->kernels(x, x, {true, false});
  CHECK(nngp_only.nngp.is_finite());
  const std::string what = refused([&] { return net->kernels(x, x, {true, true}); },
                                   {"non-finite NTK value first appeared at layer "}, {"overflow"});
  std::printf("erf, w_std 1e4, depth 100: %s\n", what.c_str());
}

TEST_CASE("float32 tiles refuse what only float64 holds, naming the layer", "[numerics][conv]") {
  const auto f32 = ntk::sdk::Precision::float32;
  // Variances: inputs × 1e18 have x·x/C ≈ 1e36; the first conv with w = 15 passes 3.4e38.
  const Inputs x = images(3, 6, 1e18);
  const std::string what = refused(
      [&] { return cnn(3, 15.0, Readout::flatten, "relu", f32)->kernels(x, x, {true, true}); },
      {"layer 1 (Conv(W_std=15", "float64"}, {"overflow"});
  std::printf("float32 variances: %s\n", what.c_str());
  const Kernels k64 = cnn(3, 15.0, Readout::flatten)->kernels(x, x, {true, true});
  CHECK(k64.nngp.is_finite());
  CHECK(k64.ntk.is_finite());
  // Inputs × 1e-20: x·x/C ≈ 1e-40 is below float's smallest normal value.
  const Inputs tiny = images(3, 6, 1e-20);
  refused([&] { return cnn(3, 1.0, Readout::flatten, "relu", f32)->kernels(tiny, tiny, {true, true}); },
          {"float64", "x·x/C"}, {"underflow"}, /*names_layer=*/false);
  // The NTK of the erf network above passes 3.4e38 after about 10 layers, in the tiles.
  const Inputs y = images(3, 7);
  const std::string ntk = refused(
      [&] { return cnn(14, 1e4, Readout::global_average, "erf", f32)->kernels(y, y, {true, true}); },
      {"non-finite NTK value first appeared at layer ", "float64"}, {"overflow"});
  std::printf("float32 NTK: %s\n", ntk.c_str());
  const Kernels ok = cnn(14, 1e4, Readout::global_average, "erf")->kernels(y, y, {true, true});
  CHECK(ok.ntk.is_finite());
}
