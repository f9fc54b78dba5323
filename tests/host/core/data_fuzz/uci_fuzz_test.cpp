// UCI reader (metadata, table, split files) over 200 mutated sets, fixed seed: every input
// parses or throws ntk::Error, none crashes, allocates beyond 256 MB or runs past 5 s.
#include <catch2/catch.hpp>

#include <filesystem>
#include <stdexcept>

#include "../data/temp_dir.hpp"
#include "core/data/uci.hpp"
#include "fuzz_loop.hpp"
#include "mutate.hpp"

using namespace ntk::core::data;
using namespace ntk::test;

namespace {

// A 4-sample, 2-feature, 2-class set "toy", file name -> text.
const std::vector<std::pair<std::string, std::string>> kFiles = {
    {"toy.txt", "n_entradas= 2\nn_clases= 2\nn_arquivos= 1\nfich1= toy_R.dat\nn_patrons1= 4\n"},
    {"toy_R.dat", "\tf1\tf2\tclase\n1\t0.5\t-1\t0\n2\t1.5\t2\t1\n3\t-0.25\t0\t1\n4\t3\t1e-2\t0\n"},
    {"conxuntos.dat", "0 2\n1 3\n"},
    {"conxuntos_kfold.dat", "1 2 3\n0\n0 2 3\n1\n0 1 3\n2\n0 1 2\n3\n"}};

std::string write_seed(const TempDir& dir) {
  const std::string set = dir.file("toy");
  std::filesystem::create_directories(set);
  for (const auto& [name, text] : kFiles) write_text(set + "/" + name, text);
  return set;
}

}  // namespace

TEST_CASE("uci fuzz: the seed set reads as written", "[data_fuzz][data_uci]") {
  TempDir dir("uci_fuzz_seed");
  const UciDataset d = read_uci(write_seed(dir));
  CHECK(d.classes == 2);
  CHECK(arma::approx_equal(d.x, arma::mat{{0.5, 1.5, -0.25, 3}, {-1, 2, 0, 0.01}}, "absdiff", 0.0));
  CHECK(d.folds[3].test == std::vector<arma::uword>{3});
}

TEST_CASE("uci fuzz: 200 mutated sets end in a parse or an ntk::Error", "[data_fuzz][data_uci]") {
  TempDir dir("uci_fuzz");
  const std::string set = write_seed(dir);
  Mutator mutate(20261303);
  const FuzzTally tally = fuzz(
      200,
      [&](int i) {
        write_seed(dir);
        // Half the inputs damage the metadata, where the counts are; the rest the other files.
        const auto& [name, text] = kFiles[i % 2 == 0 ? 0 : 1 + mutate.below(kFiles.size() - 1)];
        write_text(set + "/" + name, mutate.text(text));
      },
      [&] {
        // What the reader returns bounds what its callers allocate (ntk.data.uci builds a
        // table of the classes): a parse must keep n_clases within the samples.
        const UciDataset d = read_uci(set);
        if (d.classes > d.x.n_cols) throw std::logic_error("n_clases above the sample count");
      });
  INFO(tally.summary());
  CHECK(tally.failures.empty());
  CHECK(tally.errors > 0);
  CHECK(tally.parsed > 0);
  CHECK(tally.seconds < 30);
}
