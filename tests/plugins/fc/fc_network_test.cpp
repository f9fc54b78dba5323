// The finite fc network: documented parameter layout, Jacobian vs central finite differences,
// vjp/jvp adjointness, structured NTK = Jacobian contraction, and refusals.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>

#include "fc_architecture.hpp"
#include "fc_network.hpp"
#include "ntk/sdk/error.hpp"

using ntk::sdk::Inputs;
using ntk::sdk::Options;

namespace {

double relative(const arma::mat& a, const arma::mat& b) {
  return arma::norm(a - b, "fro") / arma::norm(b, "fro");
}

std::unique_ptr<ntk::sdk::Network> make_net(Options o, arma::uword width, std::uint64_t seed) {
  return ntk::fc::make_architecture(o)->network({width, seed});
}

// The grid the exactness tests sweep.
std::vector<Options> variants() {
  std::vector<Options> out;
  for (const char* act : {"relu", "erf"})
    for (double depth : {1.0, 3.0})
      for (double k : {1.0, 3.0}) {
        out.push_back({{"activation", std::string(act)}, {"depth", depth}, {"outputs", k},
                       {"w_std", 1.3}, {"b_std", 0.4}});
        Options standard = out.back();
        standard.set("parametrization", std::string("standard"));
        standard.set("standard_width", 7.0);
        out.push_back(standard);
      }
  return out;
}

}  // namespace

TEST_CASE("flat parameter layout: layer by layer, W column-major then b", "[fc]") {
  const double w = 1.5, b = 0.7;
  auto net = make_net({{"w_std", w}, {"b_std", b}, {"outputs", 2.0}, {"input_dim", 3.0}}, 4, 9);
  // d = 3, m = 4, k = 2: W1 4x3, b1 4, W2 2x4, b2 2.
  REQUIRE(net->num_params() == 12 + 4 + 8 + 2);
  const arma::vec p = net->params();
  const arma::mat w1 = arma::reshape(p.subvec(0, 11), 4, 3), w2 = arma::reshape(p.subvec(16, 23), 2, 4);
  const arma::vec b1 = p.subvec(12, 15), b2 = p.subvec(24, 25);
  arma::arma_rng::set_seed(1);
  const Inputs x = Inputs::dense(arma::randn(3, 5));
  arma::mat h = w / std::sqrt(3.0) * w1 * x.x();
  h.each_col() += b * b1;
  h = arma::clamp(h, 0.0, arma::datum::inf);
  arma::mat f = w / std::sqrt(4.0) * w2 * h;
  f.each_col() += b * b2;
  CHECK(relative(net->forward(x), f) < 1e-15);
  // Same seed, same network; another seed, another one.
  auto again = make_net({{"w_std", w}, {"b_std", b}, {"outputs", 2.0}, {"input_dim", 3.0}}, 4, 9);
  auto other = make_net({{"w_std", w}, {"b_std", b}, {"outputs", 2.0}, {"input_dim", 3.0}}, 4, 10);
  CHECK(arma::approx_equal(again->params(), p, "absdiff", 0.0));
  CHECK(!arma::approx_equal(other->params(), p, "absdiff", 0.0));
}

TEST_CASE("standard parametrisation stores N(0, w²/fan_in) weights", "[fc]") {
  auto net = make_net({{"parametrization", std::string("standard")}, {"standard_width", 300.0},
                       {"w_std", 2.0}, {"b_std", 0.5}, {"input_dim", 100.0}},
                      300, 3);
  const arma::vec p = net->params();
  const double w1_std = arma::stddev(p.subvec(0, 29999)), b1_std = arma::stddev(p.subvec(30000, 30299));
  std::printf("standard init: W1 std %.4f (expected %.4f), b1 std %.4f (expected 0.5)\n", w1_std,
              2.0 / 10.0, b1_std);
  CHECK(w1_std == Approx(0.2).epsilon(0.02));
  CHECK(b1_std == Approx(0.5).epsilon(0.15));
}

TEST_CASE("Jacobian equals central finite differences", "[fc]") {
  arma::arma_rng::set_seed(2);
  const Inputs x = Inputs::dense(arma::randn(4, 3));
  double worst = 0;
  for (const Options& o : variants()) {
    auto net = make_net(o, 6, 5);
    const arma::mat jac = net->jacobian(x);
    const arma::vec p0 = net->params();
    arma::mat fd(jac.n_rows, jac.n_cols);
    const double h = 1e-6;
    for (arma::uword j = 0; j < p0.n_elem; ++j) {
      arma::vec p = p0;
      p[j] += h;
      net->set_params(p);
      const arma::mat plus = net->forward(x);
      p[j] -= 2 * h;
      net->set_params(p);
      fd.col(j) = arma::vectorise(plus - net->forward(x)) / (2 * h);
    }
    net->set_params(p0);
    const double err = relative(jac, fd);
    CHECK(err < 1e-7);
    worst = std::max(worst, err);
  }
  std::printf("jacobian vs central differences: worst relative error %.2e\n", worst);
}

TEST_CASE("vjp and jvp are the Jacobian's products and adjoint", "[fc]") {
  arma::arma_rng::set_seed(3);
  const Inputs x = Inputs::dense(arma::randn(5, 4));
  double worst = 0;
  for (const Options& o : variants()) {
    auto net = make_net(o, 8, 6);
    const arma::mat jac = net->jacobian(x);  // first: the input fixes d
    const arma::uword k = net->outputs(), p = net->num_params();
    const arma::vec v = arma::randn(p);
    const arma::mat r = arma::randn(k, 4);
    const arma::mat jv = net->jvp(x, v);
    const arma::vec jtr = net->vjp(x, r);
    const double adjoint = std::fabs(arma::dot(jv, r) - arma::dot(v, jtr)) /
                           std::fabs(arma::dot(v, jtr));
    const double e_jvp = relative(arma::vectorise(jv), jac * v);
    const double e_vjp = relative(jtr, jac.t() * arma::vectorise(r));
    CHECK(adjoint < 1e-12);
    CHECK(e_jvp < 1e-13);
    CHECK(e_vjp < 1e-13);
    // The direct Jacobian equals the SDK's default (n·k vjps).
    CHECK(relative(jac, net->::ntk::sdk::Network::jacobian(x)) < 1e-14);
    worst = std::max({worst, adjoint, e_jvp, e_vjp});
  }
  std::printf("vjp/jvp vs Jacobian and adjointness: worst relative error %.2e\n", worst);
}

TEST_CASE("structured empirical NTK equals the Jacobian contraction", "[fc]") {
  arma::arma_rng::set_seed(4);
  const Inputs a = Inputs::dense(arma::randn(5, 6)), b = Inputs::dense(arma::randn(5, 4));
  double worst = 0;
  for (const Options& o : variants()) {
    auto net = make_net(o, 9, 7);
    const arma::uword k = net->outputs();
    const arma::mat ja = net->jacobian(a), jb = net->jacobian(b);
    const arma::mat full_cross = ja * jb.t(), full_sym = ja * ja.t();
    using ntk::sdk::Network;
    const double errs[4] = {
        relative(net->ntk(a, b), Network::average_output_blocks(full_cross, k)),
        relative(net->ntk(a, a), Network::average_output_blocks(full_sym, k)),
        relative(net->ntk_full(a, b), full_cross), relative(net->ntk_full(a, a), full_sym)};
    for (double e : errs) {
      CHECK(e < 1e-10);
      worst = std::max(worst, e);
    }
    CHECK(net->ntk(a, a).is_symmetric(1e-14));
  }
  std::printf("structured NTK vs J J^T: worst relative error %.2e\n", worst);
}

TEST_CASE("fc network refuses bad input", "[fc]") {
  using Catch::Contains;
  const auto arch = ntk::fc::make_architecture({{"outputs", 2.0}});
  CHECK_THROWS_WITH(arch->network({0, 1}), Contains("width = 0"));
  auto lazy = arch->network({4, 1});
  CHECK_THROWS_WITH(lazy->num_params(), Contains("input_dim") && Contains("forward"));
  const Inputs x = Inputs::dense(arma::randn(3, 5));
  CHECK(lazy->forward(x).n_rows == 2);  // d = 3 taken from the first input
  CHECK(lazy->num_params() == 4 * 3 + 4 + 2 * 4 + 2);
  CHECK_THROWS_WITH(lazy->forward(Inputs::dense(arma::randn(4, 5))),
                    Contains("4 x 5") && Contains("expects 3 rows"));
  arma::mat bad = arma::randn(3, 5);
  bad(1, 3) = std::nan("");
  CHECK_THROWS_WITH(lazy->forward(Inputs::dense(bad)), Contains("column 4"));
  CHECK_THROWS_WITH(lazy->vjp(x, arma::randn(2, 4)), Contains("2 x 4") && Contains("2 x 5"));
  CHECK_THROWS_WITH(lazy->jvp(x, arma::randn(7)), Contains("7 entries"));
  CHECK_THROWS_WITH(lazy->set_params(arma::randn(7)), Contains("7 values"));
  CHECK_THROWS_WITH(lazy->ntk(x, Inputs::dense(arma::randn(2, 2))), Contains("expects 3 rows"));
  CHECK_THROWS_AS(lazy->forward(Inputs::graphs({})), ntk::Error);
}
