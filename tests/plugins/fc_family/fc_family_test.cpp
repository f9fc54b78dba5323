// The FC kernel family (one pass over depth ≤ L and every fixed_layers F ≤ d) against separate
// kernels() calls of fc architectures configured with that depth and F, and against an
// independent transcription of Arora et al. (2020)'s kernel recursion (their kernel_value_batch:
// ReLU, no bias, S ← arc-cosine map, H ← H·(π − θ)/2π + S with the first F layers left out).
#include <catch2/catch.hpp>

#include <omp.h>

#include <cmath>

#include "fc_architecture.hpp"
#include "ntk/sdk/error.hpp"

using ntk::sdk::FamilyRequest;
using ntk::sdk::Inputs;
using ntk::sdk::Options;

namespace {

double relative_max(const arma::mat& a, const arma::mat& b) {
  return arma::abs(a - b).max() / arma::abs(b).max();
}

double setting(const ntk::sdk::FamilyMember& m, const char* key) {
  return std::get<double>(m.settings.values().at(key));
}

Options with(Options o, const char* key, double value) {
  o.set(key, value);
  return o;
}

// Arora et al. 2020, kernel_value_batch, for one pair (x, y): K[dep][fix], dep, fix = 0..D−1,
// written from the formulas (Σ starts as x·y without 1/d; ReLU without the factor 2).
// For x = y, ρ = 1 exactly: √(Σ11Σ22) of a long-double square is not always Σ11 to the last
// bit, and arccos near 1 turns that 1e-19 into θ ~ 1e-10 (the Hölder-½ point; NT does the same).
std::vector<std::vector<long double>> arora_kernels(const arma::vec& x, const arma::vec& y,
                                                    int D, bool same = false) {
  const long double pi = 3.141592653589793238462643383279502884L;
  std::vector<std::vector<long double>> K(D, std::vector<long double>(D, 0));
  for (int fix = 0; fix < D; ++fix) {
    long double sxx = arma::dot(x, x), syy = arma::dot(y, y), sxy = arma::dot(x, y), H = 0;
    for (int dep = 0; dep < D; ++dep) {
      if (fix <= dep) H += sxy;
      K[dep][fix] = H;
      const long double p = sqrtl(sxx * syy);
      const long double rho = same ? 1.0L : std::clamp(sxy / p, -1.0L, 1.0L);
      const long double theta = acosl(rho);
      sxy = (rho * (pi - theta) + sqrtl(1 - rho * rho)) * p / (2 * pi);
      sxx /= 2, syy /= 2;  // the same map on the diagonal (ρ = 1)
      H = H * (pi - theta) / (2 * pi);
    }
  }
  return K;
}

}  // namespace

TEST_CASE("fc kernel_family: every member equals the separately configured kernel",
          "[fc][family]") {
  arma::arma_rng::set_seed(5);
  const arma::mat xa = arma::randn(6, 9), xb = arma::randn(6, 7);
  const Inputs a = Inputs::dense(xa), b = Inputs::dense(xb);
  const std::vector<Options> bases = {
      {{"activation", std::string("relu")}, {"w_std", std::sqrt(2.0)}},
      {{"activation", std::string("relu")}, {"w_std", 1.3}, {"b_std", 0.4}},
      {{"activation", std::string("erf")}, {"w_std", 1.1}, {"b_std", 0.2}},
      {{"parametrization", std::string("standard")}, {"standard_width", 64.0}, {"b_std", 0.5}},
  };
  for (const Options& base : bases) {
    const int L = 4;
    const auto family_arch = ntk::fc::make_architecture(with(base, "depth", L));
    for (bool symmetric : {true, false}) {
      INFO("symmetric " << symmetric);
      FamilyRequest request;
      request.nngp = true;
      const auto members =
          symmetric ? family_arch->kernel_family(a, a, request) : family_arch->kernel_family(a, b, request);
      REQUIRE(members.size() == 15);  // (L + 1)(L + 2)/2 members for depths 0..4
      std::size_t m = 0;
      for (int d = 0; d <= L; ++d)
        for (int F = 0; F <= d; ++F, ++m) {
          INFO("depth " << d << ", fixed_layers " << F);
          REQUIRE(setting(members[m], "depth") == d);
          REQUIRE(setting(members[m], "fixed_layers") == F);
          const auto arch = ntk::fc::make_architecture(with(with(base, "depth", d), "fixed_layers", F));
          const auto k = symmetric ? arch->kernels(a, a, {true, true}) : arch->kernels(a, b, {true, true});
          CHECK(relative_max(members[m].ntk, k.ntk) < 1e-13);
          CHECK(relative_max(members[m].nngp, k.nngp) < 1e-13);
          if (symmetric) CHECK(members[m].ntk.is_symmetric());
        }
    }
  }
}

TEST_CASE("fc kernel_family: a selection of depths and NTK only", "[fc][family]") {
  arma::arma_rng::set_seed(6);
  const Inputs x = Inputs::dense(arma::randn(3, 11));
  const auto arch = ntk::fc::make_architecture({{"depth", 5.0}, {"w_std", 1.5}});
  FamilyRequest request;
  request.select.set("depths", std::vector<double>{2, 5});
  const auto members = arch->kernel_family(x, x, request);
  REQUIRE(members.size() == 3 + 6);
  CHECK(setting(members[2], "depth") == 2);
  CHECK(setting(members[3], "depth") == 5);
  CHECK(setting(members[8], "fixed_layers") == 5);
  CHECK(members[0].nngp.is_empty());
  const auto single = ntk::fc::make_architecture({{"depth", 5.0}, {"w_std", 1.5}, {"fixed_layers", 2.0}});
  CHECK(relative_max(members[5].ntk, single->kernels(x, x, {false, true}).ntk) < 1e-13);

  request.select = Options{{"depths", std::vector<double>{6}}};
  CHECK_THROWS_WITH(arch->kernel_family(x, x, request), Catch::Contains("0..5"));
  request.select = Options{{"depth", 2.0}};
  CHECK_THROWS_WITH(arch->kernel_family(x, x, request), Catch::Contains("known: depths"));
}

TEST_CASE("fc kernel_family: Arora et al.'s kernel is the w_std = 1, b_std = 0 ReLU family "
          "times d", "[fc][family]") {
  arma::arma_rng::set_seed(7);
  const arma::mat X = arma::randn(5, 8);
  const Inputs x = Inputs::dense(X);
  const int D = 5;  // their max_dep: dep = 0..4 is our depth, fix = 0..dep our fixed_layers
  const double d = double(X.n_rows);
  const auto one = ntk::fc::make_architecture({{"depth", double(D - 1)}, {"w_std", 1.0}});
  const auto two = ntk::fc::make_architecture({{"depth", double(D - 1)}, {"w_std", std::sqrt(2.0)}});
  const auto ours = one->kernel_family(x, x, {});
  const auto ours2 = two->kernel_family(x, x, {});
  // Errors relative to the entry's natural scale √(K(x, x)·K(x', x')) (x·x' may be near 0).
  double worst = 0, worst2 = 0;
  for (arma::uword i = 0; i < X.n_cols; ++i)
    for (arma::uword j = 0; j < X.n_cols; ++j) {
      const auto K = arora_kernels(X.col(i), X.col(j), D, i == j);
      const auto Ki = arora_kernels(X.col(i), X.col(i), D, true);
      const auto Kj = arora_kernels(X.col(j), X.col(j), D, true);
      std::size_t m = 0;
      for (int dep = 0; dep < D; ++dep)
        for (int fix = 0; fix <= dep; ++fix, ++m) {
          const double truth = double(K[dep][fix]);
          const double scale = double(sqrtl(Ki[dep][fix] * Kj[dep][fix]));
          const double e = std::abs(d * ours[m].ntk(i, j) - truth) / scale;
          worst = std::max(worst, e);
          // c_σ = 2 (w_std = √2): every layer doubles the scale, NTK = 2^(dep+1)/d · K.
          worst2 = std::max(worst2, std::abs(d * ours2[m].ntk(i, j) / std::pow(2.0, dep + 1) -
                                             truth) / scale);
        }
    }
  INFO("worst relative difference " << worst << ", with w_std = sqrt(2): " << worst2);
  CHECK(worst < 1e-12);
  CHECK(worst2 < 1e-12);
}

TEST_CASE("kernel_family: architectures without families refuse", "[fc][family]") {
  struct Plain : ntk::sdk::Architecture {
    ntk::sdk::Kernels kernels(const Inputs&, const Inputs&, ntk::sdk::KernelRequest) const override {
      return {};
    }
    std::unique_ptr<ntk::sdk::Network> network(const ntk::sdk::NetworkSpec&) const override {
      return nullptr;
    }
    std::string describe() const override { return "plain: a test architecture"; }
  };
  const Inputs x = Inputs::dense(arma::mat(2, 3, arma::fill::ones));
  CHECK_THROWS_WITH(Plain().kernel_family(x, x, {}), Catch::Contains("not supported") &&
                                                         Catch::Contains("plain"));
}

TEST_CASE("fc kernel_family reports its progress to the request's sink", "[fc_family]") {
  struct Recorder : ntk::sdk::ProgressSink {
    std::vector<double> fractions;
    void progress(double fraction) override { fractions.push_back(fraction); }
  };
  arma::arma_rng::set_seed(12);
  const Inputs x = Inputs::dense(arma::randn(4, 120));
  const auto arch = ntk::fc::make_architecture({{"depth", 3.0}});
  Recorder sink;
  FamilyRequest request;
  request.nngp = true;
  request.progress = &sink;
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);  // thread 0 reports; alone, it reports on the way
  const auto reported = arch->kernel_family(x, x, request);
  omp_set_num_threads(threads);
  request.progress = nullptr;
  const auto plain = arch->kernel_family(x, x, request);
  REQUIRE(sink.fractions.size() > 2);
  for (std::size_t i = 1; i < sink.fractions.size(); ++i)
    CHECK(sink.fractions[i] >= sink.fractions[i - 1]);
  CHECK(sink.fractions.front() > 0);
  CHECK(sink.fractions.back() == 1.0);
  REQUIRE(reported.size() == plain.size());
  for (std::size_t m = 0; m < plain.size(); ++m)
    CHECK(arma::approx_equal(reported[m].ntk, plain[m].ntk, "absdiff", 0.0));
}
