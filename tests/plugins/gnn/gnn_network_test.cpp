// The finite GNN: derivatives against finite differences, vjp/jvp adjointness, structured NTK
// against the Jacobian contraction, and Monte-Carlo convergence to the GNTK (and of E[f fᵀ] to
// the NNGP) with an error that shrinks with width. The network is the composition's (the
// SDK's graph layers, stax_graph.hpp); its limit is checked against the legacy plugin's GNTK.
#include <catch2/catch.hpp>

#include <cmath>

#include "dense_reference.hpp"
#include "legacy/gntk.hpp"
#include "plugin.hpp"

using namespace ntk;

namespace {

std::vector<sdk::Graph> small_graphs() {
  std::vector<sdk::Graph> g;
  g.push_back(gnn_test::random_graph(3, 3, 0.4, 11));
  g.push_back(gnn_test::random_graph(5, 3, 0.4, 12));
  g.push_back(gnn_test::random_graph(4, 3, 0.6, 13, true));
  g.push_back(gnn_test::random_graph(1, 3, 0.0, 14));
  return g;
}

namespace legacy = ntk::legacy_gnn;

legacy::Config config(arma::uword blocks, arma::uword mlp, legacy::Scale scale, bool jk) {
  legacy::Config c;
  c.blocks = blocks;
  c.mlp_layers = mlp;
  c.scale = scale;
  c.jumping_knowledge = jk;
  c.features = 3;
  return c;
}

std::unique_ptr<sdk::Network> network(const legacy::Config& c, arma::uword width, std::uint64_t seed) {
  return gnn::make_architecture({{"blocks", double(c.blocks)},
                                 {"mlp_layers", double(c.mlp_layers)},
                                 {"scale", std::string(legacy::scale_name(c.scale))},
                                 {"jumping_knowledge", c.jumping_knowledge},
                                 {"features", double(c.features)}})
      ->network({width, seed});
}

double rel_fro(const arma::mat& a, const arma::mat& b) { return arma::norm(a - b, "fro") / arma::norm(b, "fro"); }

}  // namespace

TEST_CASE("gnn network: Jacobian vs central differences, vjp/jvp adjoint, NTK = J Jᵀ", "[gnn_network]") {
  const sdk::Inputs x = sdk::Inputs::graphs(small_graphs());
  for (bool jk : {false, true})
    for (legacy::Scale scale : {legacy::Scale::uniform, legacy::Scale::degree}) {
      INFO("jk " << jk << " scale " << legacy::scale_name(scale));
      const auto owned = network(config(2, 2, scale, jk), 6, 5);
      sdk::Network& net = *owned;
      const arma::mat jac = net.jacobian(x);  // rows from vjp
      REQUIRE(jac.n_rows == 4);
      REQUIRE(jac.n_cols == net.num_params());
      // Central differences of forward.
      const arma::vec p0 = net.params();
      arma::mat fd(4, p0.n_elem);
      const double h = 1e-6;
      for (arma::uword k = 0; k < p0.n_elem; ++k) {
        arma::vec p = p0;
        p(k) += h;
        net.set_params(p);
        const arma::mat up = net.forward(x);
        p(k) -= 2 * h;
        net.set_params(p);
        fd.col(k) = (up - net.forward(x)).t() / (2 * h);
      }
      net.set_params(p0);
      CHECK(rel_fro(jac, fd) < 1e-7);
      // jvp = J v and ⟨r, J v⟩ = ⟨Jᵀ r, v⟩.
      arma::arma_rng::set_seed(3);
      const arma::vec v(net.num_params(), arma::fill::randn);
      const arma::mat r(1, 4, arma::fill::randn);
      const arma::mat jv = net.jvp(x, v);
      CHECK(rel_fro(jv, (jac * v).t()) < 1e-12);
      CHECK(arma::dot(r, jv) == Approx(arma::dot(net.vjp(x, r), v)).epsilon(1e-12));
      // Structured NTK against the contraction.
      CHECK(rel_fro(net.ntk(x, x), jac * jac.t()) < 1e-12);
      const sdk::Inputs y = sdk::Inputs::graphs({gnn_test::random_graph(4, 3, 0.5, 21)});
      CHECK(rel_fro(net.ntk(x, y), jac * net.jacobian(y).t()) < 1e-12);
    }
}

TEST_CASE("gnn network: mean empirical NTK and E[f f] converge to the GNTK", "[gnn_network]") {
  // Per width, 16 seeds: the mean must lie within 4.5 standard errors of the analytic kernel
  // entrywise at the large width, its relative error must be small, and the spread over seeds
  // must shrink like 1/sqrt(width) (expected ratio sqrt(32/1024) = 0.18; required < 0.4).
  const sdk::Inputs x = sdk::Inputs::graphs(small_graphs());
  for (bool jk : {false, true}) {
    const legacy::Config c = config(2, 1, jk ? legacy::Scale::uniform : legacy::Scale::degree, jk);
    const sdk::Kernels exact = legacy::gntk_kernels(x, x, {true, true}, c);
    const int seeds = 16;
    struct Stats {
      arma::mat mean, spread;  // entrywise mean and standard deviation over seeds
    };
    auto stats = [&](const std::vector<arma::mat>& samples) {
      Stats st{arma::mat(4, 4, arma::fill::zeros), arma::mat(4, 4, arma::fill::zeros)};
      for (const auto& k : samples) st.mean += k / samples.size();
      for (const auto& k : samples) st.spread += arma::square(k - st.mean) / (samples.size() - 1);
      st.spread = arma::sqrt(st.spread);
      return st;
    };
    std::vector<Stats> ntk_stats, nngp_stats;
    for (arma::uword width : {32, 1024}) {
      std::vector<arma::mat> ntks, ffs;
      for (int s = 0; s < seeds; ++s) {
        const auto net = network(c, width, 1000 + s);
        ntks.push_back(net->ntk(x, x));
        const arma::mat f = net->forward(x);
        ffs.push_back(f.t() * f);
      }
      ntk_stats.push_back(stats(ntks));
      nngp_stats.push_back(stats(ffs));
    }
    const double se_factor = 1.0 / std::sqrt(double(seeds));
    const Stats& big = ntk_stats[1];
    INFO("jk " << jk << ": NTK relative error " << rel_fro(big.mean, exact.ntk) << " (width 32: "
               << rel_fro(ntk_stats[0].mean, exact.ntk) << "), spread ratio "
               << arma::norm(big.spread, "fro") / arma::norm(ntk_stats[0].spread, "fro")
               << ", NNGP relative error " << rel_fro(nngp_stats[1].mean, exact.nngp));
    CHECK(arma::all(arma::vectorise(arma::abs(big.mean - exact.ntk) <= 4.5 * se_factor * big.spread)));
    CHECK(rel_fro(big.mean, exact.ntk) < 0.05);
    CHECK(arma::norm(big.spread, "fro") < 0.4 * arma::norm(ntk_stats[0].spread, "fro"));
    // f f' does not concentrate with width (f is Gaussian in the limit): only the mean check.
    const Stats& ff = nngp_stats[1];
    CHECK(arma::all(arma::vectorise(arma::abs(ff.mean - exact.nngp) <= 4.5 * se_factor * ff.spread)));
  }
}

TEST_CASE("gnn network: parameter layout, seeds, bad input", "[gnn_network]") {
  const legacy::Config c = config(2, 3, legacy::Scale::uniform, true);
  const auto net = network(c, 8, 1);
  // 6 dense layers: 8×3 then five 8×8, each with its (inert, b_std = 0) bias; readouts of the
  // input (3) and of both blocks (8 each), each with its bias.
  CHECK(net->num_params() == (8 * 3 + 8) + 5 * (64 + 8) + (3 + 1) + 2 * (8 + 1));
  CHECK(arma::approx_equal(net->params(), network(c, 8, 1)->params(), "absdiff", 0.0));
  CHECK(!arma::approx_equal(net->params(), network(c, 8, 2)->params(), "absdiff", 0.0));
  CHECK(std::fabs(arma::mean(network(c, 256, 3)->params())) < 0.05);
  CHECK(std::fabs(arma::stddev(network(c, 256, 3)->params()) - 1.0) < 0.05);

  const sdk::Inputs x = sdk::Inputs::graphs(small_graphs());
  CHECK_THROWS_WITH(net->vjp(x, arma::mat(2, 4)), Catch::Contains("1 x 4"));
  CHECK_THROWS_WITH(net->jvp(x, arma::vec(3)), Catch::Contains("3 entries"));
  CHECK_THROWS_WITH(net->set_params(arma::vec(2)), Catch::Contains("2 values"));
  const sdk::Inputs wrong = sdk::Inputs::graphs({gnn_test::random_graph(3, 5, 0.5, 1)});
  CHECK_THROWS_WITH(net->forward(wrong), Catch::Contains("graph(5)") && Catch::Contains("graph(3)"));
  CHECK_THROWS_WITH(network(c, 0, 1), Catch::Contains("width = 0"));
}
