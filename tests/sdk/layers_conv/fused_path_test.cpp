// The fused float32 path of the conv tile engine (layers_conv_fused.hpp): its ReLU lanes
// against the closed form in long double, and its kernels against the long-double pixel-pair
// reference (cntk_reference.hpp) and against the engine's rule-by-rule walk in float32 and
// float64, over filters, channels, depths, readouts, symmetric and cross kernels, NNGP only,
// frozen convs; a tile that overflows is refused by both paths with the same message.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

#include "cntk_reference.hpp"
#include "layers.hpp"
#include "layers_conv.hpp"
#include "layers_conv_fused.hpp"
#include "layers_conv_lanes.hpp"
#include "ntk/sdk/error.hpp"

namespace L = ntk::sdk::layers;
namespace D = ntk::sdk::layers::detail;
using ntk::sdk::KernelState;
using cntk_reference::real;

namespace {

// The ReLU map in long double: Σ = √(v1v2)·J(ρ), κ0 = (π − θ)/(2π).
void relu_reference(real c, real v1, real v2, real& nngp, real& kappa0) {
  const real pi = cntk_reference::pi();
  const real rho = std::clamp(c / std::sqrt(v1 * v2), real(-1), real(1));
  const real theta = std::acos(rho);
  nngp = std::sqrt(v1 * v2) * (std::sqrt(1 - rho * rho) + (pi - theta) * rho) / (2 * pi);
  kappa0 = (pi - theta) / (2 * pi);
}

// relu16 on one lane value repeated in all 16 lanes (lane 5 marked diagonal when asked).
void relu_lanes(float c, float v1, float v2, float theta, bool diagonal, float& nngp_out, float& ntk_out,
                float& diagonal_nngp, float& diagonal_ntk) {
  D::F16 s = D::splat(c), t = D::splat(theta);
  const auto inv = [](float v) { return v > 0 ? float(1 / std::sqrt(double(v))) : 0.0f; };
  const auto root = [](float v) { return float(std::sqrt(double(v))); };
  D::M16 mask{};
  if (diagonal) mask[5] = -1;
  D::relu16<true, true>(s, t, D::splat(inv(v1)), D::splat(inv(v2)), D::splat(root(v1)), D::splat(root(v2)), mask);
  nngp_out = s[0];
  ntk_out = t[0];
  diagonal_nngp = s[5];
  diagonal_ntk = t[5];
}

std::vector<L::ImageRule> same_relu_rules(const cntk_reference::Config& c, bool freeze_first = false) {
  std::vector<L::ImageRule> rules;
  for (int l = 0; l < c.depth; ++l) {
    rules.push_back(L::conv(double(c.w_std), double(c.b_std), cntk_reference::qh(c),
                            cntk_reference::qw(c), L::Padding::same));
    if (l == 0 && freeze_first) rules.back().trainable = false;
    rules.push_back(L::image_relu());
  }
  return rules;
}

L::SpatialReadout readout_of(const cntk_reference::Config& c) {
  if (c.readout == 0) return L::flatten();
  if (c.readout == 1) return L::global_average_pool();
  return L::average_pool(c.pool_window, c.pool_stride);
}

KernelState kernel(const cntk_reference::Config& c, const arma::mat& a, const arma::mat& b,
                   bool symmetric, L::Precision precision, bool fused, bool track_ntk = true,
                   bool freeze_first = false) {
  D::set_fused_enabled(fused);
  KernelState s = L::image_kernel(a, b, {c.channels, c.height, c.width}, symmetric,
                                  same_relu_rules(c, freeze_first), readout_of(c), track_ntk, precision);
  D::set_fused_enabled(true);
  L::apply_rules(s, {L::dense(double(c.readout_w_std), double(c.readout_b_std))}, track_ntk);
  L::finish(s);
  return s;
}

double worst(const arma::mat& got, const arma::mat& want) {
  return arma::abs(got - want).max() / arma::abs(want).max();
}

std::vector<cntk_reference::Config> configs() {
  std::vector<cntk_reference::Config> out;
  for (int readout : {0, 1, 2})
    for (unsigned channels : {1u, 2u})
      for (int depth : {1, 3}) {
        cntk_reference::Config c;
        c.channels = channels;
        c.height = 6;
        c.width = 5;
        c.depth = depth;
        c.readout = readout;
        c.w_std = 1.3L;
        c.b_std = depth == 1 ? 0.0L : 0.2L;
        c.readout_w_std = 0.9L;
        c.readout_b_std = 0.3L;
        c.pool_window = 2;
        c.pool_stride = 1;
        out.push_back(c);
      }
  cntk_reference::Config wide;  // 5 × 5 filters, larger than the 4-pixel width
  wide.filter = 5;
  wide.height = 5;
  wide.width = 4;
  wide.readout = 1;
  out.push_back(wide);
  for (unsigned fh : {1u, 3u}) {  // 1 × 3 and 3 × 1 filters
    cntk_reference::Config rect;
    rect.filter_height = fh;
    rect.filter_width = 4 - fh;
    rect.channels = 2;
    rect.readout = 1;
    out.push_back(rect);
  }
  return out;
}

}  // namespace

TEST_CASE("fused ReLU lanes agree with the closed form in long double", "[layers_conv]") {
  double worst_nngp = 0, worst_kappa = 0;
  for (double scale : {1e-30, 1e-3, 1.0, 7e4, 1e30})
    for (double ratio : {1.0, 0.37, 5.0})
      for (int k = -400; k <= 400; ++k) {
        // ρ over [−1, 1], denser near ±1 and at the ±1/2 branch points.
        const double t = k / 400.0;
        const double rho = k == 0 ? 0 : std::copysign(1 - std::pow(1 - std::fabs(t), 3), t);
        for (double r : {rho, 0.5, -0.5, std::nextafter(0.5, 1.0), std::nextafter(-0.5, -1.0)}) {
          const float v1 = float(scale), v2 = float(scale * ratio);
          const float c = float(r * std::sqrt(double(v1) * double(v2)));
          float s, th, ds, dth;
          relu_lanes(c, v1, v2, 3.0f, false, s, th, ds, dth);
          real want, kappa, unused, kappa_low, kappa_high;
          relu_reference(real(c), real(v1), real(v2), want, kappa);
          // κ0 has an infinite slope at ρ = ±1: there ρ's rounding (Σ12·(1/√Σ11)·(1/√Σ22),
          // 4 ulps) is what any float map inherits. The allowance is what 4 ulps of ρ change.
          const real ulps = 4 * real(std::numeric_limits<float>::epsilon()) / 2;
          relu_reference(real(c) * (1 - ulps), real(v1), real(v2), unused, kappa_low);
          relu_reference(real(c) * (1 + ulps), real(v1), real(v2), unused, kappa_high);
          const real allowance = std::max(std::fabs(kappa_low - kappa), std::fabs(kappa_high - kappa));
          const real norm = std::sqrt(real(v1) * real(v2));
          // Errors relative to √(Σ11Σ22) (the scale of Σ12) and to 1/2 (the largest κ0).
          worst_nngp = std::max(worst_nngp, double(std::fabs(real(s) - want) / norm));
          worst_kappa = std::max(worst_kappa,
                                 double(std::max(std::fabs(real(th) / 3 - kappa) - allowance, real(0)) / 0.5L));
        }
      }
  WARN("fused ReLU lanes: largest error " << worst_nngp << " (Σ, of √(Σ11Σ22)), " << worst_kappa
                                          << " (κ0, beyond what 4 ulps of ρ change)");
  CHECK(worst_nngp < 1e-6);
  CHECK(worst_kappa < 1e-6);

  float s, th, ds, dth;
  // A pixel paired with itself: exactly ρ = 1, Σ/2 and Θ/2 (to the roots' rounding), even
  // when the Σ12 passed in is off by a few ulps.
  relu_lanes(2.5f * (1 + 3e-7f), 2.5f, 2.5f, 3.0f, true, s, th, ds, dth);
  CHECK(std::fabs(ds - 1.25f) <= 2e-7f * 1.25f);
  CHECK(dth == 1.5f);
  // A zero variance: ρ = 0 (neural-tangents' fill), Σ = 0, Θ·1/4.
  relu_lanes(0.0f, 0.0f, 2.0f, 3.0f, false, s, th, ds, dth);
  CHECK(s == 0.0f);
  CHECK(std::fabs(th - 0.75f) <= 1e-7f);
  // A non-finite Σ12 stays non-finite (the engine's checks report it).
  for (float bad : {std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN()}) {
    relu_lanes(bad, 1.0f, 1.0f, 3.0f, false, s, th, ds, dth);
    CHECK(!std::isfinite(s));
  }
}

TEST_CASE("fused float32 kernels agree with the reference and the rule walk", "[layers_conv]") {
  arma::arma_rng::set_seed(21);
  double largest_ref = 0, largest_walk = 0;
  for (const auto& c : configs()) {
    const arma::uword d = c.channels * c.height * c.width;
    const arma::mat a = arma::randn(d, 19), b = arma::randn(d, 5);  // 19: a partial tile
    INFO("readout " << c.readout << ", channels " << c.channels << ", depth " << c.depth
                    << ", filter " << cntk_reference::qh(c) << "x" << cntk_reference::qw(c));
    for (bool symmetric : {true, false}) {
      const arma::mat& y = symmetric ? a : b;
      const KernelState fused = kernel(c, a, y, symmetric, L::Precision::float32, true);
      const KernelState walk = kernel(c, a, y, symmetric, L::Precision::float32, false);
      arma::mat nngp(a.n_cols, y.n_cols), ntk(a.n_cols, y.n_cols);
      for (arma::uword i = 0; i < a.n_cols; ++i)
        for (arma::uword j = 0; j < y.n_cols; ++j) {
          const auto [s, t] = cntk_reference::kernel(c, a.colptr(i), y.colptr(j), symmetric && i == j);
          nngp(i, j) = double(s);
          ntk(i, j) = double(t);
        }
      CHECK(worst(fused.nngp, nngp) < 1e-5);
      CHECK(worst(fused.ntk, ntk) < 1e-5);
      CHECK(worst(fused.nngp, walk.nngp) < 1e-5);
      CHECK(worst(fused.ntk, walk.ntk) < 1e-5);
      CHECK(worst(fused.diag1, walk.diag1) < 1e-5);
      if (!symmetric) CHECK(worst(fused.diag2, walk.diag2) < 1e-5);
      largest_ref = std::max({largest_ref, worst(fused.nngp, nngp), worst(fused.ntk, ntk)});
      largest_walk = std::max({largest_walk, worst(fused.nngp, walk.nngp), worst(fused.ntk, walk.ntk)});
      // The two paths round differently: equal kernels would mean the fused one did not run.
      CHECK(arma::abs(fused.ntk - walk.ntk).max() > 0);
    }
  }
  WARN("fused float32: largest relative error " << largest_ref << " against the long-double "
       "reference, " << largest_walk << " against the float32 rule walk");
}

TEST_CASE("fused path: NNGP only and a frozen first conv match the rule walk", "[layers_conv]") {
  arma::arma_rng::set_seed(22);
  cntk_reference::Config c;
  c.channels = 2;
  c.height = 5;
  c.width = 6;
  c.depth = 3;
  c.readout = 1;
  c.b_std = 0.1L;
  const arma::mat a = arma::randn(c.channels * c.height * c.width, 17);
  const KernelState f64 = kernel(c, a, a, true, L::Precision::float64, false, false);
  const KernelState only = kernel(c, a, a, true, L::Precision::float32, true, false);
  CHECK(only.ntk.is_empty());
  CHECK(worst(only.nngp, f64.nngp) < 1e-5);
  for (bool fused : {true, false}) {
    const KernelState frozen = kernel(c, a, a, true, L::Precision::float32, fused, true, true);
    const KernelState frozen64 = kernel(c, a, a, true, L::Precision::float64, false, true, true);
    INFO("fused " << fused);
    CHECK(worst(frozen.ntk, frozen64.ntk) < 1e-5);
    CHECK(worst(frozen.nngp, frozen64.nngp) < 1e-5);
  }
}

TEST_CASE("fused path: a float32 overflow in a tile is refused as by the rule walk",
          "[layers_conv][numerics]") {
  // Inputs × 1.1e19: the per-pixel variances (double) stay near 1.2e38-2.0e38, within float's
  // 3.4e38, but a float32 tile's 3 × 3 box sum of nine of them does not. The fused run's sums
  // are then not finite, the tile is replayed by the rule walk (on cleared grids), which names
  // the layer: the same message as a rule-walk run.
  cntk_reference::Config c;
  c.channels = 1;
  c.height = 4;
  c.width = 4;
  c.depth = 3;
  c.readout = 1;
  arma::arma_rng::set_seed(23);
  const arma::mat a = 1.1e19 * (1 + 0.3 * arma::randu(16, 3));
  std::string messages[2];
  for (bool fused : {true, false}) {
    try {
      kernel(c, a, a, true, L::Precision::float32, fused);
      FAIL("expected a refusal");
    } catch (const ntk::Error& e) {
      messages[fused] = e.what();
    }
  }
  std::printf("fused path, float32 NTK overflow: %s\n", messages[1].c_str());
  CHECK(messages[0] == messages[1]);
  CHECK(messages[1].find("float64") != std::string::npos);
}
