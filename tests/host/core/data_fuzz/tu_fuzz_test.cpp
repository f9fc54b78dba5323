// TU graph reader and its fold files over 200 mutated inputs, fixed seed: every input parses or
// throws ntk::Error, none crashes, allocates beyond 256 MB or runs past 5 s.
#include <catch2/catch.hpp>

#include <filesystem>

#include "../data/temp_dir.hpp"
#include "core/data/tu_graphs.hpp"
#include "fuzz_loop.hpp"
#include "mutate.hpp"

using namespace ntk::core::data;
using namespace ntk::test;

namespace {

// 4 graphs (3, 2, 1 and 4 nodes; labels 0 1 0 1; tags 0..2) and two folds.
const std::string kGraphs =
    "4\n3 0\n0 2 1 2\n1 1 0\n2 1 0\n2 1\n1 1 1\n1 1 0\n1 0\n2 0\n"
    "4 1\n0 1 1\n1 2 0 2\n0 2 1 3\n2 1 2\n";
const std::vector<std::pair<std::string, std::string>> kFolds = {
    {"train_idx-1.txt", "0\n1\n"}, {"test_idx-1.txt", "2\n3\n"},
    {"train_idx-2.txt", "2\n3\n"}, {"test_idx-2.txt", "0\n1\n"}};

// Writes the seed set into dir/G (G.txt and 10fold_idx/); returns the path of G.txt.
std::string write_seed(const TempDir& dir) {
  const std::string set = dir.file("G");
  std::filesystem::create_directories(set + "/10fold_idx");
  write_text(set + "/G.txt", kGraphs);
  for (const auto& [name, text] : kFolds) write_text(set + "/10fold_idx/" + name, text);
  return set + "/G.txt";
}

}  // namespace

TEST_CASE("TU fuzz: the seed set reads as hand-counted", "[data_fuzz][data_tu]") {
  TempDir dir("tu_fuzz_seed");
  const std::string path = write_seed(dir);
  const TuGraphs d = read_tu_graphs(path, false);
  REQUIRE(d.size() == 4);
  CHECK(d.tags == std::vector<long long>{0, 1, 2});
  CHECK(arma::approx_equal(d.labels, arma::rowvec{0, 1, 0, 1}, "absdiff", 0.0));
  CHECK(d.graphs[3].adjacency.n_nonzero == 6);  // path 0-1-2-3, both directions
  CHECK(d.graphs[3].features(2, 3) == 1.0);     // node 3 has tag 2
  const std::vector<TuFold> folds = read_tu_folds(path, d.size());
  REQUIRE(folds.size() == 2);
  CHECK(folds[1].test == std::vector<arma::uword>{0, 1});
}

TEST_CASE("TU fuzz: 200 mutated sets end in a parse or an ntk::Error", "[data_fuzz][data_tu]") {
  TempDir dir("tu_fuzz");
  const std::string path = write_seed(dir);
  const std::string folds = dir.file("G") + "/10fold_idx/";
  Mutator mutate(20261302);
  bool degree_as_tag = false;
  const FuzzTally tally = fuzz(
      200,
      [&](int i) {
        write_seed(dir);
        degree_as_tag = i % 4 == 3;
        // Three inputs in four damage the graph file, the rest one of the fold files.
        if (i % 4 != 2) write_text(path, mutate.text(kGraphs));
        else {
          const auto& [name, text] = kFolds[mutate.below(kFolds.size())];
          write_text(folds + name, mutate.text(text));
        }
      },
      [&] {
        const TuGraphs d = read_tu_graphs(path, degree_as_tag);
        read_tu_folds(path, d.size());
      });
  INFO(tally.summary());
  CHECK(tally.failures.empty());
  CHECK(tally.errors > 0);
  CHECK(tally.parsed > 0);
  CHECK(tally.seconds < 30);
}
