// The fc plugin's analytic kernels: hand-checked values, an independent long-double recursion
// of neural-tangents' rules, option handling and the refusal of bad input.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "fc_architecture.hpp"
#include "fc_reference.hpp"
#include "ntk/sdk/error.hpp"

using ntk::sdk::Inputs;
using ntk::sdk::KernelRequest;
using ntk::sdk::Options;

namespace {

const KernelRequest kBoth{true, true};

ntk::sdk::Kernels kernels(const Options& o, const Inputs& a, const Inputs& b) {
  return ntk::fc::make_architecture(o)->kernels(a, b, kBoth);
}

}  // namespace

TEST_CASE("fc kernels by hand", "[fc]") {
  // depth 1, relu, W = 1, b = 0, x = e1, x' = e2 (d = 2): Σ0 = 0 off the diagonal, 1/2 on it.
  // Off: relu at ρ = 0 gives Σ = (1/2)/(2π), Θ = 0·1/4; the last dense adds Σ: Θ = 1/(4π).
  // On: Σ = 1/4, Θ = (1/2)·(1/2) + 1/4 = 1/2.
  const Inputs x = Inputs::dense(arma::eye(2, 2));
  const auto k = kernels({}, x, x);
  const double pi = M_PI;
  CHECK(k.nngp(0, 1) == Approx(1 / (4 * pi)).epsilon(1e-15));
  CHECK(k.ntk(0, 1) == Approx(1 / (4 * pi)).epsilon(1e-15));
  CHECK(k.nngp(0, 0) == Approx(0.25).epsilon(1e-15));
  CHECK(k.ntk(1, 1) == Approx(0.5).epsilon(1e-15));
  // erf, d = 1, x = 1: Σ = (2/π)·arcsin(2/3), Θ = Σ + 1·(4/π)/√(9 − 4).
  const Inputs one = Inputs::dense(arma::mat(1, 1, arma::fill::ones));
  const auto e = kernels({{"activation", std::string("erf")}}, one, one);
  const double s = 2 / pi * std::asin(2.0 / 3.0);
  CHECK(e.nngp(0, 0) == Approx(s).epsilon(1e-15));
  CHECK(e.ntk(0, 0) == Approx(s + 4 / (pi * std::sqrt(5.0))).epsilon(1e-15));
}

TEST_CASE("fc kernels equal a long-double recursion of neural-tangents' rules", "[fc]") {
  arma::arma_rng::set_seed(11);
  const Inputs a = Inputs::dense(arma::randn(7, 6)), b = Inputs::dense(arma::randn(7, 5));
  double worst = 0;
  for (const char* act : {"relu", "erf"})
    for (const char* param : {"ntk", "standard"})
      for (double depth : {1.0, 2.0, 4.0})
        for (double b_std : {0.0, 0.3}) {
          Options o{{"activation", std::string(act)}, {"parametrization", std::string(param)},
                    {"depth", depth}, {"w_std", 1.4}, {"b_std", b_std}};
          if (std::string(param) == "standard") o.set("standard_width", 512.0);
          const auto arch = ntk::fc::make_architecture(o);
          const auto config = ntk::fc::read_config(o);
          const auto cross = arch->kernels(a, b, kBoth);
          const auto sym = arch->kernels(a, a, kBoth);
          for (arma::uword j = 0; j < 5; ++j)
            for (arma::uword i = 0; i < 6; ++i) {
              const auto r = ntk::test::fc_reference(a.x().col(i), b.x().col(j), config);
              const auto rs = ntk::test::fc_reference(a.x().col(i), a.x().col(j), config);
              const double errs[4] = {
                  double(std::fabs((cross.nngp(i, j) - r.nngp) / r.nngp)),
                  double(std::fabs((cross.ntk(i, j) - r.ntk) / r.ntk)),
                  double(std::fabs((sym.nngp(i, j) - rs.nngp) / rs.nngp)),
                  double(std::fabs((sym.ntk(i, j) - rs.ntk) / rs.ntk))};
              for (double err : errs) {
                INFO(act << " " << param << " depth " << depth << " b " << b_std << " entry "
                         << i << "," << j);
                CHECK(err < 1e-12);
                worst = std::max(worst, err);
              }
            }
        }
  std::printf("fc kernels vs long-double NT recursion: worst relative error %.2e\n", worst);
}

TEST_CASE("fc kernel requests and outputs", "[fc]") {
  arma::arma_rng::set_seed(12);
  const Inputs a = Inputs::dense(arma::randn(4, 9)), b = Inputs::dense(arma::randn(4, 3));
  const auto arch = ntk::fc::make_architecture({{"depth", 3.0}, {"b_std", 0.2}});
  const auto both = arch->kernels(a, b, kBoth);
  const auto nngp = arch->kernels(a, b, {true, false});
  const auto ntk_only = arch->kernels(a, b, {false, true});
  CHECK(nngp.ntk.is_empty());
  CHECK(ntk_only.nngp.is_empty());
  CHECK(arma::approx_equal(nngp.nngp, both.nngp, "absdiff", 0.0));
  CHECK(arma::approx_equal(ntk_only.ntk, both.ntk, "absdiff", 0.0));
  const auto sym_only = arch->kernels(a, a, {false, true});
  CHECK(sym_only.ntk.is_symmetric());
  CHECK(arma::approx_equal(sym_only.ntk, arch->kernels(a, a, kBoth).ntk, "absdiff", 0.0));
  // k outputs: the same scalar kernel (the k-output kernel is Θ ⊗ I_k).
  const auto three = ntk::fc::make_architecture({{"depth", 3.0}, {"b_std", 0.2}, {"outputs", 3.0}});
  CHECK(three->outputs() == 3);
  CHECK(arma::approx_equal(three->kernels(a, b, kBoth).ntk, both.ntk, "absdiff", 0.0));
  CHECK(arch->describe().find("Dense(W_std=1, b_std=0.2), Relu") != std::string::npos);
  const auto info = ntk::fc::plugin_info();
  CHECK(info.name == "fc");
  CHECK(info.version == "1.0.0");
}

TEST_CASE("fc options are checked", "[fc]") {
  using Catch::Contains;
  CHECK_THROWS_WITH(ntk::fc::make_architecture({{"widht", 3.0}}),
                    Contains("unknown option 'widht'") && Contains("depth, activation, w_std") &&
                        Contains("input_dim"));
  CHECK_THROWS_WITH(ntk::fc::make_architecture({{"activation", std::string("tanh")}}),
                    Contains("\"tanh\"") && Contains("\"relu\", \"erf\""));
  CHECK_THROWS_WITH(ntk::fc::make_architecture({{"depth", -1.0}}), Contains("depth"));
  CHECK_THROWS_WITH(ntk::fc::make_architecture({{"depth", 1.5}}), Contains("whole number"));
  CHECK_THROWS_WITH(ntk::fc::make_architecture({{"w_std", 0.0}}), Contains("positive"));
  CHECK_THROWS_WITH(ntk::fc::make_architecture({{"b_std", -1.0}}), Contains(">= 0"));
  CHECK_THROWS_WITH(ntk::fc::make_architecture({{"parametrization", std::string("standard")}}),
                    Contains("standard_width"));
  CHECK_THROWS_WITH(ntk::fc::make_architecture({{"standard_width", 10.0}}),
                    Contains("only applies"));
  CHECK_THROWS_WITH(ntk::fc::make_architecture({{"depth", std::string("two")}}),
                    Contains("string") && Contains("number"));
}

TEST_CASE("fc kernel refuses bad input", "[fc]") {
  using Catch::Contains;
  const auto arch = ntk::fc::make_architecture({});
  arma::mat bad = arma::randn(5, 4);
  bad(2, 2) = std::nan("");
  const Inputs good = Inputs::dense(arma::randn(5, 3));
  CHECK_THROWS_WITH(arch->kernels(Inputs::dense(bad), good, kBoth),
                    Contains("column 3") && Contains("first input"));
  CHECK_THROWS_WITH(arch->kernels(good, Inputs::dense(bad), kBoth), Contains("second input"));
  bad(2, 2) = INFINITY;
  const Inputs inf = Inputs::dense(bad);
  CHECK_THROWS_WITH(arch->kernels(inf, inf, kBoth), Contains("column 3"));
  CHECK_THROWS_WITH(arch->kernels(good, Inputs::dense(arma::randn(4, 2)), kBoth),
                    Contains("5 x 3") && Contains("4 x 2"));
  CHECK_THROWS_WITH(arch->kernels(Inputs::graphs({}), good, kBoth), Contains("graphs"));
  setenv("NTKLAB_MAX_BYTES", "1e6", 1);
  const Inputs big = Inputs::dense(arma::randn(2, 1000));
  CHECK_THROWS_WITH(arch->kernels(big, big, kBoth),
                    Contains("1000 x 1000 NNGP and NTK") && Contains("0.016 GB"));
  unsetenv("NTKLAB_MAX_BYTES");
}
