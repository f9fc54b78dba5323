// The TU graph loader against counts computed independently (a separate Python reading of the
// same files, numbers quoted below) and against the format's rules.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/data/tu_graphs.hpp"
#include "ntk/sdk/error.hpp"

using namespace ntk::core::data;
namespace fs = std::filesystem;

namespace {

struct Expected {
  const char* name;
  arma::uword graphs, nodes, edges, features;
  std::vector<arma::uword> class_counts;  // in first-appearance order
};

// Written by an independent Python script over data/graphs (undirected, deduplicated edges;
// features = distinct tags, or distinct degrees for IMDB*).
const std::vector<Expected> kExpected = {
    {"MUTAG", 188, 3371, 3721, 7, {125, 63}},
    {"PTC", 344, 8792, 8931, 19, {152, 192}},
    {"PROTEINS", 1113, 43471, 81044, 3, {663, 450}},
    {"NCI1", 4110, 122747, 132753, 37, {2053, 2057}},
    {"IMDBBINARY", 1000, 19773, 96531, 65, {500, 500}},
    {"IMDBMULTI", 1500, 19502, 98903, 59, {500, 500, 500}},
};

std::string write_temp(const std::string& name, const std::string& text) {
  const fs::path dir = fs::temp_directory_path() / "ntk_data_tu_test";
  fs::create_directories(dir);
  const fs::path p = dir / name;
  std::ofstream(p) << text;
  return p.string();
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

TEST_CASE("TU data sets: graph, node, edge, feature and class counts", "[data_tu]") {
  for (const auto& ex : kExpected) {
    INFO(ex.name);
    const std::string file = find_tu_file(ex.name);
    const TuGraphs d = read_tu_graphs(file, tu_default_degree_as_tag(ex.name));
    CHECK(d.name == ex.name);
    REQUIRE(d.size() == ex.graphs);
    CHECK(d.features() == ex.features);
    arma::uword nodes = 0, edges = 0;
    bool symmetric = true, loop_free = true, one_hot = true;
    for (const auto& g : d.graphs) {
      nodes += g.adjacency.n_rows;
      edges += g.adjacency.n_nonzero;
      symmetric = symmetric && arma::approx_equal(arma::mat(g.adjacency), arma::mat(g.adjacency.t()), "absdiff", 0.0);
      loop_free = loop_free && arma::accu(arma::abs(arma::vec(g.adjacency.diag()))) == 0.0;
      // Sparse one-hot: exactly one stored entry per node, equal to 1.
      const arma::mat x(g.features);
      one_hot = one_hot && g.features.n_rows == ex.features &&
                g.features.n_nonzero == g.features.n_cols &&
                arma::all(arma::sum(x, 0) == 1.0) && arma::accu(x != 0.0) == x.n_cols;
    }
    CHECK(nodes == ex.nodes);
    CHECK(edges == 2 * ex.edges);
    CHECK(symmetric);
    CHECK(loop_free);
    CHECK(one_hot);
    REQUIRE(d.classes.size() == ex.class_counts.size());
    for (arma::uword c = 0; c < ex.class_counts.size(); ++c)
      CHECK(arma::accu(d.labels == double(c)) == ex.class_counts[c]);
  }
}

TEST_CASE("TU MUTAG: first graph, labels in first-appearance order, degree tags", "[data_tu]") {
  const TuGraphs d = read_tu_graphs(find_tu_file("MUTAG"), false);
  // First graph: 23 nodes, 27 edges, file label 2 (class 0); node 0 has tag 2, neighbours 1, 13.
  CHECK(d.graphs[0].adjacency.n_rows == 23);
  CHECK(d.graphs[0].adjacency.n_nonzero == 54);
  CHECK(d.classes == std::vector<double>{2.0, 0.0});
  CHECK(d.labels(0) == 0.0);
  CHECK(d.graphs[0].adjacency(1, 0) == 1.0);
  CHECK(d.graphs[0].adjacency(13, 0) == 1.0);
  CHECK(d.graphs[0].adjacency(2, 0) == 0.0);
  // With degree tags the one-hot row of each node is its degree.
  const TuGraphs deg = read_tu_graphs(find_tu_file("MUTAG"), true);
  CHECK(deg.features() == 4);  // degrees 1..4 occur in MUTAG
  const auto& g = deg.graphs[0];
  for (arma::uword u = 0; u < g.features.n_cols; ++u) {
    const arma::uword row = arma::vec(g.features.col(u)).index_max();
    CHECK(deg.tags[row] == static_cast<long long>(arma::accu(arma::mat(g.adjacency.col(u)))));
  }
}

TEST_CASE("TU folds: ten folds, train and test partition the graphs, tests disjoint", "[data_tu]") {
  for (const auto& ex : kExpected) {
    INFO(ex.name);
    const std::string file = find_tu_file(ex.name);
    const auto folds = read_tu_folds(file, ex.graphs);
    REQUIRE(folds.size() == 10);
    std::vector<int> tested(ex.graphs, 0);
    for (const auto& f : folds) {
      std::vector<int> seen(ex.graphs, 0);
      for (auto i : f.train) ++seen[i];
      for (auto i : f.test) ++seen[i], ++tested[i];
      CHECK(std::all_of(seen.begin(), seen.end(), [](int s) { return s == 1; }));
    }
    CHECK(std::all_of(tested.begin(), tested.end(), [](int s) { return s <= 1; }));
  }
  const auto mutag = read_tu_folds(find_tu_file("MUTAG"), 188);
  CHECK(mutag[0].test.size() == 18);
  CHECK(mutag[0].train.size() == 170);
  CHECK(mutag[0].train[0] == 21);  // first line of train_idx-1.txt
}

TEST_CASE("TU loader: malformed files name FILE:LINE", "[data_tu]") {
  const std::string good = "2\n2 1\n0 1 1\n1 1 0\n1 0\n3 0\n";
  const TuGraphs d = read_tu_graphs(write_temp("GOOD.txt", good), false);
  CHECK(d.size() == 2);
  CHECK(d.graphs[1].adjacency.n_nonzero == 0);
  CHECK(d.classes == std::vector<double>{1.0, 0.0});
  CHECK(d.tags == std::vector<long long>{0, 1, 3});

  // A neighbour listed by one end only is still an undirected edge.
  const TuGraphs one_sided = read_tu_graphs(write_temp("ONE.txt", "1\n3 0\n0 1 1\n0 0\n0 1 1\n"), false);
  CHECK(one_sided.graphs[0].adjacency(0, 1) == 1.0);
  CHECK(one_sided.graphs[0].adjacency(2, 1) == 1.0);
  CHECK(one_sided.graphs[0].adjacency.n_nonzero == 4);

  const std::string bad_neighbour = write_temp("BAD1.txt", "1\n2 0\n0 1 1\n0 1 5\n");
  CHECK_THAT(error_of([&] { read_tu_graphs(bad_neighbour, false); }),
             Catch::Contains(bad_neighbour + ":4") && Catch::Contains("neighbour 5"));
  const std::string short_line = write_temp("BAD2.txt", "1\n2 0\n0 3 1\n1 1 0\n");
  CHECK_THAT(error_of([&] { read_tu_graphs(short_line, false); }),
             Catch::Contains(short_line + ":3") && Catch::Contains("declares 3 neighbours"));
  // Two lines could hold two empty graphs, but the first graph takes both.
  const std::string truncated = write_temp("BAD3.txt", "2\n1 0\n0 0\n");
  CHECK_THAT(error_of([&] { read_tu_graphs(truncated, false); }),
             Catch::Contains("ends after 1 of its 2 graphs"));
  const std::string too_many = write_temp("BAD6.txt", "3\n1 0\n0 0\n");
  CHECK_THAT(error_of([&] { read_tu_graphs(too_many, false); }),
             Catch::Contains(too_many + ":1") && Catch::Contains("announces 3 graphs, but only 2"));
  const std::string not_number = write_temp("BAD4.txt", "1\n1 x\n0 0\n");
  CHECK_THAT(error_of([&] { read_tu_graphs(not_number, false); }),
             Catch::Contains(not_number + ":2") && Catch::Contains("'x' is not an integer"));
  const std::string self_loop = write_temp("BAD5.txt", "1\n1 0\n0 1 0\n");
  CHECK_THAT(error_of([&] { read_tu_graphs(self_loop, false); }),
             Catch::Contains(self_loop + ":3") && Catch::Contains("itself"));
  CHECK_THAT(error_of([&] { read_tu_graphs("/nonexistent/X.txt", false); }),
             Catch::Contains("cannot open /nonexistent/X.txt"));
  CHECK_THAT(error_of([&] { find_tu_file("NO_SUCH_SET"); }), Catch::Contains("graphs/NO_SUCH_SET"));
}

TEST_CASE("TU folds: bad index files name FILE:LINE", "[data_tu]") {
  const fs::path dir = fs::temp_directory_path() / "ntk_data_tu_folds" / "T";
  fs::create_directories(dir / "10fold_idx");
  const std::string file = (dir / "T.txt").string();
  std::ofstream(dir / "10fold_idx" / "train_idx-1.txt") << "0\n1\n";
  std::ofstream(dir / "10fold_idx" / "test_idx-1.txt") << "2\n7\n";
  CHECK_THAT(error_of([&] { read_tu_folds(file, 3); }),
             Catch::Contains("test_idx-1.txt:2") && Catch::Contains("outside 0..2"));
  std::ofstream(dir / "10fold_idx" / "test_idx-1.txt") << "2\n1\n";
  CHECK_THAT(error_of([&] { read_tu_folds(file, 3); }), Catch::Contains("in both"));
  std::ofstream(dir / "10fold_idx" / "test_idx-1.txt") << "2\n";
  CHECK(read_tu_folds(file, 3).size() == 1);
  CHECK_THAT(error_of([&] { read_tu_folds((fs::temp_directory_path() / "none" / "N.txt").string(), 3); }),
             Catch::Contains("train_idx-1.txt does not exist"));
}
