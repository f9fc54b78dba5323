// CSV reader over 200 mutated files (plain and gzip; comma and blank delimiters), fixed seed:
// every input parses or throws ntk::Error, none crashes, allocates beyond 256 MB or runs past
// 5 s.
#include <zlib.h>

#include <catch2/catch.hpp>

#include "../data/temp_dir.hpp"
#include "core/data/csv.hpp"
#include "fuzz_loop.hpp"
#include "mutate.hpp"

using namespace ntk::core::data;
using namespace ntk::test;

namespace {

const std::string kCsv = "# two features and a label\nx1,x2,label\n0.5,1,0\n-2,3e1,1\n4,5,0\n";

void write_file(const std::string& path, const std::string& text, bool compressed) {
  if (!compressed) return write_text(path, text);
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, text.data(), static_cast<unsigned>(text.size()));
  gzclose(f);
}

}  // namespace

TEST_CASE("csv fuzz: the seed file reads as written", "[data_fuzz][csv]") {
  TempDir dir("csv_fuzz_seed");
  write_file(dir.file("seed.csv.gz"), kCsv, true);
  CsvOptions options;
  options.header = true;
  options.label_column = -1;
  const ntk::core::Dataset d = read_csv(dir.file("seed.csv.gz"), options);
  CHECK(arma::approx_equal(d.x, arma::mat{{0.5, -2, 4}, {1, 30, 5}}, "absdiff", 0.0));
  CHECK(arma::approx_equal(d.labels, arma::rowvec{0, 1, 0}, "absdiff", 0.0));
}

TEST_CASE("csv fuzz: 200 mutated files end in a parse or an ntk::Error", "[data_fuzz][csv]") {
  TempDir dir("csv_fuzz");
  Mutator mutate(20261304);
  std::string path;
  CsvOptions options;
  const FuzzTally tally = fuzz(
      200,
      [&](int i) {
        const bool compressed = i % 2 == 1;
        path = dir.file(compressed ? "in.csv.gz" : "in.csv");
        std::string seed = kCsv;
        options = CsvOptions{};
        options.header = i % 3 != 0;
        options.label_column = i % 5 == 0 ? 0 : i % 5 == 1 ? 1 : -1;
        if (i % 4 == 0) {  // the blank-separated form
          for (char& c : seed) c = c == ',' ? ' ' : c;
          options.delimiter = ' ';
        }
        write_file(path, mutate.text(seed), compressed);
      },
      [&] { read_csv(path, options); });
  INFO(tally.summary());
  CHECK(tally.failures.empty());
  CHECK(tally.errors > 0);
  CHECK(tally.parsed > 0);
  CHECK(tally.seconds < 30);
}
