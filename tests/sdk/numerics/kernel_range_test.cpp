// Deep and badly scaled kernels are right or refused, never silently wrong (issue 13).
//
// With b_std = 0 the ReLU NNGP and NTK are homogeneous in w_std and in the input scale, so
// their normalised entries K12/√(K11K22) follow a recursion on the correlation ρ alone
// (Cho & Saul's arc-cosine map), which no scale can disturb. The engine must reproduce it at
// any depth whose variances are doubles, and refuse with an ntk::Error naming the layer
// where they are not. Erf is compared with the textbook recursion in long double, whose range
// (1e±4932) covers every case here.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>

#include "layers.hpp"
#include "layers_elementwise.hpp"
#include "ntk/sdk/activation.hpp"
#include "ntk/sdk/error.hpp"
#include "ntk/sdk/stax.hpp"

namespace st = ntk::sdk::stax;
using ntk::sdk::Inputs;

namespace {

Inputs gaussian(arma::uword d, arma::uword n, int seed, double scale = 1) {
  arma::arma_rng::set_seed(seed);
  return Inputs::dense(scale * arma::randn(d, n));
}

std::unique_ptr<ntk::sdk::Architecture> mlp(int depth, double w, const std::string& act) {
  std::vector<ntk::sdk::LayerPtr> layers;
  for (int l = 0; l < depth; ++l) {
    layers.push_back(st::dense(w, 0.0));
    layers.push_back(st::activation(act));
  }
  layers.push_back(st::dense(w, 0.0));
  return st::composition(std::move(layers), {});
}

arma::mat normalised(const arma::mat& k) {
  const arma::vec d = arma::sqrt(k.diag());
  return k / (d * d.t());
}

// The ReLU network's normalised NNGP and NTK for one pair from ρ0 alone (NTK parametrisation,
// b = 0). τ = Θ/√(Σ11Σ22): dense adds ρ to τ12 (and 1 to τ11), relu maps
//   ρ ← (√(1 − ρ²) + (π − θ)ρ)/π,   τ12 ← τ12 (π − θ)/π,   θ = arccos ρ
// (Σ12 ← √(Σ11Σ22)(√(1−ρ²) + (π−θ)ρ)/(2π) and Σ ← Σ/2 on the diagonal).
struct Normalised {
  long double nngp, ntk;
  bool in_range = true;  // every variance and NTK diagonal within 1e±300
};
Normalised relu_reference(long double rho, int depth) {
  long double tau12 = 0, tau11 = 0;
  for (int l = 0; l <= depth; ++l) {
    tau12 += rho;
    tau11 += 1;
    if (l == depth) break;
    const long double theta = acosl(rho);
    tau12 *= (M_PIl - theta) / M_PIl;
    rho = std::min(1.0L, (sqrtl(std::max(0.0L, 1 - rho * rho)) + (M_PIl - theta) * rho) / M_PIl);
  }
  return {rho, tau12 / tau11};
}

// Textbook erf recursion (Williams 1997, NTK parametrisation, b = 0) in long double.
struct Pair {
  long double s11, s12, s22, t11, t12, t22;
};
Normalised erf_reference(long double s11, long double s12, long double s22, int depth, double w) {
  Pair k{s11, s12, s22, 0, 0, 0};
  const long double w2 = (long double)w * w;
  bool in_range = true;
  auto track = [&](long double v) { in_range = in_range && v > 1e-300L && v < 1e300L; };
  for (int l = 0; l <= depth; ++l) {
    k.s11 *= w2, k.s12 *= w2, k.s22 *= w2;
    k.t11 = w2 * k.t11 + k.s11, k.t12 = w2 * k.t12 + k.s12, k.t22 = w2 * k.t22 + k.s22;
    for (long double v : {k.s11, k.s22, k.t11, k.t22}) track(v);
    if (l == depth) break;
    auto next = [](long double a, long double b, long double c) {
      return 2 / M_PIl * asinl(2 * c / sqrtl((1 + 2 * a) * (1 + 2 * b)));
    };
    auto factor = [](long double a, long double b, long double c) {
      return 4 / M_PIl / sqrtl(1 + 2 * a + 2 * b + 4 * (a * b - c * c));
    };
    k.t12 *= factor(k.s11, k.s22, k.s12);
    k.t11 *= factor(k.s11, k.s11, k.s11);
    k.t22 *= factor(k.s22, k.s22, k.s22);
    const long double n12 = next(k.s11, k.s22, k.s12);
    k.s11 = next(k.s11, k.s11, k.s11);
    k.s22 = next(k.s22, k.s22, k.s22);
    k.s12 = n12;
  }
  for (long double v : {k.s11, k.s22}) track(v);
  return {k.s12 / sqrtl(k.s11 * k.s22), k.t12 / sqrtl(k.t11 * k.t22), in_range};
}

// log10 of the largest and smallest variance the ReLU network carries: the input's times
// (w²/2)^depth·w² (NTK: at most (depth + 1) times more).
bool relu_in_range(const arma::mat& x, int depth, double w) {
  const arma::rowvec v = arma::sum(arma::square(x), 0) / double(x.n_rows);
  const double step = std::log10(w * w / 2);
  const double lo = std::log10(v.min()) + std::min(0.0, depth * step) + std::min(0.0, 2 * std::log10(w));
  const double hi = std::log10(v.max()) + std::max(0.0, depth * step) + std::max(0.0, 2 * std::log10(w)) + std::log10(depth + 1.0);
  return lo > -300 && hi < 300;
}

double worst_against_relu_reference(const arma::mat& x, const ntk::sdk::Kernels& k, int depth) {
  const arma::mat nngp = normalised(k.nngp), ntk = normalised(k.ntk);
  double worst = 0;
  for (arma::uword i = 0; i < x.n_cols; ++i)
    for (arma::uword j = 0; j < x.n_cols; ++j) {
      const long double rho0 = i == j ? 1.0L
                                       : (long double)arma::dot(x.col(i), x.col(j)) /
                                             sqrtl((long double)arma::dot(x.col(i), x.col(i)) *
                                                   arma::dot(x.col(j), x.col(j)));
      const Normalised r = relu_reference(rho0, depth);
      worst = std::max({worst, double(fabsl(nngp(i, j) - r.nngp)), double(fabsl(ntk(i, j) - r.ntk))});
    }
  return worst;
}

void require_clean_range_error(const std::function<void()>& f, const char* where = "layer ") {
  try {
    f();
    FAIL("expected an ntk::Error");
  } catch (const ntk::Error& e) {
    const std::string what = e.what();
    INFO(what);
    CHECK(what.find(where) != std::string::npos);
    CHECK((what.find("overflow") != std::string::npos ||
           what.find("underflow") != std::string::npos ||
           what.find("the double range") != std::string::npos));
  }
}

// The request with a common scale: K / 2^s and s.
const ntk::sdk::KernelRequest kScaled{true, true, nullptr, /*log_scale=*/true};

// log2 of the true entry (i, j) of a scaled kernel.
double log2_entry(const arma::mat& k, int s, arma::uword i, arma::uword j) {
  return std::log2(k(i, j)) + s;
}

}  // namespace

TEST_CASE("deep ReLU kernels are homogeneous in w_std, or refused naming the layer",
          "[numerics][relu]") {
  const Inputs x = gaussian(5, 6, 3);
  for (int depth : {1, 50, 100, 200}) {
    const auto reference = mlp(depth, 1.0, "relu")->kernels(x, x, {true, true});
    const arma::mat n1 = normalised(reference.nngp), t1 = normalised(reference.ntk);
    const double worst = worst_against_relu_reference(x.x(), reference, depth);
    std::printf("relu depth %d, w_std 1: worst difference from the rho recursion %.2e\n", depth,
                worst);
    // Rounding of ρ is amplified near ρ = 1 by √(1 − ρ²)'s slope, layer after layer: the
    // double engine is 2e-12 from the long double recursion at depth 200 (measured).
    const double tolerance = 1e-12 * std::max(1.0, depth / 20.0);
    CHECK(worst < tolerance);
    for (double w : {0.1, 15.0}) {
      INFO("depth " << depth << ", w_std " << w);
      const auto net = mlp(depth, w, "relu");
      // With a common scale every depth is right: the normalised kernels are w_std's, and the
      // scale is the homogeneity's, K(w) = w^(2(depth+1))·K(1) exactly (b = 0).
      const auto scaled = net->kernels(x, x, kScaled);
      REQUIRE(scaled.nngp.is_finite());
      REQUIRE(scaled.ntk.is_finite());
      // w² = 225 is not a power of two: rounding differs from w = 1, amplified with depth.
      CHECK(arma::abs(normalised(scaled.nngp) - n1).max() < tolerance);
      CHECK(arma::abs(normalised(scaled.ntk) - t1).max() < tolerance);
      CHECK(worst_against_relu_reference(x.x(), scaled, depth) < tolerance);
      const double homogeneity = 2.0 * (depth + 1) * std::log2(w);
      for (arma::uword i : {0u, 3u}) {
        CHECK(log2_entry(scaled.nngp, scaled.log2_scale, i, i) ==
              Approx(std::log2(reference.nngp(i, i)) + homogeneity).epsilon(1e-13));
        CHECK(log2_entry(scaled.ntk, scaled.log2_scale, i, i) ==
              Approx(std::log2(reference.ntk(i, i)) + homogeneity).epsilon(1e-13));
      }
      if (!relu_in_range(x.x(), depth, w)) {
        CHECK(scaled.log2_scale != 0);
        require_clean_range_error([&] { net->kernels(x, x, {true, true}); });
        continue;
      }
      const auto k = net->kernels(x, x, {true, true});
      REQUIRE(k.nngp.is_finite());
      REQUIRE(k.ntk.is_finite());
      CHECK(arma::abs(normalised(k.nngp) - n1).max() < 1e-12);
      CHECK(arma::abs(normalised(k.ntk) - t1).max() < 1e-12);
      CHECK(worst_against_relu_reference(x.x(), k, depth) < tolerance);
    }
  }
  // The cases measured before the fix: w_std = 15 at depth 100 (variances 1e205, their
  // product overflowed) and w_std = 0.1 at depth 100 (1e-230) are in range and right; depth
  // 200 leaves the range both ways.
  CHECK(relu_in_range(x.x(), 100, 15.0));
  CHECK(relu_in_range(x.x(), 100, 0.1));
  CHECK_FALSE(relu_in_range(x.x(), 200, 15.0));
  CHECK_FALSE(relu_in_range(x.x(), 200, 0.1));
}

TEST_CASE("ReLU kernels of inputs scaled by 1e80 are the same normalised kernel; 1e±200 carry "
          "a common scale or are refused", "[numerics][relu]") {
  const Inputs x = gaussian(5, 6, 4), big = gaussian(5, 6, 4, 1e80),
               huge = gaussian(5, 6, 4, 1e200);
  const auto net = mlp(10, std::sqrt(2.0), "relu");
  const auto k = net->kernels(x, x, {true, true});
  const auto kb = net->kernels(big, big, {true, true});
  REQUIRE(kb.nngp.is_finite());
  CHECK(kb.nngp.min() >= 0);  // relu features are ≥ 0: negative entries were the old bug
  CHECK(arma::abs(normalised(kb.nngp) - normalised(k.nngp)).max() < 1e-12);
  CHECK(arma::abs(normalised(kb.ntk) - normalised(k.ntk)).max() < 1e-12);
  // Homogeneity of degree 1: the kernel itself scales by 1e160.
  CHECK(arma::abs(kb.nngp / 1e160 - k.nngp).max() < 1e-12 * arma::abs(k.nngp).max());
  // × 1e±200: the kernel is 1e±400 times x's, beyond the double range: refused naming the
  // input, or exact with a common scale (x·x'/d is formed on inputs divided by 2^±664).
  const Inputs tiny = gaussian(5, 6, 4, 1e-200);
  for (const Inputs* in : {&huge, &tiny}) {
    const double factor = in == &huge ? 400 : -400;  // log10 of the kernel's factor
    require_clean_range_error([&] { net->kernels(*in, *in, {true, true}); },
                              "left it at the input kernel");
    const auto ks = net->kernels(*in, *in, kScaled);
    REQUIRE(ks.nngp.is_finite());
    CHECK(arma::abs(normalised(ks.nngp) - normalised(k.nngp)).max() < 1e-12);
    CHECK(arma::abs(normalised(ks.ntk) - normalised(k.ntk)).max() < 1e-12);
    for (arma::uword i = 0; i < 6; ++i)
      for (arma::uword j = 0; j < 6; ++j)
        CHECK(log2_entry(ks.nngp, ks.log2_scale, i, j) ==
              Approx(std::log2(k.nngp(i, j)) + factor * std::log2(10.0)).epsilon(1e-12));
  }
  // Without the composition's scale handling (the bare input kernel), × 1e-200 would pass
  // x·x/d = 0 as a zero input; the rule engine refuses it.
  CHECK_THROWS_WITH(ntk::sdk::layers::input_kernel(tiny.x(), tiny.x(), true, true),
                    Catch::Contains("the mean square x·x/d of the example 1 is 0") &&
                        Catch::Contains("underflows): rescale the inputs"));
}

TEST_CASE("deep erf kernels match long double, at any w_std", "[numerics][erf]") {
  const Inputs x = gaussian(5, 4, 5);
  const arma::mat& m = x.x();
  const double d = double(m.n_rows);
  for (double w : {0.1, 1.0, 15.0, 1e100})
    for (int depth : {1, 50, 200}) {
      if (w == 1e100 && depth > 1) continue;  // the readout's NTK is w²·Θ: 1e200 per layer
      INFO("depth " << depth << ", w_std " << w);
      bool in_range = true;
      for (arma::uword i = 0; i < m.n_cols; ++i) {
        const long double s = arma::dot(m.col(i), m.col(i)) / d;
        in_range = in_range && erf_reference(s, s, s, depth, w).in_range;
      }
      const auto net = mlp(depth, w, "erf");
      if (!in_range)  // w_std = 0.1: the variances shrink by ~0.0127 a layer, 1e-380 at 200
        require_clean_range_error([&] { net->kernels(x, x, {true, true}); });
      // With a common scale: right at every depth (erf is linear, 4/π, at tiny variances).
      const auto k = net->kernels(x, x, kScaled);
      CHECK((k.log2_scale != 0) == !in_range);
      REQUIRE(k.nngp.is_finite());
      REQUIRE(k.ntk.is_finite());
      const arma::mat nn = normalised(k.nngp), nt = normalised(k.ntk);
      double worst = 0;
      for (arma::uword i = 0; i < m.n_cols; ++i)
        for (arma::uword j = 0; j < m.n_cols; ++j) {
          const long double s11 = arma::dot(m.col(i), m.col(i)) / d,
                            s22 = arma::dot(m.col(j), m.col(j)) / d,
                            s12 = arma::dot(m.col(i), m.col(j)) / d;
          const Normalised r = erf_reference(s11, s12, s22, depth, w);
          worst = std::max({worst, double(fabsl(nn(i, j) - r.nngp)), double(fabsl(nt(i, j) - r.ntk))});
        }
      INFO("worst difference from long double " << worst);
      CHECK(worst < 1e-12);
    }
}

TEST_CASE("the erf map is scale-free at huge variances (w_std = 1e100 used to give 0)",
          "[numerics][erf]") {
  // Hand values: at Σ11 = Σ22 = v → ∞ with Σ12 = ρv, 2Σ12/√((1+2v)²) → ρ, so the NNGP tends
  // to (2/π)·arcsin ρ; at ρ = 1/2 that is 1/3. The NTK factor (4/π)/√(1 + 4v + 4v²(1 − ρ²))
  // is (4/π)/(v√3) to first order.
  const double v = 1e200;
  double nngp = 0.5 * v, ntk = 1.0;
  ntk::sdk::layers::erf_entries(&nngp, &ntk, &v, &v, 1);
  CHECK(nngp == Approx(1.0 / 3).epsilon(1e-14));
  CHECK(ntk == Approx(4 / M_PI / (v * std::sqrt(3.0))).epsilon(1e-14));
  // On the diagonal (ρ = 1) the determinant is 1 + 4v exactly: no cancellation.
  double self = v, self_ntk = 1.0;
  ntk::sdk::layers::erf_entries(&self, &self_ntk, &v, &v, 1);
  CHECK(self == Approx(1.0).epsilon(1e-14));
  CHECK(self_ntk == Approx(4 / M_PI / std::sqrt(4 * v)).epsilon(1e-14));
}

TEST_CASE("the relu map agrees with its in-range value at exact power-of-two scales",
          "[numerics][relu]") {
  // Σ = (1, 0.3, 2) scaled by 4^k: ρ, θ are unchanged and the NNGP scales by 4^k exactly.
  const double s11 = 1, s12 = 0.3, s22 = 2;
  double base = s12, base_ntk = 1;
  ntk::sdk::layers::relu_entries(&base, &base_ntk, &s11, &s22, 1);
  for (int k : {-500, -250, 250, 500}) {
    const double a = std::ldexp(s11, 2 * k), b = std::ldexp(s22, 2 * k);
    double c = std::ldexp(s12, 2 * k), t = 1;
    ntk::sdk::layers::relu_entries(&c, &t, &a, &b, 1);
    INFO("scale 4^" << k);
    CHECK(std::ldexp(c, -2 * k) == base);
    CHECK(t == base_ntk);
  }
  // Variances 1e-200 and 1e200 (product 1): in range; 1e300 and 1e300: the result is 1e300·f.
  const double lo = 1e-200, hi = 1e200;
  double c = 0.5, t = 1;  // ρ = 1/2
  ntk::sdk::layers::relu_entries(&c, &t, &lo, &hi, 1);
  const double theta = std::acos(0.5);
  CHECK(c == Approx((std::sqrt(0.75) + (M_PI - theta) * 0.5) / (2 * M_PI)).epsilon(1e-14));
}

TEST_CASE("the other arc-cosine closed forms are scale-free: leaky_relu, abs, sign, "
          "rectified_monomial", "[numerics][activations]") {
  // Σ = (1, 0.3, 2) against Σ·4^k: ρ is the same, and E[φφ], E[φ'φ'] are homogeneous of degree
  // 1 and 0 (degree n and n − 1 for the rectified monomial; 0 and 0 for sign).
  struct Case {
    std::string name;
    ntk::sdk::Options options;
    int degree;
  };
  const std::vector<Case> cases = {{"leaky_relu", {{"alpha", 0.1}}, 1},
                                   {"abs", {}, 1},
                                   {"sign", {}, 0},
                                   {"rectified_monomial", {{"degree", 2.0}}, 2}};
  for (const Case& c : cases) {
    const auto act = ntk::sdk::make_activation(c.name, c.options);
    const auto base = act->expectations(1, 0.3, 2);
    for (int k : {-300, -200, 200, 300}) {
      if (std::abs(k * c.degree) > 500) continue;  // the result itself is out of range
      INFO(c.name << " at scale 4^" << k);
      const auto e = act->expectations(std::ldexp(1.0, 2 * k), std::ldexp(0.3, 2 * k),
                                       std::ldexp(2.0, 2 * k));
      CHECK(std::ldexp(e.phi, -2 * k * c.degree) == Approx(base.phi).epsilon(1e-13));
      if (c.degree > 0)
        CHECK(std::ldexp(e.dphi, -2 * k * (c.degree - 1)) == Approx(base.dphi).epsilon(1e-13));
    }
  }
}
