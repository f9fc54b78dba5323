// The common scale (KernelState::log2_scale, issue 13) through every rule: kernels whose
// values leave the double range are exact when asked for with log_scale (K / 2^s and s), and
// refused naming the layer otherwise.
//
// Truth: the same recursions for one pair of examples in long double (range 1e±4932), written
// from the textbook formulas (NTK parametrisation; Cho & Saul 2009 for relu, Williams 1997 for
// erf), and the homogeneity of rectifier networks with b = 0.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "ntk/sdk/error.hpp"
#include "ntk/sdk/stax.hpp"

namespace st = ntk::sdk::stax;
using ntk::sdk::Inputs;
using ntk::sdk::LayerPtr;

namespace {

// One pair's kernels: Σ11, Σ12, Σ22 and Θ11, Θ12, Θ22.
struct Pair {
  long double s11, s12, s22, t11 = 0, t12 = 0, t22 = 0;
};

void ld_dense(Pair& k, long double w, long double b) {
  const long double w2 = w * w, b2 = b * b;
  k.s11 = w2 * k.s11 + b2, k.s12 = w2 * k.s12 + b2, k.s22 = w2 * k.s22 + b2;
  k.t11 = w2 * k.t11 + k.s11, k.t12 = w2 * k.t12 + k.s12, k.t22 = w2 * k.t22 + k.s22;
}
void ld_relu(Pair& k) {
  const long double rho = std::min(1.0L, std::max(-1.0L, k.s12 / sqrtl(k.s11 * k.s22)));
  const long double theta = acosl(rho);
  k.s12 = sqrtl(k.s11 * k.s22) * (sinl(theta) + (M_PIl - theta) * rho) / (2 * M_PIl);
  k.t12 *= (M_PIl - theta) / (2 * M_PIl);
  k.s11 /= 2, k.s22 /= 2, k.t11 /= 2, k.t22 /= 2;
}
void ld_erf(Pair& k) {
  auto sigma = [](long double a, long double b, long double c) {
    return 2 / M_PIl * asinl(2 * c / sqrtl((1 + 2 * a) * (1 + 2 * b)));
  };
  // (1+2a)(1+2b) − 4c² expanded, so that nothing cancels at large variances (on the diagonal
  // the product form loses 1 + 4a entirely against 4a², even in long double).
  auto factor = [](long double a, long double b, long double c) {
    return 4 / M_PIl / sqrtl(1 + 2 * a + 2 * b + 4 * (a * b - c * c));
  };
  k.t12 *= factor(k.s11, k.s22, k.s12);
  k.t11 *= factor(k.s11, k.s11, k.s11);
  k.t22 *= factor(k.s22, k.s22, k.s22);
  const long double s12 = sigma(k.s11, k.s22, k.s12);
  k.s11 = sigma(k.s11, k.s11, k.s11), k.s22 = sigma(k.s22, k.s22, k.s22), k.s12 = s12;
}
void ld_residual_sum(Pair& k, const Pair& saved, long double alpha) {
  const long double a2 = alpha * alpha;
  k.s11 = saved.s11 + a2 * k.s11, k.s12 = saved.s12 + a2 * k.s12, k.s22 = saved.s22 + a2 * k.s22;
  k.t11 = saved.t11 + a2 * k.t11, k.t12 = saved.t12 + a2 * k.t12, k.t22 = saved.t22 + a2 * k.t22;
}

Pair input_pair(const arma::vec& a, const arma::vec& b) {
  const long double d = a.n_elem;
  long double s11 = 0, s12 = 0, s22 = 0;
  for (arma::uword i = 0; i < a.n_elem; ++i)
    s11 += (long double)a[i] * a[i], s12 += (long double)a[i] * b[i], s22 += (long double)b[i] * b[i];
  return {s11 / d, s12 / d, s22 / d};
}

// Compares entry (i, j) of a scaled kernel (true = K·2^s) with the long double truth: the
// normalised value and log2 of the magnitude.
void check_entry(const ntk::sdk::Kernels& k, arma::uword i, arma::uword j, const Pair& truth,
                 const arma::vec& d1_nngp, const arma::vec& d2_nngp, const arma::vec& d1_ntk,
                 const arma::vec& d2_ntk, double tolerance) {
  INFO("entry " << i << ", " << j << ", log2 scale " << k.log2_scale);
  const double rho = k.nngp(i, j) / (std::sqrt(d1_nngp[i]) * std::sqrt(d2_nngp[j]));
  const double tau = k.ntk(i, j) / (std::sqrt(d1_ntk[i]) * std::sqrt(d2_ntk[j]));
  CHECK(std::fabs(rho - double(truth.s12 / sqrtl(truth.s11 * truth.s22))) < tolerance);
  CHECK(std::fabs(tau - double(truth.t12 / sqrtl(truth.t11 * truth.t22))) < tolerance);
  CHECK(std::log2(k.nngp(i, j)) + k.log2_scale ==
        Approx(double(log2l(truth.s12))).epsilon(tolerance));
  CHECK(std::log2(k.ntk(i, j)) + k.log2_scale ==
        Approx(double(log2l(truth.t12))).epsilon(tolerance));
}

const ntk::sdk::KernelRequest kScaled{true, true, nullptr, /*log_scale=*/true};

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ntk::Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("a deep residual ReLU network with biases, two input sets: exact with a common scale",
          "[numerics][scale]") {
  // Each block multiplies the variance by about 1 + α²w⁴/4 = 65: 1e±540 after 300 blocks.
  const double w = 4, b = 0.5, alpha = 1;
  const int blocks = 300;
  std::vector<LayerPtr> layers{st::dense(w, b), st::activation("relu")};
  for (int l = 0; l < blocks; ++l)
    layers.push_back(st::residual(alpha, {st::dense(w, b), st::activation("relu"), st::dense(w, b)}));
  layers.push_back(st::dense(w, b));
  const auto net = st::composition(std::move(layers), {});
  arma::arma_rng::set_seed(11);
  const Inputs x1 = Inputs::dense(arma::randn(4, 3)), x2 = Inputs::dense(arma::randn(4, 2));

  const std::string refused = error_of([&] { net->kernels(x1, x2, {true, true}); });
  INFO(refused);
  CHECK(refused.find("above the double range") != std::string::npos);
  CHECK(refused.find("they left it at layer") != std::string::npos);
  CHECK(refused.find("log_scale = true") != std::string::npos);

  const auto k = net->kernels(x1, x2, kScaled);
  const auto k11 = net->kernels(x1, x1, kScaled), k22 = net->kernels(x2, x2, kScaled);
  REQUIRE(k.nngp.is_finite());
  REQUIRE(k.ntk.is_finite());
  // The diagonals of the same-set kernels carry their own scales: bring them to k's.
  auto diag = [&](const arma::mat& m, int s) { return arma::vec(m.diag() * std::ldexp(1.0, s - k.log2_scale)); };
  const arma::vec n1 = diag(k11.nngp, k11.log2_scale), n2 = diag(k22.nngp, k22.log2_scale);
  const arma::vec t1 = diag(k11.ntk, k11.log2_scale), t2 = diag(k22.ntk, k22.log2_scale);
  CHECK(k.log2_scale > 1024);
  for (arma::uword i = 0; i < 3; ++i)
    for (arma::uword j = 0; j < 2; ++j) {
      Pair p = input_pair(x1.x().col(i), x2.x().col(j));
      ld_dense(p, w, b);
      ld_relu(p);
      for (int l = 0; l < blocks; ++l) {
        const Pair saved = p;
        ld_dense(p, w, b);
        ld_relu(p);
        ld_dense(p, w, b);
        ld_residual_sum(p, saved, alpha);
      }
      ld_dense(p, w, b);
      check_entry(k, i, j, p, n1, n2, t1, t2, 1e-11);
    }
}

TEST_CASE("erf after variances of 1e±300: the scaled and the linear forms", "[numerics][scale]") {
  // relu layers take the variances to about (w²/2)^depth, then erf, then a readout.
  arma::arma_rng::set_seed(12);
  const Inputs x = Inputs::dense(arma::randn(5, 4));
  for (double w : {15.0, 0.1}) {
    const int depth = 170;  // 1e±(depth·log10(w²/2)): 1e348 and 1e-392
    INFO("w_std " << w);
    std::vector<LayerPtr> layers;
    for (int l = 0; l < depth; ++l) {
      layers.push_back(st::dense(w, 0.0));
      layers.push_back(st::activation("relu"));
    }
    layers.push_back(st::dense(1.0, 0.0));
    layers.push_back(st::activation("erf"));
    layers.push_back(st::dense(1.0, 0.0));
    const auto net = st::composition(std::move(layers), {});
    const auto k = net->kernels(x, x, kScaled);
    REQUIRE(k.nngp.is_finite());
    REQUIRE(k.ntk.is_finite());
    const arma::vec dn = k.nngp.diag(), dt = k.ntk.diag();
    for (arma::uword i = 0; i < 4; ++i)
      for (arma::uword j = 0; j < 4; ++j) {
        Pair p = input_pair(x.x().col(i), x.x().col(j));
        // On the diagonal Σ12 is Σ11 (as in the engine): the closed forms' rounding at ρ = 1
        // costs √eps even in long double (√(1e-19) through arcsin and through Σ11Σ22 − Σ12²).
        auto same = [&] {
          if (i == j) p.s12 = p.s11, p.t12 = p.t11;
        };
        for (int l = 0; l < depth; ++l) {
          ld_dense(p, w, 0);
          ld_relu(p);
          same();
        }
        ld_dense(p, 1, 0);
        ld_erf(p);
        same();
        ld_dense(p, 1, 0);
        check_entry(k, i, j, p, dn, dn, dt, dt, 1e-11);
      }
    // w = 15: erf's NNGP is at most 1, so the NNGP is a double; but its NTK carries the
    // 1e348 of the layers below (Θ ← Θ·factor with factor ≈ 1/√Σ): 1e174, a double too.
    // w = 0.1: erf is linear there and everything stays near 1e-392: out of range.
    if (w == 0.1) CHECK(k.log2_scale < -1000);
    else CHECK(k.log2_scale == 0);
  }
}

TEST_CASE("a generic activation reads true values: right where they are doubles, else refused "
          "naming it", "[numerics][scale]") {
  // leaky_relu is homogeneous of degree 1 (b = 0): the normalised kernel does not depend on
  // w_std, so w = 15 must give w = 1's. At depth 100 the variances are 1e205 (carried in the
  // common scale, turned back into true values for the activation); at 200 they are 1e410.
  arma::arma_rng::set_seed(13);
  const Inputs x = Inputs::dense(arma::randn(5, 4));
  auto net = [](int depth, double w) {
    std::vector<LayerPtr> layers;
    for (int l = 0; l < depth; ++l) {
      layers.push_back(st::dense(w, 0.0));
      layers.push_back(st::activation("leaky_relu", {{"alpha", 0.1}}));
    }
    layers.push_back(st::dense(w, 0.0));
    return st::composition(std::move(layers), {});
  };
  auto normalised = [](const arma::mat& m) {
    const arma::vec d = arma::sqrt(m.diag());
    return arma::mat(m / (d * d.t()));
  };
  const auto reference = net(100, 1.0)->kernels(x, x, {true, true});
  const auto k = net(100, 15.0)->kernels(x, x, {true, true});
  REQUIRE(k.nngp.is_finite());
  CHECK(arma::abs(normalised(k.nngp) - normalised(reference.nngp)).max() < 1e-11);
  CHECK(arma::abs(normalised(k.ntk) - normalised(reference.ntk)).max() < 1e-11);
  CHECK(std::log10(k.nngp(0, 0)) > 200);

  const std::string refused = error_of([&] { net(200, 15.0)->kernels(x, x, kScaled); });
  INFO(refused);
  CHECK(refused.find("beyond the double range") != std::string::npos);
  CHECK(refused.find("LeakyRelu") != std::string::npos);
}

TEST_CASE("the NTK alone (written over the NNGP's storage) carries the same scale",
          "[numerics][scale]") {
  arma::arma_rng::set_seed(14);
  const Inputs x = Inputs::dense(arma::randn(3, 5));
  std::vector<LayerPtr> layers;
  for (int l = 0; l < 200; ++l) {
    layers.push_back(st::dense(15.0, 0.0));
    layers.push_back(st::activation("relu"));
  }
  layers.push_back(st::dense(15.0, 0.0));
  const auto net = st::composition(std::move(layers), {});
  const auto both = net->kernels(x, x, kScaled);
  const auto alone = net->kernels(x, x, {false, true, nullptr, true});
  CHECK(alone.nngp.is_empty());
  CHECK(alone.log2_scale == both.log2_scale);
  CHECK(arma::abs(alone.ntk - both.ntk).max() <= 1e-15 * arma::abs(both.ntk).max());
}
