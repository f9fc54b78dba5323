// n_clases= of a UCI set checked against the labels the table really has (issue 13: 2^31
// classes were accepted and then filled a Lua table for a minute). Each reproducer must end in
// an ntk::Error naming the metadata file and line, within seconds and 512 MB of address space.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "../data/bounded_run.hpp"
#include "../data/temp_dir.hpp"
#include "core/data/uci.hpp"

using namespace ntk::core::data;
using ntk::test::bounded_run;
using ntk::test::BoundedOutcome;
using ntk::test::TempDir;
using ntk::test::write_text;

namespace {

// A 4-sample, 2-feature set "toy" in dir/toy, with the given n_clases= and class column.
std::string toy(const TempDir& dir, const std::string& classes, const char* labels) {
  const std::string set = dir.file("toy");
  std::filesystem::create_directories(set);
  write_text(set + "/toy.txt", "n_entradas= 2\nn_clases= " + classes +
                                   "\nn_arquivos= 1\nfich1= toy_R.dat\nn_patrons1= 4\n");
  std::string table = "\tf1\tf2\tclase\n";
  for (int i = 0; i < 4; ++i)
    table += std::to_string(i + 1) + "\t0.5\t-1\t" + std::string(1, labels[i]) + "\n";
  write_text(set + "/toy_R.dat", table);
  write_text(set + "/conxuntos.dat", "0 2\n1 3\n");
  write_text(set + "/conxuntos_kfold.dat", "1 2 3\n0\n0 2 3\n1\n0 1 3\n2\n0 1 2\n3\n");
  return set;
}

}  // namespace

TEST_CASE("uci bounds: n_clases= 2^31 is refused against the 4 samples", "[data_uci][bounds]") {
  TempDir dir("uci_bounds_huge");
  const std::string set = toy(dir, "2147483648", "0110");
  const BoundedOutcome out = bounded_run([&] { read_uci(set); });
  INFO(out.describe());
  REQUIRE(out.kind == BoundedOutcome::error);
  CHECK_THAT(out.message, Catch::Contains(set + "/toy.txt:2: n_clases= 2147483648") &&
                              Catch::Contains("has only 4 samples") &&
                              Catch::Contains("its labels are 0..1"));
  CHECK(out.seconds < 5);
}

TEST_CASE("uci bounds: every class 0..n_clases-1 must appear", "[data_uci][bounds]") {
  TempDir dir("uci_bounds_missing");
  // Three classes declared, labels 0, 2, 2, 0: class 1 is missing.
  const std::string set = toy(dir, "3", "0220");
  CHECK_THROWS_WITH(read_uci(set), Catch::Contains(set + "/toy.txt:2: n_clases= 3 but class 1 "
                                                         "never appears"));
  // Four declared, four samples, only two classes present.
  const std::string four = toy(dir, "4", "0123");
  CHECK(read_uci(four).classes == 4);
  const std::string two_of_four = toy(dir, "4", "0101");
  CHECK_THROWS_WITH(read_uci(two_of_four), Catch::Contains("class 2 never appears"));
  // The labels present and n_clases= agree: read.
  const UciDataset d = read_uci(toy(dir, "3", "2101"));
  CHECK(d.classes == 3);
  CHECK(d.labels(0) == 2);
}
