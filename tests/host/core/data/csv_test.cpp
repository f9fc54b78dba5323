// CSV data sets and their error messages.
#include <zlib.h>

#include <catch2/catch.hpp>

#include "core/data/csv.hpp"
#include "ntk/sdk/error.hpp"
#include "temp_dir.hpp"

using namespace ntk::core;
using namespace ntk::core::data;
using ntk::test::TempDir;
using ntk::test::write_text;

TEST_CASE("csv: examples become columns, the label column moves to labels", "[data][csv]") {
  TempDir dir("csv_read");
  write_text(dir.file("a.csv"),
             "# a comment\n"
             "f1,f2,class,f3\n"
             "1.5, 2,0,-3e-1\r\n"
             "\n"
             "4,5.25,1,6\n");
  CsvOptions o;
  o.header = true;
  o.label_column = 3;
  const Dataset d = read_csv(dir.file("a.csv"), o);
  const arma::mat x_expected = {{1.5, 4}, {2, 5.25}, {-0.3, 6}};
  CHECK(arma::approx_equal(d.x, x_expected, "absdiff", 0.0));
  CHECK(arma::approx_equal(d.labels, arma::rowvec{0, 1}, "absdiff", 0.0));
  CHECK(arma::approx_equal(d.y, arma::mat{{0, 1}}, "absdiff", 0.0));

  o.label_column = -2;  // the same column, counted from the end
  CHECK(arma::approx_equal(read_csv(dir.file("a.csv"), o).x, x_expected, "absdiff", 0.0));

  o.label_column = 0;
  const Dataset all = read_csv(dir.file("a.csv"), o);
  CHECK(all.x.n_rows == 4);
  CHECK(all.labels.is_empty());
  CHECK(all.y.is_empty());
}

TEST_CASE("csv: blank-separated and gzip files", "[data][csv]") {
  TempDir dir("csv_blank");
  const std::string text = "1  2\t3\n  4 5 6  \n";
  gzFile f = gzopen(dir.file("b.txt.gz").c_str(), "wb");
  gzwrite(f, text.data(), static_cast<unsigned>(text.size()));
  gzclose(f);
  CsvOptions o;
  o.delimiter = ' ';
  o.label_column = -1;
  const Dataset d = read_csv(dir.file("b.txt.gz"), o);
  CHECK(arma::approx_equal(d.x, arma::mat{{1, 4}, {2, 5}}, "absdiff", 0.0));
  CHECK(arma::approx_equal(d.labels, arma::rowvec{3, 6}, "absdiff", 0.0));
}

TEST_CASE("csv: malformed files name file:line:column", "[data][csv]") {
  TempDir dir("csv_bad");
  const std::string path = dir.file("bad.csv");
  write_text(path, "1,2,3\n4,5,6\n7,abc,9\n");
  CHECK_THROWS_WITH(read_csv(path), Catch::Contains(path + ":3:2") && Catch::Contains("'abc'"));

  write_text(path, "1,2,3\n4,,6\n");
  CHECK_THROWS_WITH(read_csv(path), Catch::Contains(path + ":2:2"));

  write_text(path, "1,2,3\n4,nan,6\n");
  CHECK_THROWS_WITH(read_csv(path), Catch::Contains(path + ":2:2"));

  write_text(path, "1,2,3\n4,5\n");
  CHECK_THROWS_WITH(read_csv(path), Catch::Contains(path + ":2") && Catch::Contains("2 cells") &&
                                        Catch::Contains("line 1 has 3"));

  write_text(path, "1,2,3\n");
  CsvOptions o;
  o.label_column = 4;
  CHECK_THROWS_WITH(read_csv(path, o), Catch::Contains("label_column = 4") &&
                                           Catch::Contains("3 columns"));
  o.label_column = -4;
  CHECK_THROWS_WITH(read_csv(path, o), Catch::Contains("label_column = -4"));

  write_text(path, "# only a comment\n");
  CHECK_THROWS_WITH(read_csv(path), Catch::Contains("no data lines"));
  CHECK_THROWS_WITH(read_csv(dir.file("none.csv")), Catch::Contains("cannot open"));
}
