// GNTK against independent truths: a hand-computed pair, a direct dense implementation of the
// paper's formulas (dense_reference.cpp), symmetry/PSD, and bad input.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>

#include "arc_cosine.hpp"
#include "dense_reference.hpp"
#include "gntk.hpp"
#include "plugin.hpp"

using namespace ntk;
using gnn_test::Settings;

namespace {

gnn::Config config_of(const Settings& s) {
  gnn::Config c;
  c.blocks = s.blocks;
  c.mlp_layers = s.mlp_layers;
  c.scale = s.degree ? gnn::Scale::degree : gnn::Scale::uniform;
  c.jumping_knowledge = s.jumping_knowledge;
  return c;
}

sdk::Graph single_node(arma::vec x) {
  sdk::Graph g;
  g.adjacency = arma::sp_mat(1, 1);
  g.features = x;
  return g;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ntk::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("gnn arcsin: agrees with std::asin on [-1, 1]", "[gnn_kernel]") {
  double worst = 0;
  for (int i = -100000; i <= 100000; ++i) {
    const double x = i / 100000.0;
    worst = std::max(worst, std::fabs(gnn::arcsin_vectorisable(x) - std::asin(x)));
  }
  for (double x : {1e-300, 1e-8, 0.4999999999, 0.5, 0.5000000001, 1 - 1e-12})
    worst = std::max(worst, std::fabs(gnn::arcsin_vectorisable(x) - std::asin(x)));
  CHECK(worst < 1e-15);
}

TEST_CASE("gnn kernel: hand-computed single-node pair", "[gnn_kernel]") {
  // x1 = (1, 0), x2 = (1, 1): Σ₀ = 1, d1 = 1, d2 = √2, ρ = 1/√2, angle π/4.
  // One ReLU layer: Σ₁ = √2 (ρ (π − π/4) + sin(π/4)) / π = 3/4 + 1/π, Σ̇ = 3/4,
  // Θ₁ = 1 · 3/4 + Σ₁ = 3/2 + 1/π. NTK = 2 Θ₁, NNGP = 2 Σ₁; with jumping knowledge
  // NTK = 2 (Σ₀ + Θ₁), NNGP = 2 (Σ₀ + Σ₁).
  const sdk::Inputs a = sdk::Inputs::graphs({single_node({1.0, 0.0})});
  const sdk::Inputs b = sdk::Inputs::graphs({single_node({1.0, 1.0})});
  gnn::Config c;
  c.blocks = 1;
  c.mlp_layers = 1;
  c.jumping_knowledge = false;
  sdk::Kernels k = gnn::gntk_kernels(a, b, {true, true}, c);
  CHECK(k.ntk(0, 0) == Approx(3.0 + 2.0 / M_PI).epsilon(1e-14));
  CHECK(k.nngp(0, 0) == Approx(1.5 + 2.0 / M_PI).epsilon(1e-14));
  c.jumping_knowledge = true;
  k = gnn::gntk_kernels(a, b, {true, true}, c);
  CHECK(k.ntk(0, 0) == Approx(5.0 + 2.0 / M_PI).epsilon(1e-14));
  CHECK(k.nngp(0, 0) == Approx(3.5 + 2.0 / M_PI).epsilon(1e-14));
}

TEST_CASE("gnn kernel: hand-computed edge, uniform and degree scaling", "[gnn_kernel]") {
  // One edge, both nodes feature 1: after aggregation Σ = 4 (uniform) or 1 (degree, c = 1/2)
  // everywhere; ρ = 1, so ReLU layers keep Σ and Θ = Σ + Σ. NTK = 2 · 4 nodes-pairs · 2Σ.
  sdk::Graph g;
  g.adjacency = arma::sp_mat(arma::mat{{0, 1}, {1, 0}});
  g.features = arma::mat{{1.0, 1.0}};
  const sdk::Inputs in = sdk::Inputs::graphs({g});
  gnn::Config c;
  c.blocks = 1;
  c.mlp_layers = 1;
  c.jumping_knowledge = false;
  CHECK(gnn::gntk_kernels(in, in, {false, true}, c).ntk(0, 0) == Approx(2 * 4 * 8.0).epsilon(1e-14));
  c.scale = gnn::Scale::degree;
  CHECK(gnn::gntk_kernels(in, in, {false, true}, c).ntk(0, 0) == Approx(2 * 4 * 2.0).epsilon(1e-14));
}

TEST_CASE("gnn kernel: equals a direct dense implementation of the paper", "[gnn_kernel]") {
  std::vector<sdk::Graph> graphs;
  for (int i = 0; i < 5; ++i) graphs.push_back(gnn_test::random_graph(2 + i, 3, 0.3, 100 + i));
  graphs.push_back(gnn_test::random_graph(6, 3, 0.5, 7, true));
  const sdk::Inputs in = sdk::Inputs::graphs(graphs);
  for (int blocks : {1, 2, 3})
    for (int mlp : {1, 2, 3})
      for (bool degree : {false, true})
        for (bool jk : {false, true}) {
          const Settings s{blocks, mlp, degree, jk};
          INFO("blocks " << blocks << " mlp " << mlp << " degree " << degree << " jk " << jk);
          const sdk::Kernels k = gnn::gntk_kernels(in, in, {true, true}, config_of(s));
          double worst = 0;
          for (arma::uword i = 0; i < graphs.size(); ++i)
            for (arma::uword j = 0; j < graphs.size(); ++j) {
              const auto [nngp, ntk] = gnn_test::reference_gntk(graphs[i], graphs[j], s);
              worst = std::max({worst, std::fabs(k.nngp(i, j) - nngp) / std::fabs(nngp),
                                std::fabs(k.ntk(i, j) - ntk) / std::fabs(ntk)});
            }
          // sqrt(1 − ρ²) has an infinite slope at ρ = 1, reached by every node with itself:
          // a rounding of 1e-16 in ρ moves it by ~1e-8, so agreement is ~1e-9, not 1e-15.
          CHECK(worst < 1e-7);
        }
}

TEST_CASE("gnn kernel: one triangle equals the full computation; PSD", "[gnn_kernel]") {
  std::vector<sdk::Graph> graphs;
  for (int i = 0; i < 12; ++i) graphs.push_back(gnn_test::random_graph(3 + i % 5, 4, 0.3, 300 + i, true));
  const sdk::Inputs a = sdk::Inputs::graphs(graphs);
  const sdk::Inputs copy = sdk::Inputs::graphs(graphs);
  gnn::Config c;
  c.blocks = 3;
  c.scale = gnn::Scale::degree;
  const sdk::Kernels sym = gnn::gntk_kernels(a, a, {true, true}, c);
  const sdk::Kernels full = gnn::gntk_kernels(a, copy, {true, true}, c);
  CHECK(arma::approx_equal(sym.ntk, full.ntk, "reldiff", 1e-14));
  CHECK(arma::approx_equal(sym.nngp, full.nngp, "reldiff", 1e-14));
  CHECK(sym.ntk.is_symmetric());
  const arma::vec eig = arma::eig_sym(sym.ntk);
  CHECK(eig.min() > -1e-12 * eig.max());
  // Only the NTK requested: the same values, no NNGP.
  const sdk::Kernels only = gnn::gntk_kernels(a, a, {false, true}, c);
  CHECK(only.nngp.is_empty());
  CHECK(arma::approx_equal(only.ntk, sym.ntk, "reldiff", 1e-14));
}

TEST_CASE("gnn kernel_family: each member equals the kernel of its own configuration",
          "[gnn_kernel]") {
  std::vector<sdk::Graph> graphs;
  for (int i = 0; i < 7; ++i) graphs.push_back(gnn_test::random_graph(2 + i % 4, 3, 0.4, 500 + i, true));
  const sdk::Inputs a = sdk::Inputs::graphs(graphs);
  const sdk::Inputs b = sdk::Inputs::graphs({graphs.begin(), graphs.begin() + 3});
  gnn::Config c;
  c.blocks = 4;
  c.mlp_layers = 2;
  c.scale = gnn::Scale::degree;
  for (const bool symmetric : {true, false}) {
    const sdk::Inputs& other = symmetric ? a : b;
    const auto family = gnn::gntk_family(a, other, {true, true, {}}, c);
    REQUIRE(family.size() == 8);  // blocks 1..4 × both readouts
    for (const auto& m : family) {
      gnn::Config single = c;
      single.blocks = arma::uword(std::get<double>(m.settings.values().at("blocks")));
      single.jumping_knowledge = std::get<bool>(m.settings.values().at("jumping_knowledge"));
      INFO("symmetric " << symmetric << " blocks " << single.blocks << " jk "
                        << single.jumping_knowledge);
      const sdk::Kernels k = gnn::gntk_kernels(a, other, {true, true}, single);
      // The same arithmetic in the same order: equal to the last bit.
      CHECK(arma::approx_equal(m.ntk, k.ntk, "reldiff", 1e-15));
      CHECK(arma::approx_equal(m.nngp, k.nngp, "reldiff", 1e-15));
    }
  }
  sdk::FamilyRequest pick{false, true, {}};
  pick.select.set("blocks", std::vector<double>{2, 4});
  pick.select.set("jumping_knowledge", false);
  const auto two = gnn::gntk_family(a, a, pick, c);
  REQUIRE(two.size() == 2);
  CHECK(std::get<double>(two[1].settings.values().at("blocks")) == 4);
  CHECK(two[0].nngp.is_empty());
  sdk::FamilyRequest bad{false, true, {}};
  bad.select.set("blocks", 5.0);
  CHECK_THAT(error_of([&] { gnn::gntk_family(a, a, bad, c); }), Catch::Contains("not an integer in 1..4"));
  bad.select = sdk::Options{};
  bad.select.set("depths", 1.0);
  CHECK_THAT(error_of([&] { gnn::gntk_family(a, a, bad, c); }), Catch::Contains("unknown selection key 'depths'"));
}

TEST_CASE("gnn kernel: bad inputs and options are clear errors", "[gnn_kernel]") {
  const gnn::Config c;
  const sdk::Inputs dense = sdk::Inputs::dense(arma::mat(3, 2, arma::fill::ones));
  CHECK_THAT(error_of([&] { gnn::gntk_kernels(dense, dense, {}, c); }),
             Catch::Contains("dense vectors") && Catch::Contains("takes graphs"));

  sdk::Graph asym;
  asym.adjacency = arma::sp_mat(arma::mat{{0, 1}, {0, 0}});
  asym.features = arma::mat(2, 2, arma::fill::ones);
  const sdk::Inputs bad = sdk::Inputs::graphs({asym});
  CHECK_THAT(error_of([&] { gnn::gntk_kernels(bad, bad, {}, c); }), Catch::Contains("non-symmetric"));

  sdk::Graph loop = asym;
  loop.adjacency = arma::sp_mat(arma::mat{{1, 0}, {0, 0}});
  const sdk::Inputs looped = sdk::Inputs::graphs({loop});
  CHECK_THAT(error_of([&] { gnn::gntk_kernels(looped, looped, {}, c); }), Catch::Contains("self-loop"));

  sdk::Graph nan_features = gnn_test::random_graph(3, 2, 0.5, 1);
  nan_features.features(1, 2) = arma::datum::nan;
  const sdk::Inputs with_nan = sdk::Inputs::graphs({nan_features});
  CHECK_THAT(error_of([&] { gnn::gntk_kernels(with_nan, with_nan, {}, c); }),
             Catch::Contains("graph 1") && Catch::Contains("non-finite"));

  const sdk::Inputs f2 = sdk::Inputs::graphs({gnn_test::random_graph(3, 2, 0.5, 1)});
  const sdk::Inputs f3 = sdk::Inputs::graphs({gnn_test::random_graph(3, 3, 0.5, 1)});
  CHECK_THAT(error_of([&] { gnn::gntk_kernels(f2, f3, {}, c); }),
             Catch::Contains("2 node features") && Catch::Contains("second 3"));

  CHECK_THAT(error_of([&] { gnn::read_config({{"depth", 2.0}}); }),
             Catch::Contains("unknown option 'depth'") && Catch::Contains("blocks, mlp_layers, scale"));
  CHECK_THAT(error_of([&] { gnn::read_config({{"scale", std::string("sum")}}); }),
             Catch::Contains("\"uniform\", \"degree\""));
  CHECK_THAT(error_of([&] { gnn::read_config({{"blocks", 0.0}}); }), Catch::Contains("'blocks' = 0"));
  const auto arch = gnn::make_architecture({{"blocks", 3.0}, {"scale", std::string("degree")}});
  CHECK_THAT(arch->describe(), Catch::Contains("3 BLOCK") && Catch::Contains("degree"));
  // Without the option `features`, the network draws its parameters on its first input.
  const auto net = arch->network({16, 1});
  CHECK_THAT(error_of([&] { net->num_params(); }), Catch::Contains("not known yet"));
  const sdk::Inputs g = sdk::Inputs::graphs({gnn_test::random_graph(3, 2, 0.5, 1)});
  CHECK(net->forward(g).n_cols == 1);
  CHECK(net->num_params() == 16 * 2 + 16 * 16 * 5 + 2 + 3 * 16);
}
