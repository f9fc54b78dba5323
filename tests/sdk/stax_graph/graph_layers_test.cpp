// Graph layers (stax_graph.hpp): the node-pair engine against the example-pair engine on
// single-node graphs, the finite graph part (finite differences, adjointness, structured NTK =
// J Jᵀ, Monte-Carlo against the analytic kernel), taps, specs and errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "../stax/derivative_checks.hpp"
#include "ntk/sdk/stax_graph.hpp"

using namespace ntk;
using namespace ntk::sdk;
namespace st = ntk::sdk::stax;

namespace {

Graph random_graph(arma::uword nodes, arma::uword f, double p, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::normal_distribution<double> normal(0.0, 1.0);
  arma::mat a(nodes, nodes, arma::fill::zeros);
  for (arma::uword i = 0; i < nodes; ++i)
    for (arma::uword j = i + 1; j < nodes; ++j)
      if (unit(rng) < p) a(i, j) = a(j, i) = 1.0 + unit(rng);
  arma::mat x(f, nodes);
  for (auto& v : x) v = normal(rng);
  return Graph{arma::sp_mat(a), arma::sp_mat(x)};
}

Inputs graphs(std::initializer_list<arma::uword> sizes, std::uint64_t seed) {
  std::vector<Graph> g;
  for (arma::uword n : sizes) g.push_back(random_graph(n, 3, 0.5, seed++));
  return Inputs::graphs(std::move(g));
}

double rel(const arma::mat& a, const arma::mat& b) { return arma::norm(a - b, "fro") / arma::norm(b, "fro"); }

// A graph network with every kind of graph step: erf and relu on nodes, both scalings, mean
// readout, and a dense + relu + dense after the readout.
std::vector<LayerPtr> mixed(bool jk) {
  auto block = [](GraphScale s) {
    return st::serial({st::aggregate(s), st::dense(1.3, 0.2), st::activation("erf")});
  };
  const st::GraphReadoutOptions o{GraphReduce::mean, GraphReduce::mean};
  std::vector<LayerPtr> blocks = {block(GraphScale::degree), block(GraphScale::uniform)};
  if (jk)
    return {st::jumping_knowledge(blocks, {{st::dense(1.0)}, {st::dense(1.2, 0.1)}, {st::dense(0.8)}}, o)};
  return {st::graph_readout(blocks, o), st::dense(1.1, 0.3), st::activation("relu"), st::dense(1.0)};
}

}  // namespace

TEST_CASE("graph_readout on single-node graphs equals the vector composition", "[stax_graph]") {
  arma::arma_rng::set_seed(5);
  const arma::mat x(4, 6, arma::fill::randn);
  std::vector<Graph> g;
  for (arma::uword i = 0; i < x.n_cols; ++i) g.push_back({arma::sp_mat(1, 1), arma::sp_mat(arma::mat(x.col(i)))});
  const Inputs as_graphs = Inputs::graphs(g), as_vectors = Inputs::dense(x);
  const auto graph_arch = st::composition(
      {st::graph_readout({st::aggregate(), st::dense(1.3, 0.2), st::activation("erf"),
                          st::dense(1.5), st::activation("relu")}),
       st::dense(0.9, 0.1)},
      {});
  const auto vector_arch = st::composition({st::dense(1.3, 0.2), st::activation("erf"), st::dense(1.5),
                                            st::activation("relu"), st::dense(0.9, 0.1)}, {});
  const Kernels kg = graph_arch->kernels(as_graphs, as_graphs, {true, true});
  const Kernels kv = vector_arch->kernels(as_vectors, as_vectors, {true, true});
  CHECK(rel(kg.nngp, kv.nngp) < 1e-13);
  // The node engine's relu takes ρ from precomputed 1/√Σ(u,u) (Du et al.'s arithmetic, for the
  // gnn plugin's sake): on a diagonal entry ρ = 1 ± 1 ulp, where (π − arccos ρ) has an infinite
  // slope (~1e-8 per ulp); the example-pair engine sets ρ = 1 there exactly.
  CHECK(rel(kg.ntk, kv.ntk) < 1e-7);
}

TEST_CASE("graph part: one triangle equals the rectangle; taps sum to jumping knowledge", "[stax_graph]") {
  const Inputs a = graphs({3, 1, 4, 5, 2}, 10);
  const Inputs copy = graphs({3, 1, 4, 5, 2}, 10);
  for (bool jk : {false, true}) {
    const auto arch = st::composition(mixed(jk), {});
    const Kernels sym = arch->kernels(a, a, {true, true});
    const Kernels full = arch->kernels(a, copy, {true, true});
    CHECK(arma::approx_equal(sym.ntk, full.ntk, "reldiff", 1e-13));
    CHECK(arma::approx_equal(sym.nngp, full.nngp, "reldiff", 1e-13));
    const arma::vec eig = arma::eig_sym(sym.ntk);
    CHECK(eig.min() > -1e-12 * eig.max());
    if (!jk) continue;
    const auto taps = st::graph_tap_kernels(mixed(true), 1, a, a, {true, true}, "test");
    REQUIRE(taps.size() == 3);
    CHECK(arma::approx_equal(taps[0].ntk + taps[1].ntk + taps[2].ntk, sym.ntk, "reldiff", 1e-13));
    CHECK(arma::approx_equal(taps[0].nngp + taps[1].nngp + taps[2].nngp, sym.nngp, "reldiff", 1e-13));
  }
}

TEST_CASE("graph part, finite: derivatives, adjointness, structured NTK, Monte-Carlo", "[stax_graph]") {
  const Inputs x = graphs({3, 1, 4, 2}, 20), y = graphs({5, 2}, 30);
  for (bool jk : {false, true}) {
    INFO("jumping knowledge " << jk);
    const auto arch = st::composition(mixed(jk), {});
    const auto net = arch->network({7, 3});
    const arma::mat jac = net->jacobian(x);
    const arma::vec p0 = net->params();
    arma::mat fd(jac.n_rows, p0.n_elem);
    for (arma::uword k = 0; k < p0.n_elem; ++k) {
      arma::vec p = p0;
      p(k) += 1e-6;
      net->set_params(p);
      const arma::mat up = net->forward(x);
      p(k) -= 2e-6;
      net->set_params(p);
      fd.col(k) = (up - net->forward(x)).t() / 2e-6;
    }
    net->set_params(p0);
    CHECK(rel(jac, fd) < 1e-7);
    arma::arma_rng::set_seed(4);
    const arma::vec v(p0.n_elem, arma::fill::randn);
    const arma::mat r(1, 4, arma::fill::randn);
    CHECK(rel(net->jvp(x, v), (jac * v).t()) < 1e-12);
    CHECK(arma::dot(r, net->jvp(x, v)) == Approx(arma::dot(net->vjp(x, r), v)).epsilon(1e-12));
    CHECK(rel(net->ntk(x, x), jac * jac.t()) < 1e-12);
    CHECK(rel(net->ntk(x, y), jac * net->jacobian(y).t()) < 1e-12);
    // The mean empirical NTK over seeds approaches the analytic kernel.
    const arma::mat exact = arch->kernels(x, x, {false, true}).ntk;
    arma::mat mean(4, 4, arma::fill::zeros);
    for (int s = 0; s < 12; ++s) mean += arch->network({512, std::uint64_t(100 + s)})->ntk(x, x) / 12.0;
    CHECK(rel(mean, exact) < 0.05);
  }
}

// SDK 4: node features are sparse, and a graph part whose first node layer is dense takes W·X
// on the sparse X (after any aggregations, which keep it sparse). The reference is the same
// network with an identity activation (abrelu a = b = 1, no parameters) put first, which makes
// the batch's features dense for the generic path; the parameters are the same.
TEST_CASE("graph part, finite: the dense first layer on sparse one-hot features", "[stax_graph]") {
  auto one_hot = [](std::initializer_list<arma::uword> sizes, arma::uword f, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<Graph> out;
    for (arma::uword n : sizes) {
      arma::mat a(n, n, arma::fill::zeros);
      for (arma::uword i = 0; i + 1 < n; ++i) a(i, i + 1) = a(i + 1, i) = 1.0;
      arma::umat where(2, n);
      for (arma::uword u = 0; u < n; ++u) where(0, u) = rng() % f, where(1, u) = u;
      out.push_back({arma::sp_mat(a), arma::sp_mat(where, arma::vec(n, arma::fill::ones), f, n)});
    }
    return Inputs::graphs(std::move(out));
  };
  const Inputs x = one_hot({3, 1, 4, 2}, 40, 50), y = one_hot({5, 2}, 40, 60);
  const LayerPtr identity = st::activation("abrelu", {{"a", 1.0}, {"b", 1.0}});
  for (bool aggregate_first : {false, true})
    for (bool jk : {false, true}) {
      INFO("aggregate first " << aggregate_first << ", jumping knowledge " << jk);
      auto layers = [&](bool dense_path) {
        std::vector<LayerPtr> first;
        if (dense_path) first.push_back(identity);
        if (aggregate_first) first.push_back(st::aggregate(GraphScale::degree));
        first.push_back(st::dense(1.3, 0.2));
        first.push_back(st::activation("relu"));
        const std::vector<LayerPtr> blocks = {st::serial(first),
                                              st::serial({st::aggregate(), st::dense(1.1),
                                                          st::activation("erf")})};
        const st::GraphReadoutOptions o{GraphReduce::sum, GraphReduce::sum};
        if (jk)
          return std::vector<LayerPtr>{st::jumping_knowledge(
              blocks, {{st::dense(1.0)}, {st::dense(1.2, 0.1)}, {st::dense(0.8)}}, o)};
        return std::vector<LayerPtr>{st::graph_readout(blocks, o), st::dense(1.0)};
      };
      st::CompositionOptions options;
      options.outputs = 2;
      const auto sparse_net = st::composition(layers(false), options)->network({6, 9});
      const auto dense_net = st::composition(layers(true), options)->network({6, 9});
      const arma::mat f = sparse_net->forward(x);  // draws the parameters (graph(40) inputs)
      (void)dense_net->forward(x);
      REQUIRE(sparse_net->num_params() == dense_net->num_params());
      CHECK(rel(sparse_net->params(), dense_net->params()) == 0.0);
      CHECK(rel(f, dense_net->forward(x)) < 1e-14);
      arma::arma_rng::set_seed(8);
      const arma::vec v(sparse_net->num_params(), arma::fill::randn);
      const arma::mat r(f.n_rows, f.n_cols, arma::fill::randn);
      CHECK(rel(sparse_net->jvp(x, v), dense_net->jvp(x, v)) < 1e-13);
      CHECK(rel(sparse_net->vjp(x, r), dense_net->vjp(x, r)) < 1e-13);
      CHECK(rel(sparse_net->jacobian(x), dense_net->jacobian(x)) < 1e-13);
      CHECK(rel(sparse_net->ntk(x, y), dense_net->ntk(x, y)) < 1e-13);
      CHECK(rel(sparse_net->ntk(x, x), dense_net->ntk(x, x)) < 1e-13);
      ntk::sdk::test::check_derivatives(*sparse_net, x, y);  // and against finite differences
    }
}

TEST_CASE("graph layers from specs, and clear errors", "[stax_graph]") {
  Options relu_block;
  relu_block.set("layers", std::vector<LayerSpec>{{"aggregate", {{"scale", std::string("degree")}}},
                                                  {"dense", {}}, {"relu", {}}});
  Options readout;
  readout.set("layers", std::vector<LayerSpec>{{"serial", relu_block}});
  readout.set("reduce", std::string("mean"));
  const auto layers = st::layers_from_specs({{"graph_readout", readout}, {"dense", {}}});
  CHECK_THAT(layers[0]->name(), Catch::Contains("GraphReadout(reduce=mean") &&
                                    Catch::Contains("Aggregate(scale=degree)"));
  const Inputs g = graphs({3, 2}, 40);
  CHECK(st::composition(layers, {})->kernels(g, g, {true, true}).ntk.n_rows == 2);

  auto error = [](const std::vector<LayerPtr>& l, const Inputs& in) -> std::string {
    try {
      st::composition(l, {})->kernels(in, in, {true, true});
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  const Inputs v = Inputs::dense(arma::mat(3, 2, arma::fill::ones));
  CHECK_THAT(error({st::graph_readout({st::dense()}), st::dense()}, v), Catch::Contains("takes graphs"));
  CHECK_THAT(error({st::aggregate(), st::dense()}, v), Catch::Contains("aggregate acts on the nodes"));
  CHECK_THAT(error({st::graph_readout({st::aggregate(), st::activation("relu")}), st::dense()}, g),
             Catch::Contains("needs Gaussian pre-activations"));
  CHECK_THAT(error({st::graph_readout({st::dense(), st::layer_norm()}), st::dense()}, g),
             Catch::Contains("not supported on the nodes of graphs"));
  CHECK_THROWS_WITH(st::jumping_knowledge({st::dense()}, {{st::dense()}}),
                    Catch::Contains("1 blocks need 2 readouts"));
}
