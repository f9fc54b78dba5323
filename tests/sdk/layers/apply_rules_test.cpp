// Folding rules over a KernelState: input kernel, fused vs one-rule-at-a-time application,
// the symmetric (one triangle) path vs the general one, NTK-only storage, and refusals.
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "layers.hpp"
#include "ntk/sdk/error.hpp"

namespace layers = ntk::sdk::layers;
using ntk::sdk::KernelState;
using ntk::sdk::Parametrization;

namespace {

double relative(const arma::mat& a, const arma::mat& b) {
  return arma::norm(a - b, "fro") / arma::norm(b, "fro");
}

std::vector<layers::Rule> network(bool erf, Parametrization p = Parametrization::ntk) {
  const double width = 64;
  auto act = [&] { return erf ? layers::erf() : layers::relu(); };
  return {layers::dense(1.3, 0.2, p, width), act(), layers::dense(0.9, 0.5, p, width), act(),
          layers::dense(1.1, 0.1, p, 1)};
}

// Scoped environment variable, restored on exit.
struct ScopedEnv {
  std::string name;
  explicit ScopedEnv(const char* n, const char* value) : name(n) { setenv(n, value, 1); }
  ~ScopedEnv() { unsetenv(name.c_str()); }
};

}  // namespace

TEST_CASE("input kernel is x.x'/d; the symmetric one fills the upper triangle", "[layers]") {
  arma::arma_rng::set_seed(3);
  const arma::mat a = arma::randn(7, 5), b = arma::randn(7, 4);
  KernelState cross = layers::input_kernel(a, b, false, true);
  CHECK(relative(cross.nngp, a.t() * b / 7.0) < 1e-15);
  CHECK(relative(cross.diag1, arma::sum(arma::square(a), 0).t() / 7.0) < 1e-15);
  CHECK(cross.width == 7.0);
  CHECK(cross.ntk.is_empty());
  CHECK(cross.ntk_is_zero);
  KernelState sym = layers::input_kernel(a, a, true, true);
  layers::finish(sym);
  CHECK(relative(sym.nngp, a.t() * a / 7.0) < 1e-15);
  CHECK(sym.nngp.is_symmetric());
}

TEST_CASE("a fused fold equals applying the rules one at a time", "[layers]") {
  arma::arma_rng::set_seed(4);
  const arma::mat a = arma::randn(6, 300), b = arma::randn(6, 270);
  for (bool erf : {false, true})
    for (Parametrization p : {Parametrization::ntk, Parametrization::standard}) {
      KernelState fused = layers::input_kernel(a, b, false, true);
      layers::apply_rules(fused, network(erf, p));
      KernelState one = layers::input_kernel(a, b, false, true);
      for (const auto& rule : network(erf, p)) layers::apply_rule(one, rule);
      CHECK(relative(fused.nngp, one.nngp) < 1e-15);
      CHECK(relative(fused.ntk, one.ntk) < 1e-15);
      CHECK(relative(fused.diag1, one.diag1) < 1e-15);
    }
}

TEST_CASE("the symmetric triangle path equals the general path", "[layers]") {
  arma::arma_rng::set_seed(5);
  const arma::mat a = arma::randn(10, 151), b = arma::randn(10, 150);
  const arma::mat joined = arma::join_rows(a, b);
  for (bool erf : {false, true}) {
    KernelState sym = layers::input_kernel(joined, joined, true, true);
    layers::apply_rules(sym, network(erf));
    layers::finish(sym);
    CHECK(sym.nngp.is_symmetric());
    CHECK(sym.ntk.is_symmetric());
    KernelState general = layers::input_kernel(a, b, false, true);
    layers::apply_rules(general, network(erf));
    const arma::mat block_nngp = sym.nngp.submat(0, 151, 150, 300);
    const arma::mat block_ntk = sym.ntk.submat(0, 151, 150, 300);
    INFO((erf ? "erf" : "relu") << ": nngp " << relative(block_nngp, general.nngp) << ", ntk "
                                << relative(block_ntk, general.ntk));
    CHECK(relative(block_nngp, general.nngp) < 1e-13);
    CHECK(relative(block_ntk, general.ntk) < 1e-13);
    // Diagonals of the two halves equal the variance recursion, which the general path keeps.
    const arma::vec diagonal = sym.nngp.diag();
    CHECK(relative(diagonal.head(151), general.diag1) < 1e-13);
    CHECK(relative(diagonal.tail(150), general.diag2) < 1e-13);
  }
}

TEST_CASE("the symmetric path is exact on the diagonal; a general call with duplicated "
          "columns is not", "[layers]") {
  // Σ(x, x) from a GEMM and the variance from a sum of squares differ in the last bits; near
  // ρ = 1 the ReLU kernel is only Hölder-½ (√(1 − ρ)), so the general path turns that into
  // ~1e-8 per layer (as neural-tangents does). The symmetric path takes both from one number.
  arma::arma_rng::set_seed(8);
  const arma::mat a = arma::randn(50, 40), copy = a;
  KernelState sym = layers::input_kernel(a, a, true, true);
  layers::apply_rules(sym, network(false));
  layers::finish(sym);
  // ReLU with W², b²: v ← W²v + b² then v/2, applied to the input variances.
  arma::vec v = arma::sum(arma::square(a), 0).t() / 50.0;
  arma::vec theta(v.n_elem, arma::fill::zeros);
  const double w[3] = {1.3, 0.9, 1.1}, bias[3] = {0.2, 0.5, 0.1};
  for (int l = 0; l < 3; ++l) {
    v = w[l] * w[l] * v + bias[l] * bias[l];
    theta = v + w[l] * w[l] * theta;
    if (l < 2) {
      v /= 2;
      theta /= 2;
    }
  }
  CHECK(relative(sym.nngp.diag(), v) < 1e-14);
  CHECK(relative(sym.ntk.diag(), theta) < 1e-14);
  KernelState general = layers::input_kernel(a, copy, false, true);
  layers::apply_rules(general, network(false));
  const double diagonal_error = relative(general.ntk.diag(), theta);
  std::printf("general path on duplicated columns: relative diagonal NTK error %.2e\n",
              diagonal_error);
  CHECK(diagonal_error < 1e-3);
}

TEST_CASE("NTK-only fold writes the NTK over the NNGP's storage", "[layers]") {
  arma::arma_rng::set_seed(6);
  const arma::mat a = arma::randn(5, 40);
  KernelState both = layers::input_kernel(a, a, true, true);
  layers::apply_rules(both, network(false));
  KernelState only = layers::input_kernel(a, a, true, true);
  const double* storage = only.nngp.memptr();
  layers::apply_rules(only, network(false), /*keep_nngp=*/false);
  CHECK(only.nngp.is_empty());
  CHECK(only.ntk.memptr() == storage);
  layers::finish(both);
  layers::finish(only);
  CHECK(relative(only.ntk, both.ntk) == 0.0);
}

TEST_CASE("dense rules by hand", "[layers]") {
  const arma::mat x(1, 1, arma::fill::value(2.0));  // d = 1, Σ = 4
  KernelState s = layers::input_kernel(x, x, false, true);
  layers::apply_rule(s, layers::dense(3.0, 0.5));  // Σ = 9·4 + 0.25, Θ = Σ
  CHECK(s.nngp(0, 0) == Approx(36.25));
  CHECK(s.ntk(0, 0) == Approx(36.25));
  layers::apply_rule(s, layers::relu());  // Σ = 18.125, Θ = 36.25/2
  layers::apply_rule(s, layers::dense(3.0, 0.5));
  CHECK(s.nngp(0, 0) == Approx(9 * 18.125 + 0.25));
  CHECK(s.ntk(0, 0) == Approx(9 * 18.125 + 0.25 + 9 * 18.125));
  // Standard parametrisation: Θ = fan_in·Σ_old + W²Θ + 1, fan_in = d then the out width.
  KernelState t = layers::input_kernel(x, x, false, true);
  layers::apply_rule(t, layers::dense(3.0, 0.5, Parametrization::standard, 100));
  CHECK(t.ntk(0, 0) == Approx(1 * 4.0 + 1));
  CHECK(t.width == 100);
  layers::apply_rule(t, layers::relu());
  layers::apply_rule(t, layers::dense(3.0, 0.5, Parametrization::standard, 1));
  CHECK(t.ntk(0, 0) == Approx(100 * 18.125 + 9 * (5.0 / 2) + 1));
}

TEST_CASE("rules refuse what they cannot compute", "[layers]") {
  const arma::mat a = arma::randn(3, 4), b = arma::randn(2, 4);
  KernelState s = layers::input_kernel(a, a, true, true);
  CHECK_THROWS_WITH(layers::apply_rule(s, layers::relu()),
                    Catch::Contains("Gaussian") && Catch::Contains("dense"));
  CHECK_THROWS_WITH(layers::apply_rule(s, layers::dense(1, 0, Parametrization::standard, 0)),
                    Catch::Contains("out_width"));
  CHECK_THROWS_WITH(layers::input_kernel(a, b, false, true),
                    Catch::Contains("3 x 4") && Catch::Contains("2 x 4"));
  CHECK_THROWS_WITH(layers::input_kernel(arma::mat(0, 3), arma::mat(0, 3), false, true),
                    Catch::Contains("0 rows"));
  arma::mat m(3, 4);
  CHECK_THROWS_AS(layers::mirror_upper(m), ntk::Error);
  ScopedEnv limit("NTKLAB_MAX_BYTES", "1000");
  CHECK_THROWS_WITH(layers::input_kernel(arma::randn(2, 100), arma::randn(2, 100), false, true),
                    Catch::Contains("100 x 100") && Catch::Contains("GB"));
}

TEST_CASE("mirror_upper copies the upper triangle down", "[layers]") {
  arma::mat m = arma::randn(131, 131);
  const arma::mat upper = arma::trimatu(m);
  layers::mirror_upper(m);
  CHECK(arma::approx_equal(m, arma::symmatu(upper), "absdiff", 0.0));
}
