// Range of the graph kernel engine (issue 13): never NaN, never a wrong number; where a value
// truly leaves the double range, an ntk::Error names the layer.
//
// Independent truth: with b_std = 0 every step of a relu graph composition is homogeneous —
// dense Σ ← W²Σ, Θ ← W²Θ + Σ; relu Σ ← d₁d₂ f(ρ), Θ ← Θ g(ρ); aggregation and readout linear —
// so Σ and Θ scale by W^(2L) and the normalised kernels K₁₂/√(K₁₁K₂₂) do not depend on w_std.
// (Not with jumping knowledge: its taps sit at different depths, so their sum is not
// homogeneous; it is used below for the errors only.)
// Computed at w_std = 1, 50 blocks keep the variances near 1; at w_std = 15 they reach ~1e200
// and at w_std = 0.1 ~1e-200, still doubles, so all must agree. At 200 blocks they leave the
// range: a clean error naming the layer, as for features scaled by 1e±200.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <random>

#include "ntk/sdk/stax_graph.hpp"

using namespace ntk::sdk;
namespace st = ntk::sdk::stax;

namespace {

// Small graphs (a path plus random edges) with Gaussian node features, times `scale`.
Inputs graphs(double scale = 1.0, arma::uword extra_nodes = 0) {
  std::mt19937_64 rng(42);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> unit;
  std::vector<Graph> out;
  for (arma::uword n : {3, 5, 4, 6}) {
    n += extra_nodes;
    arma::mat a(n, n, arma::fill::zeros);
    for (arma::uword i = 0; i < n; ++i)
      for (arma::uword j = i + 1; j < n; ++j)
        if (j == i + 1 || unit(rng) < 0.3) a(i, j) = a(j, i) = 1.0;
    arma::mat x(3, n);
    for (double& v : x) v = scale * normal(rng);
    out.push_back({arma::sp_mat(a), arma::sp_mat(x)});
  }
  return Inputs::graphs(std::move(out));
}

// `blocks` BLOCKs of (mean aggregation, dense, relu), sum readout, dense; all b_std = 0.
std::unique_ptr<Architecture> relu_gnn(double w_std, int blocks, bool jumping_knowledge = false) {
  std::vector<LayerPtr> list;
  for (int b = 0; b < blocks; ++b)
    list.push_back(st::serial({st::aggregate(b % 2 ? GraphScale::uniform : GraphScale::degree),
                               st::dense(w_std), st::activation("relu")}));
  const st::GraphReadoutOptions o{GraphReduce::sum, GraphReduce::sum};
  if (jumping_knowledge) {
    std::vector<std::vector<LayerPtr>> readouts(blocks + 1, {st::dense(w_std)});
    return st::composition({st::jumping_knowledge(list, readouts, o)}, {});
  }
  return st::composition({st::graph_readout(list, o), st::dense(w_std)}, {});
}

// K₁₂/√(K₁₁K₂₂), with the square roots taken first (the entries may be near the double range).
arma::mat normalised(const arma::mat& k) {
  const arma::vec d = arma::sqrt(k.diag());
  return k / (d * d.t());
}

double max_abs(const arma::mat& a, const arma::mat& b) { return arma::abs(a - b).max(); }

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ntk::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("graph relu kernels: normalised GNTK does not depend on w_std (b_std = 0)",
          "[graph_range]") {
  const Inputs x = graphs();
  for (int blocks : {1, 12, 50}) {
      const Kernels ref = relu_gnn(1.0, blocks)->kernels(x, x, {true, true});
      const arma::mat nngp = normalised(ref.nngp), ntk = normalised(ref.ntk);
      // Not trivially equal to 1: the graphs stay distinguishable at this depth.
      CHECK(nngp.min() < 0.999);
      for (double w : {0.1, 0.6, 1.7, 15.0}) {
        INFO(blocks << " blocks, w_std " << w);
        const Kernels k = relu_gnn(w, blocks)->kernels(x, x, {true, true});
        REQUIRE(k.nngp.is_finite());
        REQUIRE(k.ntk.is_finite());
        // The scale itself: Σ ∝ W^(2L) for L = blocks + 1 dense layers.
        CHECK(std::log(k.nngp(0, 0) / ref.nngp(0, 0)) ==
              Approx(2.0 * (blocks + 1) * std::log(w)).epsilon(1e-12));
        // ρ = 1 ± 1 ulp on the diagonal moves √(1 − ρ²) and (π − arccos ρ) by ~1e-8 per relu
        // layer (graph_relu.hpp); the failures were 0.25 against 0.994.
        CHECK(max_abs(normalised(k.nngp), nngp) < 1e-7);
        CHECK(max_abs(normalised(k.ntk), ntk) < 1e-7);
      }
    }
}

TEST_CASE("graph relu kernels: variances leaving the double range are errors naming the layer",
          "[graph_range]") {
  const Inputs x = graphs();
  const std::string over = error_of([&] { relu_gnn(15.0, 200)->kernels(x, x, {true, true}); });
  INFO(over);
  CHECK_THAT(over, Catch::Contains("a non-finite variance (inf) of node") &&
                       Catch::Contains("first appeared at layer 1, layer ") &&
                       Catch::Contains("overflow double precision") &&
                       Catch::Contains("use smaller weight scales (w_std)"));
  const std::string under = error_of([&] { relu_gnn(0.1, 200)->kernels(x, x, {true, true}); });
  INFO(under);
  CHECK_THAT(under, Catch::Contains("underflowed") && Catch::Contains("at layer 1, layer ") &&
                        Catch::Contains("use larger weight scales (w_std)"));
  // The rectangular call (two input sets) names the set.
  const Inputs y = graphs();
  CHECK_THAT(error_of([&] { relu_gnn(15.0, 200)->kernels(x, y, {false, true}); }),
             Catch::Contains("of the first set's graph "));
  // Jumping knowledge: a tap's readout (sum over node pairs, then its dense layer at w_std 15)
  // overflows before the node variances do; the error names the tap.
  const std::string jk = error_of([&] { relu_gnn(15.0, 200, true)->kernels(x, x, {true, true}); });
  INFO(jk);
  CHECK_THAT(jk, Catch::Contains("the readout of graph 1 at layer 1, readout ") &&
                     Catch::Contains("overflows double precision"));
}

TEST_CASE("graph relu kernels: node features out of range are errors, not NaN or zeros",
          "[graph_range]") {
  // x·x' of features × 1e200 is 1e400: not a double.
  const Inputs huge = graphs(1e200);
  CHECK_THAT(error_of([&] { relu_gnn(1.0, 2)->kernels(huge, huge, {true, true}); }),
             Catch::Contains("the node features of graph 1 overflow double precision") &&
                 Catch::Contains("at the input of layer 1") &&
                 Catch::Contains("rescale the node features"));
  // × 1e-200: x·x' = 1e-400 would pass as a zero node.
  const Inputs tiny = graphs(1e-200);
  CHECK_THAT(error_of([&] { relu_gnn(1.0, 2)->kernels(tiny, tiny, {true, true}); }),
             Catch::Contains("below the double range (it underflows)"));
  // × 1e150 is in range (x·x' ~ 1e300): the normalised kernel is that of the unscaled features.
  const Inputs big = graphs(1e150), plain = graphs();
  const Kernels kb = relu_gnn(1.0, 3)->kernels(big, big, {true, true});
  const Kernels kp = relu_gnn(1.0, 3)->kernels(plain, plain, {true, true});
  REQUIRE(kb.nngp.is_finite());
  CHECK(max_abs(normalised(kb.nngp), normalised(kp.nngp)) < 1e-7);
  CHECK(max_abs(normalised(kb.ntk), normalised(kp.ntk)) < 1e-7);
}

TEST_CASE("graph relu kernels: a readout sum that overflows is an error naming the readout",
          "[graph_range]") {
  // Node variances ~1e306 are doubles, but their sum over the 26² node pairs is not.
  const Inputs x = graphs(2e153, 20);
  const std::string message =
      error_of([&] { relu_gnn(1.0, 1)->kernels(x, x, {true, true}); });
  INFO(message);
  CHECK_THAT(message, Catch::Contains("the readout of graph ") &&
                          Catch::Contains(" at layer 1, readout 1 is ") &&
                          Catch::Contains("overflows double precision"));
}
