// Monte-Carlo of a finite random network against the analytic kernels.
//
// f(x) = Σ_j a_j φ(w_j·x/√d)/√m with w_j ~ N(0, I_d), a_j ~ N(0, 1): NT's Dense(1), φ, Dense(1)
// in NTK parametrisation. Given the hidden weights, the readout average is exact:
//   E_a[f(x)f(x')] = (1/m)Σ_j φ(u_j)φ(v_j),  u_j = w_j·x/√d, v_j = w_j·x'/√d,
// and the empirical NTK is (1/m)Σ_j [φ(u_j)φ(v_j) + a_j²φ'(u_j)φ'(v_j)·x·x'/d]. Their means
// are E[φ(u)φ(v)] and E[φ(u)φ(v)] + Σ12·E[φ'(u)φ'(v)] with Σ = the input kernel x·x'/d. Each is
// an average of m independent terms; the test allows 4.5 standard errors (estimated from the
// same terms), with a fixed seed.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <random>

#include "activation_cases.hpp"
#include "ntk/sdk/activation.hpp"

TEST_CASE("finite random networks converge to the analytic NNGP and NTK", "[activations]") {
  constexpr int d = 5, m = 200000;
  const double x[d] = {1.2, -0.4, 0.9, 0.3, -1.1}, y[d] = {0.2, 0.8, 0.5, -0.6, -0.3};
  double s11 = 0, s12 = 0, s22 = 0;
  for (int k = 0; k < d; ++k) {
    s11 += x[k] * x[k] / d;
    s12 += x[k] * y[k] / d;
    s22 += y[k] * y[k] / d;
  }
  // One set of hidden and readout weights for every activation.
  std::mt19937_64 rng(20240611);
  std::normal_distribution<double> normal;
  std::vector<double> u(m), v(m), a2(m);
  for (int j = 0; j < m; ++j) {
    double wx = 0, wy = 0;
    for (int k = 0; k < d; ++k) {
      const double w = normal(rng);
      wx += w * x[k];
      wy += w * y[k];
    }
    u[j] = wx / std::sqrt(double(d));
    v[j] = wy / std::sqrt(double(d));
    const double a = normal(rng);
    a2[j] = a * a;
  }
  std::printf("Monte-Carlo: m = %d, s11 = %.3f, s22 = %.3f, rho = %.3f\n", m, s11, s22,
              s12 / std::sqrt(s11 * s22));

  std::vector<std::pair<std::string, ntk::sdk::Options>> cases;
  for (const auto& c : ntk::test::closed_form_cases()) cases.push_back({c.name, c.options});
  for (const char* q : {"tanh", "sigmoid", "softplus"}) cases.push_back({q, {}});
  double worst_nngp = 0, worst_ntk = 0;
  for (const auto& [name, options] : cases) {
    const auto act = ntk::sdk::make_activation(name, options);
    const auto analytic = act->expectations(s11, s12, s22);
    const double nngp = analytic.phi, ntk = analytic.phi + s12 * analytic.dphi;
    long double sum_k = 0, sum_k2 = 0, sum_t = 0, sum_t2 = 0;
    for (int j = 0; j < m; ++j) {
      const double k = act->value(u[j]) * act->value(v[j]);
      const double t = k + a2[j] * act->derivative(u[j]) * act->derivative(v[j]) * s12;
      sum_k += k;
      sum_k2 += k * k;
      sum_t += t;
      sum_t2 += t * t;
    }
    const double mean_k = double(sum_k / m), mean_t = double(sum_t / m);
    const double se_k = std::sqrt(std::max(double(sum_k2 / m) - mean_k * mean_k, 0.0) / m);
    const double se_t = std::sqrt(std::max(double(sum_t2 / m) - mean_t * mean_t, 0.0) / m);
    const double z_k = se_k > 0 ? std::fabs(mean_k - nngp) / se_k : 0;
    const double z_t = se_t > 0 ? std::fabs(mean_t - ntk) / se_t : 0;
    const double rel_k = std::fabs(mean_k - nngp) / std::max(std::fabs(nngp), 1e-12);
    const double rel_t = std::fabs(mean_t - ntk) / std::max(std::fabs(ntk), 1e-12);
    std::printf("%-28s NNGP %.5f vs MC %.5f (rel %.1e, %.1f se)   NTK %.5f vs MC %.5f (rel %.1e, "
                "%.1f se)\n",
                act->name().c_str(), nngp, mean_k, rel_k, z_k, ntk, mean_t, rel_t, z_t);
    INFO(act->name() << ": NNGP " << nngp << " vs " << mean_k << " ± " << se_k << ", NTK " << ntk
                     << " vs " << mean_t << " ± " << se_t);
    if (se_k == 0) CHECK(mean_k == Approx(nngp).epsilon(1e-12));  // constant φ
    CHECK(z_k < 4.5);
    if (act->has_ntk()) {
      if (se_t == 0) CHECK(mean_t == Approx(ntk).epsilon(1e-12));
      CHECK(z_t < 4.5);
      worst_ntk = std::max(worst_ntk, rel_t);
    }
    worst_nngp = std::max(worst_nngp, rel_k);
  }
  std::printf("Monte-Carlo: worst relative error NNGP %.1e, NTK %.1e\n", worst_nngp, worst_ntk);
}
