// The kernel file (core/cache): tiles land where the matrix says, symmetric files hold both
// triangles, a stopped fill resumes computing only the missing tiles, a file of another kernel
// is refused naming the difference, and the mapping is private.
#include <catch2/catch.hpp>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "core/cache/cached_kernel.hpp"
#include "core/cache/fingerprint.hpp"
#include "core/cache/kernel_file.hpp"

namespace cache = ntk::core::cache;

namespace {

struct TempFile {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("ntk_kernel_file_" + std::to_string(::getpid()) + ".ntkkernel");
  TempFile() { std::filesystem::remove(path); }
  ~TempFile() { std::filesystem::remove(path); }
  std::string str() const { return path.string(); }
};

// A closed-form "kernel": every entry different, symmetric when rows = cols.
float entry(arma::uword i, arma::uword j) {
  return float(1.0 / (1.0 + double(i) + double(j)) + 0.001 * double(std::min(i, j)));
}

arma::fmat truth(arma::uword rows, arma::uword cols) {
  arma::fmat m(rows, cols);
  for (arma::uword j = 0; j < cols; ++j)
    for (arma::uword i = 0; i < rows; ++i) m(i, j) = entry(i, j);
  return m;
}

cache::KernelKey key_of(arma::uword rows, arma::uword cols, bool symmetric) {
  cache::KernelKey key;
  key.rows = rows;
  key.cols = cols;
  key.symmetric = symmetric;
  key.kind = "ntk";
  key.arch_text = "fc {depth = 2, w_std = 1.5}: test";
  key.rows_data = 11;
  key.cols_data = symmetric ? 11 : 12;
  return key;
}

// Counts calls; throws at call `fail_at` (1-based) to stop a fill midway.
struct CountingTiles {
  int calls = 0, fail_at = 0, diagonal_calls = 0;
  arma::fmat operator()(arma::uword r0, arma::uword r1, arma::uword c0, arma::uword c1, bool diagonal) {
    if (++calls == fail_at) throw std::runtime_error("stopped");
    diagonal_calls += diagonal;
    return truth(r1, c1).submat(r0, c0, r1 - 1, c1 - 1);
  }
};

}  // namespace

TEST_CASE("a kernel file holds the kernel its tiles make", "[cache]") {
  TempFile f;
  SECTION("rectangular, tiles not dividing the sizes") {
    cache::KernelFile file = cache::KernelFile::open(f.str(), key_of(23, 17, false), 5);
    CHECK(file.tile_rows() == 5);
    CHECK(file.tile_cols() == 4);
    CHECK(file.needed_count() == 20);
    CountingTiles tiles;
    const cache::MappedKernel k = cache::fill_kernel_file(
        file, [&](auto... a) { return tiles(a...); });
    CHECK(tiles.calls == 20);
    CHECK(tiles.diagonal_calls == 0);
    CHECK(arma::approx_equal(k.matrix, truth(23, 17), "absdiff", 0.0f));
  }
  SECTION("symmetric: the upper tiles are computed and mirrored") {
    cache::KernelFile file = cache::KernelFile::open(f.str(), key_of(23, 23, true), 5);
    CountingTiles tiles;
    const cache::MappedKernel k = cache::fill_kernel_file(
        file, [&](auto... a) { return tiles(a...); });
    CHECK(tiles.calls == 15);  // 5 · 6 / 2
    CHECK(tiles.diagonal_calls == 5);
    CHECK(arma::approx_equal(k.matrix, truth(23, 23), "absdiff", 0.0f));
  }
}

TEST_CASE("a stopped fill resumes with the missing tiles only", "[cache]") {
  TempFile f;
  const cache::KernelKey key = key_of(40, 40, true);
  CountingTiles first;
  first.fail_at = 7;  // six tiles finished, then the run stops
  {
    cache::KernelFile file = cache::KernelFile::open(f.str(), key, 8);
    CHECK_THROWS_WITH(cache::fill_kernel_file(file, [&](auto... a) { return first(a...); }),
                      "stopped");
  }  // closing syncs what was written
  {
    cache::KernelFile again = cache::KernelFile::open(f.str(), key, 999);  // the file's tile wins
    CHECK(again.tile() == 8);
    CHECK(again.done_count() == 6);
    CHECK_FALSE(again.complete());
    // While it is open, a second writer is refused.
    CHECK_THROWS_WITH(cache::KernelFile::open(f.str(), key, 8),
                      Catch::Contains("being written by another process"));
    CountingTiles second;
    cache::FillReport report;
    const cache::MappedKernel k =
        cache::fill_kernel_file(again, [&](auto... a) { return second(a...); }, nullptr, &report);
    CHECK(second.calls == 15 - 6);
    CHECK(report.tiles_on_disk == 6);
    CHECK(report.tiles_computed == 9);
    CHECK(arma::approx_equal(k.matrix, truth(40, 40), "absdiff", 0.0f));
  }
  // A third open finds it complete: nothing to compute.
  cache::KernelFile done = cache::KernelFile::open(f.str(), key, 8);
  CHECK(done.complete());
  CountingTiles third;
  cache::fill_kernel_file(done, [&](auto... a) { return third(a...); });
  CHECK(third.calls == 0);
}

TEST_CASE("a kernel file refuses another kernel, naming the difference", "[cache]") {
  TempFile f;
  const cache::KernelKey key = key_of(12, 12, true);
  {
    cache::KernelFile file = cache::KernelFile::open(f.str(), key, 4);
    CountingTiles tiles;
    cache::fill_kernel_file(file, [&](auto... a) { return tiles(a...); });
  }
  cache::KernelKey other = key;
  other.arch_text = "fc {depth = 2, w_std = 1.4}: test";
  CHECK_THROWS_WITH(cache::KernelFile::open(f.str(), other, 4),
                    Catch::Contains("its architecture is fc {depth = 2, w_std = 1.5}") &&
                        Catch::Contains("delete the file"));
  other = key;
  other.rows_data = other.cols_data = 99;
  CHECK_THROWS_WITH(cache::KernelFile::open(f.str(), other, 4), Catch::Contains("other inputs"));
  other = key;
  other.kind = "nngp";
  CHECK_THROWS_WITH(cache::KernelFile::open(f.str(), other, 4), Catch::Contains("\"ntk\""));
  other = key_of(12, 11, false);
  CHECK_THROWS_WITH(cache::KernelFile::open(f.str(), other, 4), Catch::Contains("12 x 12"));
  // The refused opens left the file as it was.
  CHECK(cache::KernelFile::open(f.str(), key, 4).complete());
  // Not a kernel file at all.
  TempFile g;
  std::ofstream(g.path) << "hello";
  CHECK_THROWS_WITH(cache::KernelFile::open(g.str(), key, 4),
                    Catch::Contains("not an ntklab kernel file"));
}

TEST_CASE("writes to a mapped kernel never reach its file", "[cache]") {
  TempFile f;
  const cache::KernelKey key = key_of(9, 9, true);
  {
    cache::KernelFile file = cache::KernelFile::open(f.str(), key, 4);
    CountingTiles tiles;
    cache::MappedKernel k = cache::fill_kernel_file(file, [&](auto... a) { return tiles(a...); });
    k.matrix.fill(-1.0f);  // as an in-place factorisation would
  }
  cache::KernelFile file = cache::KernelFile::open(f.str(), key, 4);
  CHECK(arma::approx_equal(file.map().matrix, truth(9, 9), "absdiff", 0.0f));
}

TEST_CASE("input fingerprints see every value, the shape and the kind", "[cache]") {
  arma::mat x = arma::randu(12, 7);
  const auto dense = cache::fingerprint(ntk::sdk::Inputs::dense(x));
  CHECK(dense == cache::fingerprint(ntk::sdk::Inputs::dense(x)));
  const auto images = cache::fingerprint(ntk::sdk::Inputs::images(x, {3, 2, 2}));
  CHECK(images != dense);
  CHECK(images != cache::fingerprint(ntk::sdk::Inputs::images(x, {1, 3, 4})));
  for (arma::uword k : {arma::uword(0), arma::uword(41), arma::uword(83)}) {
    arma::mat y = x;
    y(k) = std::nextafter(y(k), 2.0);  // one ulp of one value
    CHECK(cache::fingerprint(ntk::sdk::Inputs::dense(y)) != dense);
  }
  ntk::sdk::Graph g;
  g.adjacency = arma::sp_mat(3, 3);
  g.adjacency(0, 1) = g.adjacency(1, 0) = 1;
  g.features = arma::sp_mat(arma::mat(2, 3, arma::fill::ones));
  const auto graphs = cache::fingerprint(ntk::sdk::Inputs::graphs({g, g}));
  ntk::sdk::Graph h = g;
  h.adjacency(1, 2) = h.adjacency(2, 1) = 1;
  CHECK(cache::fingerprint(ntk::sdk::Inputs::graphs({g, h})) != graphs);
  CHECK(cache::fingerprint(ntk::sdk::Inputs::graphs({g})) != graphs);
  CHECK(cache::hash_bytes("abc", 3) != cache::hash_bytes("abd", 3));
}

TEST_CASE("a kernel file is refused where the disk cannot hold it", "[cache]") {
  TempFile f;
  // 4 · 10⁶ · 10⁶ bytes = 4 TB.
  CHECK_THROWS_WITH(cache::KernelFile::open(f.str(), key_of(1000000, 1000000, true), 2048),
                    Catch::Contains("free") && Catch::Contains("needs 4 TB"));
  CHECK_FALSE((std::filesystem::exists(f.path) && std::filesystem::file_size(f.path) > 0));
}
