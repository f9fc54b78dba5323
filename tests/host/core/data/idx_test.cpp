// IDX reader/writer against hand-written bytes (the format as documented by LeCun et al.).
#include <zlib.h>

#include <catch2/catch.hpp>

#include "core/data/idx.hpp"
#include "ntk/sdk/error.hpp"
#include "temp_dir.hpp"

using namespace ntk::core::data;
using ntk::test::TempDir;
using ntk::test::write_bytes;
using Bytes = std::vector<unsigned char>;

namespace {

void write_gzip(const std::string& path, const Bytes& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  REQUIRE(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())) ==
          static_cast<int>(bytes.size()));
  REQUIRE(gzclose(f) == Z_OK);
}

Bytes read_plain(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

// 3 images of 2 × 2 pixels: values 0, 10, 20, ..., 110 in file order.
Bytes small_images() {
  Bytes b = {0, 0, 0x08, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2};
  for (int k = 0; k < 12; ++k) b.push_back(static_cast<unsigned char>(10 * k));
  return b;
}

std::string error_of(const std::string& path) {
  try {
    read_idx(path);
  } catch (const ntk::Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("idx: plain and gzip files with known bytes read back", "[data][idx]") {
  TempDir dir("idx_roundtrip");
  write_bytes(dir.file("img.idx"), small_images());
  write_gzip(dir.file("img.idx.gz"), small_images());
  for (const std::string name : {"img.idx", "img.idx.gz"}) {
    const IdxArray a = read_idx(dir.file(name));
    CHECK(a.type == 0x08);
    REQUIRE(a.dims == std::vector<arma::uword>{3, 2, 2});
    CHECK(a.items() == 3);
    CHECK(a.item_size() == 4);
    const arma::mat m = idx_to_matrix(a);
    REQUIRE(m.n_rows == 4);
    REQUIRE(m.n_cols == 3);
    for (arma::uword j = 0; j < 3; ++j)
      for (arma::uword i = 0; i < 4; ++i) CHECK(m(i, j) == 10.0 * (4 * j + i));
    const arma::mat some = idx_to_matrix(a, {2, 0});
    CHECK(some(0, 0) == 80.0);
    CHECK(some(3, 1) == 30.0);
    CHECK(idx_to_matrix(a, {1}, 10.0)(2, 0) == 6.0);  // divisor applied: 60 / 10
  }
}

TEST_CASE("idx: every element type decodes big-endian bytes", "[data][idx]") {
  TempDir dir("idx_types");
  struct Case {
    unsigned char type;
    Bytes element_bytes;
    double expected;
  } cases[] = {
      {0x09, {0xFE}, -2.0},
      {0x0B, {0xFF, 0xFE}, -2.0},
      {0x0B, {0x01, 0x02}, 258.0},
      {0x0C, {0xFF, 0xFE, 0x79, 0x60}, -100000.0},
      {0x0D, {0x3F, 0xC0, 0x00, 0x00}, 1.5},
      {0x0E, {0xBF, 0xD0, 0, 0, 0, 0, 0, 0}, -0.25},
  };
  for (const auto& c : cases) {
    Bytes b = {0, 0, c.type, 1, 0, 0, 0, 1};
    b.insert(b.end(), c.element_bytes.begin(), c.element_bytes.end());
    write_bytes(dir.file("v.idx"), b);
    const arma::mat m = idx_to_matrix(read_idx(dir.file("v.idx")));
    REQUIRE(m.n_rows == 1);
    REQUIRE(m.n_cols == 1);
    CHECK(m(0, 0) == c.expected);

    // write_idx produces exactly these bytes.
    write_idx(dir.file("w.idx"), m, {1}, c.type, /*gzip=*/false);
    CHECK(read_plain(dir.file("w.idx")) == b);
  }
}

TEST_CASE("idx: write_idx gzip output equals the hand-written image file", "[data][idx]") {
  TempDir dir("idx_write");
  arma::mat m(4, 3);
  for (arma::uword k = 0; k < 12; ++k) m(k) = 10.0 * k;
  write_idx(dir.file("w.idx"), m, {3, 2, 2}, 0x08, false);
  CHECK(read_plain(dir.file("w.idx")) == small_images());
  write_idx(dir.file("w.idx.gz"), m, {3, 2, 2});
  CHECK(arma::approx_equal(idx_to_matrix(read_idx(dir.file("w.idx.gz"))), m, "absdiff", 0.0));
  CHECK_THROWS_WITH(write_idx(dir.file("x.idx"), m * 30, {3, 2, 2}),
                    Catch::Contains("does not fit"));
  CHECK_THROWS_WITH(write_idx(dir.file("x.idx"), m, {4, 3}), Catch::Contains("do not fit"));
}

TEST_CASE("idx: malformed files name the file and the byte offset", "[data][idx]") {
  TempDir dir("idx_bad");

  Bytes bad_magic = small_images();
  bad_magic[0] = 0x1F;
  write_bytes(dir.file("magic.idx"), bad_magic);
  std::string e = error_of(dir.file("magic.idx"));
  CHECK_THAT(e, Catch::Contains(dir.file("magic.idx")) && Catch::Contains("bad magic number") &&
                    Catch::Contains("byte offset 0"));

  Bytes bad_type = small_images();
  bad_type[2] = 0x07;
  write_bytes(dir.file("type.idx"), bad_type);
  CHECK_THAT(error_of(dir.file("type.idx")), Catch::Contains("bad magic number 0x703"));

  Bytes no_dims = small_images();
  no_dims[3] = 0;
  write_bytes(dir.file("dims.idx"), no_dims);
  CHECK_THAT(error_of(dir.file("dims.idx")), Catch::Contains("bad magic number"));

  // Data cut short: 16 header bytes + 10 of the 12 pixels.
  Bytes short_data = small_images();
  short_data.resize(26);
  write_gzip(dir.file("short.idx.gz"), short_data);
  e = error_of(dir.file("short.idx.gz"));
  CHECK_THAT(e, Catch::Contains(dir.file("short.idx.gz")) && Catch::Contains("truncated") &&
                    Catch::Contains("byte offset 26") && Catch::Contains("3 x 2 x 2"));

  // Header cut inside the second dimension.
  Bytes short_header = small_images();
  short_header.resize(10);
  write_bytes(dir.file("header.idx"), short_header);
  CHECK_THAT(error_of(dir.file("header.idx")),
             Catch::Contains("truncated at byte offset 10") && Catch::Contains("dimension"));

  Bytes too_long = small_images();
  too_long.push_back(7);
  write_bytes(dir.file("long.idx"), too_long);
  CHECK_THAT(error_of(dir.file("long.idx")), Catch::Contains("byte offset 28"));

  // A gzip stream cut in the middle: zlib reports the damage.
  Bytes big = {0, 0, 0x08, 1, 0, 0, 0x10, 0};  // 4096 bytes of data
  for (int k = 0; k < 4096; ++k) big.push_back(static_cast<unsigned char>((k * 7919) % 251));
  write_gzip(dir.file("cut.idx.gz"), big);
  Bytes gz = read_plain(dir.file("cut.idx.gz"));
  gz.resize(gz.size() / 2);
  write_bytes(dir.file("cut.idx.gz"), gz);
  CHECK_THAT(error_of(dir.file("cut.idx.gz")), Catch::Contains(dir.file("cut.idx.gz")));

  CHECK_THAT(error_of(dir.file("missing.idx")),
             Catch::Contains("cannot open") && Catch::Contains("missing.idx"));
}
