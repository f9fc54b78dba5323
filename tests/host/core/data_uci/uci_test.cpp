// The UCI loader (core/data/uci.hpp) against numbers from an independent Python reading of the
// shipped files (plain split()/float(), the way Arora et al.'s UCI.py reads them; quoted below),
// and one test per malformed-file case (each must name FILE:LINE).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/data/uci.hpp"
#include "ntk/sdk/error.hpp"

using namespace ntk::core::data;
namespace fs = std::filesystem;

namespace {

struct Expected {
  const char* name;
  arma::uword n, d;
  std::vector<arma::uword> class_counts;
  double feature_sum, first, last;  // Σ x, x(0, 0), x(d−1, n−1)
  arma::uword train, val, first_train, last_val;
  arma::uword fold_train, fold_test, fold4_first_train, fold4_last_test;
};

// python3: X = [[float(v) for v in l.split()[1:-1]] for l in lines[1:]], y = last column,
// conxuntos*.dat lines split into ints.
const std::vector<Expected> kExpected = {
    {"iris", 150, 4, {50, 50, 50}, 0.00013740000002182562, -0.897674, 0.787951,
     75, 75, 46, 149, 113, 37, 1, 145},
    {"abalone", 4177, 8, {1407, 1323, 1447}, -0.006666169000471456, -1.15421, 1.84026,
     2089, 2088, 16, 2793, 3133, 1044, 2660, 4176},
    {"balloons", 16, 4, {9, 7}, 0.0, 0.968246, -0.968246, 8, 8, 5, 2, 12, 4, 14, 2},
    {"arrhythmia", 452, 262, {245, 44, 15, 15, 13, 25, 3, 2, 9, 50, 4, 5, 22},
     0.004574260000868691, 1.73252, 0.179884, 226, 226, 57, 181, 339, 113, 35, 219},
};

fs::path temp_set(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / "ntk_data_uci_test" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

// A valid 4-sample, 2-feature, 2-class set named "toy" in `dir`.
fs::path toy(const std::string& tag) {
  const fs::path dir = temp_set(tag) / "toy";
  fs::create_directories(dir);
  write(dir / "toy.txt", "n_entradas= 2\nn_clases= 2\nn_arquivos= 1\nfich1= toy_R.dat\n"
                         "n_patrons1= 4\n");
  write(dir / "toy_R.dat", "\tf1\tf2\tclase\n1\t0.5\t-1\t0\n2\t1.5\t2\t1\n3\t-0.25\t0\t1\n"
                           "4\t3\t1e-2\t0\n");
  write(dir / "conxuntos.dat", "0 2\n1 3\n");
  write(dir / "conxuntos_kfold.dat", "1 2 3\n0\n0 2 3\n1\n0 1 3\n2\n0 1 2\n3\n");
  return dir;
}

std::string error_of(const fs::path& dir) {
  try {
    read_uci(dir.string());
  } catch (const ntk::Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("uci loader: shipped sets match an independent reading", "[data_uci]") {
  for (const Expected& e : kExpected) {
    INFO(e.name);
    const UciDataset d = read_uci(e.name);
    CHECK(d.name == e.name);
    REQUIRE(d.x.n_rows == e.d);
    REQUIRE(d.x.n_cols == e.n);
    REQUIRE(d.labels.n_elem == e.n);
    REQUIRE(d.classes == e.class_counts.size());
    for (arma::uword c = 0; c < d.classes; ++c)
      CHECK(arma::accu(d.labels == c) == e.class_counts[c]);
    CHECK(arma::accu(d.x) == Approx(e.feature_sum).margin(1e-9));
    CHECK(d.x(0, 0) == e.first);
    CHECK(d.x(e.d - 1, e.n - 1) == e.last);
    CHECK(d.validation.train.size() == e.train);
    CHECK(d.validation.test.size() == e.val);
    CHECK(d.validation.train.front() == e.first_train);
    CHECK(d.validation.test.back() == e.last_val);
    REQUIRE(d.folds.size() == 4);
    for (const UciSplit& f : d.folds) {
      CHECK(f.train.size() == e.fold_train);
      CHECK(f.test.size() == e.fold_test);
    }
    CHECK(d.folds[3].train.front() == e.fold4_first_train);
    CHECK(d.folds[3].test.back() == e.fold4_last_test);
  }
}

TEST_CASE("uci index: the paper's 90 sets, all loadable", "[data_uci]") {
  const std::vector<std::string> names = uci_index();
  REQUIRE(names.size() == 90);
  CHECK(names.front() == "abalone");
  CHECK(std::find(names.begin(), names.end(), "iris") != names.end());
  CHECK(uci_index(false).size() == 90);  // only the 90 are shipped in INDEX.tsv's rows
  // Every listed set loads, with 0-based indices (the smallest index in the files is 0).
  arma::uword total = 0;
  for (const std::string& name : names) {
    INFO(name);
    const UciDataset d = read_uci(name);
    arma::uword smallest = d.x.n_cols;
    for (const UciSplit& f : d.folds)
      for (arma::uword i : f.train) smallest = std::min(smallest, i);
    CHECK(smallest == 0);
    total += d.x.n_cols;
  }
  CHECK(total > 0);
}

TEST_CASE("uci loader: a path and a small valid set", "[data_uci]") {
  const fs::path dir = toy("valid");
  const UciDataset d = read_uci(dir.string());
  CHECK(d.name == "toy");
  REQUIRE(d.x.n_rows == 2);
  REQUIRE(d.x.n_cols == 4);
  CHECK(d.x(0, 1) == 1.5);
  CHECK(d.x(1, 3) == 0.01);
  CHECK(d.labels(1) == 1);
  CHECK(d.validation.train == std::vector<arma::uword>{0, 2});
  CHECK(d.validation.test == std::vector<arma::uword>{1, 3});
  CHECK(d.folds[2].test == std::vector<arma::uword>{2});
}

TEST_CASE("uci loader: malformed files name the file and line", "[data_uci]") {
  struct Case {
    const char* what;
    const char* file;
    const char* text;
    const char* needle;
  };
  const std::vector<Case> cases = {
      {"header count", "toy_R.dat", "\tf1\tclase\n1\t0\t0\n", "toy_R.dat:1"},
      {"field count", "toy_R.dat", "\tf1\tf2\tclase\n1\t0.5\t0\n", "toy_R.dat:2"},
      {"bad number", "toy_R.dat", "\tf1\tf2\tclase\n1\t0.5\t-1\t0\n2\tabc\t2\t1\n", "toy_R.dat:3"},
      {"nan", "toy_R.dat", "\tf1\tf2\tclase\n1\tnan\t-1\t0\n", "toy_R.dat:2"},
      {"class range", "toy_R.dat", "\tf1\tf2\tclase\n1\t0.5\t-1\t2\n", "toy_R.dat:2"},
      {"class not integer", "toy_R.dat", "\tf1\tf2\tclase\n1\t0.5\t-1\t0.5\n", "toy_R.dat:2"},
      {"sample order", "toy_R.dat", "\tf1\tf2\tclase\n2\t0.5\t-1\t0\n", "toy_R.dat:2"},
      {"sample count", "toy_R.dat", "\tf1\tf2\tclase\n1\t0.5\t-1\t0\n", "n_patrons1"},
      {"metadata line", "toy.txt", "n_entradas= 2\nn_clases 2\n", "toy.txt:2"},
      {"metadata key", "toy.txt", "n_entradas= 2\nfich1= toy_R.dat\nn_patrons1= 4\n", "n_clases"},
      {"index range", "conxuntos.dat", "0 2\n1 4\n", "conxuntos.dat:2"},
      {"index text", "conxuntos.dat", "0 x\n1 3\n", "conxuntos.dat:1"},
      {"negative index", "conxuntos.dat", "0 -2\n1 3\n", "conxuntos.dat:1"},
      {"duplicate index", "conxuntos.dat", "0 2 0\n1 3\n", "conxuntos.dat:1"},
      {"train/test overlap", "conxuntos.dat", "0 2\n1 2\n", "conxuntos.dat:2"},
      {"too few lines", "conxuntos.dat", "0 2\n", "conxuntos.dat has 1 index lines"},
      {"too many lines", "conxuntos.dat", "0 2\n1 3\n0\n", "conxuntos.dat:3"},
      {"kfold lines", "conxuntos_kfold.dat", "1 2 3\n0\n", "expected 8"},
      {"kfold overlap", "conxuntos_kfold.dat", "1 2 3\n0\n0 2 3\n1\n0 1 3\n2\n0 1 2\n2\n",
       "conxuntos_kfold.dat:8"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    const fs::path dir = toy("bad");
    write(dir / c.file, c.text);
    const std::string message = error_of(dir);
    INFO(message);
    CHECK(message.find(c.needle) != std::string::npos);
  }
  CHECK(error_of(temp_set("missing") / "nothing").find("nothing") != std::string::npos);
  CHECK_THROWS_WITH(read_uci("no_such_uci_set"), Catch::Contains("no_such_uci_set"));
}

TEST_CASE("uci index: a malformed INDEX.tsv is refused with its line", "[data_uci]") {
  const fs::path dir = temp_set("index");
  write(dir / "INDEX.tsv", "dataset\tin_arora2020_90\nabc\tyes\ndef\tmaybe\n");
  CHECK_THROWS_WITH(read_uci_index((dir / "INDEX.tsv").string(), true),
                    Catch::Contains("INDEX.tsv:3"));
  write(dir / "INDEX.tsv", "dataset\tin_arora2020_90\nabc\tyes\ndef\tno\n");
  CHECK(read_uci_index((dir / "INDEX.tsv").string(), true) == std::vector<std::string>{"abc"});
  CHECK(read_uci_index((dir / "INDEX.tsv").string(), false).size() == 2);
}
