// IDX reader over 200 mutated files (plain and gzip), fixed seed: every input parses or throws
// ntk::Error, none crashes, allocates beyond 256 MB or runs past 5 s; the format in seconds.
#include <zlib.h>

#include <catch2/catch.hpp>

#include "../data/temp_dir.hpp"
#include "core/data/idx.hpp"
#include "fuzz_loop.hpp"
#include "mutate.hpp"

using namespace ntk::core::data;
using namespace ntk::test;

namespace {

Bytes gzip(const Bytes& raw) {
  uLongf size = compressBound(raw.size()) + 32;
  Bytes out(size);
  z_stream z{};
  deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);  // gzip
  z.next_in = const_cast<unsigned char*>(raw.data());
  z.avail_in = static_cast<uInt>(raw.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// 4 images of 3 x 3 pixels (values 7k mod 256), 4 labels, and a 2 x 2 float64 array.
std::vector<Bytes> seeds() {
  Bytes images = {0, 0, 0x08, 3, 0, 0, 0, 4, 0, 0, 0, 3, 0, 0, 0, 3};
  for (int k = 0; k < 36; ++k) images.push_back(static_cast<unsigned char>(7 * k));
  const Bytes labels = {0, 0, 0x08, 1, 0, 0, 0, 4, 3, 1, 4, 1};
  Bytes doubles = {0, 0, 0x0E, 2, 0, 0, 0, 2, 0, 0, 0, 2};
  for (int k = 0; k < 4; ++k) {  // 1.5 = 0x3FF8000000000000
    const Bytes one_and_half = {0x3F, 0xF8, 0, 0, 0, 0, 0, 0};
    doubles.insert(doubles.end(), one_and_half.begin(), one_and_half.end());
  }
  return {images, labels, doubles};
}

}  // namespace

TEST_CASE("idx fuzz: the seed files read back their hand-written values", "[data_fuzz][idx]") {
  TempDir dir("idx_fuzz_seeds");
  const std::vector<Bytes> s = seeds();
  write_bytes(dir.file("images.idx.gz"), gzip(s[0]));
  const arma::mat images = idx_to_matrix(read_idx(dir.file("images.idx.gz")));
  REQUIRE(images.n_rows == 9);
  REQUIRE(images.n_cols == 4);
  CHECK(images(2, 3) == 7.0 * 29);  // image 3, pixel 2: element 3*9+2 = 29
  write_bytes(dir.file("labels.idx"), s[1]);
  CHECK(arma::approx_equal(idx_to_matrix(read_idx(dir.file("labels.idx"))),
                           arma::mat{{3, 1, 4, 1}}, "absdiff", 0.0));
  write_bytes(dir.file("doubles.idx"), s[2]);
  CHECK(arma::all(arma::vectorise(idx_to_matrix(read_idx(dir.file("doubles.idx")))) == 1.5));
}

TEST_CASE("idx fuzz: 200 mutated files end in a parse or an ntk::Error", "[data_fuzz][idx]") {
  TempDir dir("idx_fuzz");
  const std::vector<Bytes> s = seeds();
  Mutator mutate(20261301);
  std::string path;
  const FuzzTally tally = fuzz(
      200,
      [&](int i) {
        const Bytes& seed = s[i % s.size()];
        const bool compressed = i % 2 == 1;
        path = dir.file(compressed ? "in.idx.gz" : "in.idx");
        // Compressed inputs: half mutate the data before compression, half the gzip bytes.
        if (!compressed) write_bytes(path, mutate.binary(seed));
        else if (mutate.coin()) write_bytes(path, gzip(mutate.binary(seed)));
        else write_bytes(path, mutate.binary(gzip(seed)));
      },
      [&] { idx_to_matrix(read_idx(path)); });
  INFO(tally.summary());
  CHECK(tally.failures.empty());
  CHECK(tally.errors > 0);
  CHECK(tally.seconds < 30);  // a few seconds on an idle machine; headroom for a loaded CI
}
