// The array maps the kernel engine runs (entries, variances; double and float) against the
// per-pair expectations() and variance().
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <random>

#include "activation_cases.hpp"
#include "ntk/sdk/activation.hpp"

namespace {

struct Pairs {
  std::vector<double> nngp, ntk, var1, var2;
};

// `len` random pairs: variances in [0.05, 3], correlations in [−1, 1] with a few at ±1 and 0,
// and a few zero variances (the engine sees them for zero inputs).
Pairs random_pairs(std::size_t len, std::uint64_t seed, bool zero_variances) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> var(0.05, 3.0), rho(-1.0, 1.0), theta(-2.0, 2.0);
  Pairs p;
  for (std::size_t i = 0; i < len; ++i) {
    double s11 = var(rng), s22 = var(rng), r = rho(rng);
    if (i % 17 == 3) r = 1.0;
    if (i % 17 == 5) r = -1.0;
    if (i % 17 == 7) r = 0.0;
    if (zero_variances && i % 23 == 11) s11 = 0.0;
    p.var1.push_back(s11);
    p.var2.push_back(s22);
    p.nngp.push_back(r * std::sqrt(s11 * s22));
    p.ntk.push_back(theta(rng));
  }
  return p;
}

std::vector<ntk::sdk::ActivationPtr> all_activations() {
  std::vector<ntk::sdk::ActivationPtr> acts;
  for (const auto& c : ntk::test::closed_form_cases())
    acts.push_back(ntk::sdk::make_activation(c.name, c.options));
  acts.push_back(ntk::sdk::make_activation("tanh", {{"deg", 24.0}}));
  acts.push_back(ntk::sdk::make_activation("softplus", {{"deg", 24.0}}));
  return acts;
}

}  // namespace

TEST_CASE("entries() and variances() agree with expectations() per pair", "[activations]") {
  const std::size_t len = 300;  // more than one 256-entry float chunk
  for (const auto& act : all_activations()) {
    const Pairs p = random_pairs(len, 99, true);
    Pairs with_ntk = p, without = p;
    act->entries(with_ntk.nngp.data(), with_ntk.ntk.data(), p.var1.data(), p.var2.data(), len);
    act->entries(without.nngp.data(), nullptr, p.var1.data(), p.var2.data(), len);
    std::vector<double> var = p.var1;
    act->variances(var.data(), len);
    // A quadrature activation's array map is its Mehler series (activation.hpp), checked
    // against the 2-D rule in tests/sdk/activations_series.
    const auto* quadrature = dynamic_cast<const ntk::sdk::QuadratureActivation*>(act.get());
    for (std::size_t i = 0; i < len; ++i) {
      const auto e = quadrature != nullptr
                         ? quadrature->series_expectations(p.var1[i], p.nngp[i], p.var2[i])
                         : act->expectations(p.var1[i], p.nngp[i], p.var2[i]);
      INFO(act->name() << " pair " << i << ": s11=" << p.var1[i] << " s12=" << p.nngp[i]
                       << " s22=" << p.var2[i]);
      CHECK(with_ntk.nngp[i] == Approx(e.phi).epsilon(1e-14).margin(1e-15));
      CHECK(with_ntk.ntk[i] == Approx(p.ntk[i] * e.dphi).epsilon(1e-14).margin(1e-15));
      CHECK(without.nngp[i] == with_ntk.nngp[i]);
      CHECK(var[i] == Approx(act->variance(p.var1[i])).epsilon(1e-14).margin(1e-15));
    }
    // variance(s) is the diagonal of expectations() (for s > 0; see the sign and
    // rectified_monomial(0) notes on zero variance).
    for (double s : {0.1, 1.0, 2.5}) {
      INFO(act->name() << " variance(" << s << ")");
      CHECK(act->variance(s) == Approx(act->expectations(s, s, s).phi).epsilon(1e-12));
    }
  }
}

TEST_CASE("single-precision entries() agree with double to float precision", "[activations]") {
  const std::size_t len = 300;
  double worst = 0;
  for (const auto& act : all_activations()) {
    const Pairs p = random_pairs(len, 7, false);
    std::vector<float> nngp(len), ntk(len), var1(len), var2(len);
    for (std::size_t i = 0; i < len; ++i) {
      nngp[i] = float(p.nngp[i]);
      ntk[i] = float(p.ntk[i]);
      var1[i] = float(p.var1[i]);
      var2[i] = float(p.var2[i]);
    }
    std::vector<float> nngp_only = nngp;
    act->entries(nngp.data(), ntk.data(), var1.data(), var2.data(), len);
    act->entries(nngp_only.data(), static_cast<float*>(nullptr), var1.data(), var2.data(), len);
    double act_worst = 0;
    for (std::size_t i = 0; i < len; ++i) {
      // The truth at the float-rounded inputs, in double.
      const double s11 = var1[i], s22 = var2[i];
      const double s12 = std::clamp(double(float(p.nngp[i])), -std::sqrt(s11 * s22),
                                    std::sqrt(s11 * s22));
      const auto* quadrature = dynamic_cast<const ntk::sdk::QuadratureActivation*>(act.get());
      const auto e = quadrature != nullptr ? quadrature->series_expectations(s11, s12, s22)
                                           : act->expectations(s11, s12, s22);
      // Relative to the Cauchy–Schwarz scale: relu's √(Σ11Σ22 − Σ12²) loses √(float eps) of
      // it next to |ρ| = 1 (layers_elementwise_float.hpp), so ±1 pairs get 5e-4.
      const double scale = std::sqrt(std::fabs(act->variance(s11) * act->variance(s22)));
      const bool edge = std::fabs(std::fabs(s12) - std::sqrt(s11 * s22)) < 1e-6;
      const double tol = edge ? 5e-4 : 2e-5;
      const double err_nngp = std::fabs(nngp[i] - e.phi) / std::max(scale, 1e-30);
      // The NTK factor relative to its own Cauchy–Schwarz scale √(E φ'(u)² E φ'(v)²).
      const double dscale = std::fabs(float(p.ntk[i])) *
                            std::sqrt(std::fabs(act->expectations(s11, s11, s11).dphi *
                                                act->expectations(s22, s22, s22).dphi));
      const double err_ntk =
          std::fabs(ntk[i] - float(p.ntk[i]) * e.dphi) / std::max(dscale, 1e-30);
      INFO(act->name() << " pair " << i << ": " << nngp[i] << " vs " << e.phi << ", ntk "
                       << ntk[i] << " vs " << float(p.ntk[i]) * e.dphi);
      CHECK(err_nngp < tol);
      CHECK(err_ntk < tol);
      CHECK(nngp_only[i] == nngp[i]);
      if (!edge) act_worst = std::max({act_worst, err_nngp, err_ntk});
    }
    worst = std::max(worst, act_worst);
  }
  std::printf("float entries vs double expectations: worst error %.1e (off |rho| = 1)\n", worst);
}
