// TU graph files whose counts announce more than the file holds (issue 13): each reproducer
// must end in an ntk::Error naming the file and line, within seconds and 512 MB of address
// space (run in a forked child, tests/host/core/data/bounded_run.hpp) — or, where the file is
// legitimate but was once read into far more memory than it holds (one-hot tags), load within
// a small bound.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <sstream>
#include <string>

#include "../data/bounded_run.hpp"
#include "../data/temp_dir.hpp"
#include "core/data/tu_graphs.hpp"
#include "ntk/sdk/stax_graph.hpp"

using namespace ntk::core::data;
using ntk::test::bounded_run;
using ntk::test::BoundedOutcome;
using ntk::test::TempDir;
using ntk::test::write_text;

namespace {

BoundedOutcome read_bounded(const std::string& path) {
  return bounded_run([&] { read_tu_graphs(path, false); });
}

}  // namespace

TEST_CASE("TU bounds: a count of 2^31 graphs is checked against the lines", "[data_tu][bounds]") {
  // Was a bare std::bad_alloc (reserve of 2^31 graphs).
  TempDir dir("tu_bounds_count");
  const std::string path = dir.file("G.txt");
  write_text(path, "2147483648\n1 0\n0 0\n");
  const BoundedOutcome out = read_bounded(path);
  INFO(out.describe());
  REQUIRE(out.kind == BoundedOutcome::error);
  CHECK_THAT(out.message, Catch::Contains(path + ":1:") &&
                              Catch::Contains("announces 2147483648 graphs, but only 2 non-blank "
                                              "lines follow"));
  CHECK(out.seconds < 5);
}

TEST_CASE("TU bounds: a graph of 10^8 nodes is checked against the lines", "[data_tu][bounds]") {
  // Was 4.7 GB of per-node neighbour sets before the file ran out.
  TempDir dir("tu_bounds_nodes");
  const std::string path = dir.file("G.txt");
  write_text(path, "2\n1 0\n0 0\n\n100000000 1\n0 0\n0 0\n");
  const BoundedOutcome out = read_bounded(path);
  INFO(out.describe());
  REQUIRE(out.kind == BoundedOutcome::error);
  CHECK_THAT(out.message, Catch::Contains(path + ":5:") &&
                              Catch::Contains("graph 2 announces 100000000 nodes, but only 2 "
                                              "non-blank lines follow"));
  CHECK(out.seconds < 5);

  // Exactly as many nodes as lines left is fine: the last graph ends the file.
  write_text(path, "2\n1 0\n0 0\n\n2 1\n0 1 1\n3 0\n");
  const TuGraphs d = read_tu_graphs(path, false);
  REQUIRE(d.size() == 2);
  CHECK(d.graphs[1].adjacency(0, 1) == 1.0);
  CHECK(d.features() == 2);  // tags 0 and 3
}

TEST_CASE("TU bounds: 15,000 one-node graphs with distinct tags load sparse; their GNTK works",
          "[data_tu][bounds]") {
  // As dense one-hot features: 15,000 tags x 15,000 nodes x 8 bytes = 1.8 GB from a 195 kB file
  // (the reader refused it). Sparse: one entry per node. The load and the GNTK of 50 graphs must
  // fit in 128 MB of address space beyond the test process's.
  TempDir dir("tu_bounds_tags");
  const std::string path = dir.file("G.txt");
  const int count = 15000;
  std::ostringstream text;
  text << count << "\n";
  for (int i = 0; i < count; ++i) text << "1 " << i % 2 << "\n" << 100000 + i << " 0\n";
  write_text(path, text.str());

  namespace st = ntk::sdk::stax;
  using ntk::sdk::GraphReduce;
  // Du et al.'s input kernel x·x' (features = sum), one aggregation, two dense + relu layers.
  auto gntk = [] {
    return st::composition(
        {st::graph_readout({st::aggregate(), st::dense(1.0), st::activation("relu"),
                            st::dense(1.0), st::activation("relu")},
                           {GraphReduce::sum, GraphReduce::sum}),
         st::dense(1.0)},
        {});
  };
  arma::uvec first(50);
  for (arma::uword i = 0; i < first.n_elem; ++i) first(i) = 300 * i;  // 50 graphs, spread out
  auto subset = [&](const TuGraphs& d) {
    std::vector<ntk::sdk::Graph> graphs;
    for (arma::uword i : first) graphs.push_back(d.graphs[i]);
    return ntk::sdk::Inputs::graphs(std::move(graphs));
  };
  const BoundedOutcome out = bounded_run(
      [&] {
        const TuGraphs d = read_tu_graphs(path, false);
        const ntk::sdk::Inputs x = subset(d);
        (void)gntk()->kernels(x, x, {true, true});
      },
      128.0 * (1 << 20), 20);
  INFO(out.describe());
  REQUIRE(out.kind == BoundedOutcome::parsed);
  CHECK(out.seconds < 10);

  const TuGraphs d = read_tu_graphs(path, false);
  REQUIRE(d.size() == arma::uword(count));
  REQUIRE(d.features() == arma::uword(count));
  bool sparse_one_hot = true;
  for (arma::uword i = 0; i < d.size(); ++i) {
    const arma::sp_mat& x = d.graphs[i].features;
    // Tags 100000 + i ascending: graph i's node has the one-hot row i.
    sparse_one_hot = sparse_one_hot && x.n_rows == arma::uword(count) && x.n_cols == 1 &&
                     x.n_nonzero == 1 && x(i, 0) == 1.0 && d.tags[i] == 100000 + long(i);
  }
  CHECK(sparse_one_hot);
  // The memory guard counts them (value, row index, column pointer per node: 360 kB here).
  const BoundedOutcome capped = bounded_run([&] {
    setenv("NTKLAB_MAX_BYTES", "100000", 1);  // in the child only
    read_tu_graphs(path, false);
  });
  INFO(capped.describe());
  CHECK(capped.kind == BoundedOutcome::error);
  CHECK_THAT(capped.message, Catch::Contains("the sparse one-hot features of 15000 nodes") &&
                                 Catch::Contains("NTKLAB_MAX_BYTES"));

  // The GNTK of 50 of them against its closed form. Distinct tags: Σ₀ = I. Diagonal (ρ = 1):
  // Σ 1 → 1/2 → 1/2 → 1/4, Θ 1 → 1/2 → 1 → 1/2, readout Θ = 1/2 + 1/4. Off-diagonal: the
  // first relu sees ρ = 0 (Σ = 1/(2π), Θ = 0), the dense layer gives Σ = Θ = 1/(2π), the
  // second relu ρ = (1/(2π))/(1/2) = 1/π with d₁d₂ = 1/2; the readout adds Σ to Θ.
  const ntk::sdk::Inputs x = subset(d);
  const ntk::sdk::Kernels k = gntk()->kernels(x, x, {true, true});
  const double pi = std::acos(-1.0), rho = 1.0 / pi, angle = pi - std::acos(rho);
  const double sigma_off = 0.5 * (rho * angle + std::sqrt(1.0 - rho * rho)) / (2.0 * pi);
  const double theta_off = (1.0 / (2.0 * pi)) * angle / (2.0 * pi) + sigma_off;
  REQUIRE(k.nngp.n_rows == 50);
  double nngp_err = 0, ntk_err = 0;
  for (arma::uword i = 0; i < 50; ++i)
    for (arma::uword j = 0; j < 50; ++j) {
      const bool same = i == j;
      nngp_err = std::max(nngp_err, std::fabs(k.nngp(i, j) - (same ? 0.25 : sigma_off)));
      ntk_err = std::max(ntk_err, std::fabs(k.ntk(i, j) - (same ? 0.75 : theta_off)));
    }
  CHECK(nngp_err < 1e-15);
  // The node engine takes ρ from 1/√Σ(u,u) (Du et al.'s arithmetic): on the diagonal ρ = 1 ± 1
  // ulp, where (π − arccos ρ) has an infinite slope (~1e-8 per ulp); see stax_graph's test.
  CHECK(ntk_err < 1e-7);
}
