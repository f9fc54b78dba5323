// TU graph files whose counts announce more than the file holds (issue 13): each reproducer
// must end in an ntk::Error naming the file and line, within seconds and 512 MB of address
// space (run in a forked child, tests/host/core/data/bounded_run.hpp).
#include <catch2/catch.hpp>

#include <sstream>
#include <string>

#include "../data/bounded_run.hpp"
#include "../data/temp_dir.hpp"
#include "core/data/tu_graphs.hpp"

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

TEST_CASE("TU bounds: 15,000 one-node graphs with distinct tags are refused", "[data_tu][bounds]") {
  // Dense one-hot features of 15,000 tags x 15,000 nodes = 1.8 GB from a 200 kB file.
  TempDir dir("tu_bounds_tags");
  const std::string path = dir.file("G.txt");
  std::ostringstream text;
  text << 15000 << "\n";
  for (int i = 0; i < 15000; ++i) text << "1 " << i % 2 << "\n" << 100000 + i << " 0\n";
  write_text(path, text.str());
  const BoundedOutcome out = read_bounded(path);
  INFO(out.describe());
  REQUIRE(out.kind == BoundedOutcome::error);
  // 15000 x 15000 x 8 bytes = 1800 MB; the file is 15000 x 13 + 6 = 195006 bytes, so the cap
  // is the 256 MiB floor (268.435456 MB).
  CHECK_THAT(out.message, Catch::Contains(path) &&
                              Catch::Contains("15000 distinct tags x 15000 nodes = 1800 MB") &&
                              Catch::Contains("more than the 268.435 MB allowed") &&
                              Catch::Contains("195.006 kB file"));
  CHECK(out.seconds < 10);

  // 1,000 such graphs need 1000 x 1000 x 8 = 8 MB: under the floor, read.
  std::ostringstream small;
  small << 1000 << "\n";
  for (int i = 0; i < 1000; ++i) small << "1 0\n" << i << " 0\n";
  write_text(path, small.str());
  const TuGraphs d = read_tu_graphs(path, false);
  CHECK(d.features() == 1000);
  CHECK(d.graphs[7].features(7, 0) == 1.0);
}
