// IDX headers that announce more than the file holds (issue 13): each reproducer must end in an
// ntk::Error naming the file and the offset, within seconds and 512 MB of address space.
#include <zlib.h>

#include <catch2/catch.hpp>

#include "bounded_run.hpp"
#include "core/data/idx.hpp"
#include "ntk/sdk/error.hpp"
#include "temp_dir.hpp"

using namespace ntk::core::data;
using ntk::test::bounded_run;
using ntk::test::BoundedOutcome;
using ntk::test::TempDir;
using ntk::test::write_bytes;
using Bytes = std::vector<unsigned char>;

namespace {

void write_gzip(const std::string& path, const Bytes& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  if (!bytes.empty())
    REQUIRE(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())) ==
            static_cast<int>(bytes.size()));
  REQUIRE(gzclose(f) == Z_OK);
}

BoundedOutcome read_bounded(const std::string& path) {
  return bounded_run([&] { read_idx(path); });
}

}  // namespace

TEST_CASE("idx: an 8-byte file announcing 2^32-1 items is refused from its length",
          "[data][idx][bounds]") {
  // The reproducer of issue 13: zero-filled 4.2 GB and took 51 s before failing.
  TempDir dir("idx_bounds_items");
  const std::string path = dir.file("items.idx");
  write_bytes(path, {0, 0, 0x08, 1, 0xFF, 0xFF, 0xFF, 0xFF});
  const BoundedOutcome out = read_bounded(path);
  INFO(out.describe());
  REQUIRE(out.kind == BoundedOutcome::error);
  CHECK_THAT(out.message, Catch::Contains(path) && Catch::Contains("truncated at byte offset 8") &&
                              Catch::Contains("4294967295 items of 1 bytes") &&
                              Catch::Contains("= 4294967295 bytes from byte offset 8") &&
                              Catch::Contains("the file holds only 0"));
  CHECK(out.seconds < 5);
}

TEST_CASE("idx: a gzip stream announcing 4 GiB is read incrementally and fails where it ends",
          "[data][idx][bounds]") {
  // 16 items of 16384 x 16384 bytes = 4 GiB announced, 100 bytes present. The old reader
  // reserved all of it (a bare bad_alloc under a memory limit); now the buffer grows with the
  // decompressed data, so 512 MB of address space is plenty.
  TempDir dir("idx_bounds_gzip");
  const std::string path = dir.file("big.idx.gz");
  Bytes b = {0, 0, 0x08, 3, 0, 0, 0, 16, 0, 0, 0x40, 0, 0, 0, 0x40, 0};
  for (int k = 0; k < 100; ++k) b.push_back(static_cast<unsigned char>(k));
  write_gzip(path, b);
  const BoundedOutcome out = read_bounded(path);
  INFO(out.describe());
  REQUIRE(out.kind == BoundedOutcome::error);
  CHECK_THAT(out.message,
             Catch::Contains(path) && Catch::Contains("truncated at byte offset 116") &&
                 Catch::Contains("16 x 16384 x 16384 unsigned byte values") &&
                 Catch::Contains("16 items of 268435456 bytes = 4294967296 bytes") &&
                 Catch::Contains("the decompressed stream holds only 100"));
  CHECK(out.seconds < 5);

  // The same header with its 2^32 - 1 items and nothing after it, compressed.
  write_gzip(path, {0, 0, 0x08, 1, 0xFF, 0xFF, 0xFF, 0xFF});
  const BoundedOutcome empty = read_bounded(path);
  INFO(empty.describe());
  REQUIRE(empty.kind == BoundedOutcome::error);
  CHECK_THAT(empty.message, Catch::Contains("decompressed stream holds only 0"));
}

TEST_CASE("idx: dimensions whose product overflows 64 bits are refused", "[data][idx][bounds]") {
  // Four dimensions of 2^32 - 1: the product (about 3.4e38) wraps any integer type.
  TempDir dir("idx_bounds_overflow");
  const std::string path = dir.file("overflow.idx");
  Bytes b = {0, 0, 0x0E, 4};
  for (int i = 0; i < 16; ++i) b.push_back(0xFF);
  b.resize(b.size() + 64, 0);
  write_bytes(path, b);
  const BoundedOutcome out = read_bounded(path);
  INFO(out.describe());
  REQUIRE(out.kind == BoundedOutcome::error);
  CHECK_THAT(out.message, Catch::Contains(path) && Catch::Contains("at most 2^32 bytes"));

  // With zero items the item shape still may not exceed 2^32 bytes (item_size() must fit).
  Bytes zero = {0, 0, 0x08, 3, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 2};
  write_bytes(path, zero);
  const BoundedOutcome none = read_bounded(path);
  INFO(none.describe());
  REQUIRE(none.kind == BoundedOutcome::error);
  CHECK_THAT(none.message, Catch::Contains("0 items of 8589934590 bytes"));

  // A header just under the limit with zero items is an empty array.
  write_bytes(path, {0, 0, 0x08, 3, 0, 0, 0, 0, 0, 0, 0, 28, 0, 0, 0, 28});
  const IdxArray empty = read_idx(path);
  CHECK(empty.items() == 0);
  CHECK(empty.item_size() == 784);
}

TEST_CASE("idx: a valid file larger than the first read chunk still reads exactly",
          "[data][idx][bounds]") {
  // 3 MiB + 5 bytes of data: the buffer grows 1 MiB -> 2 MiB -> the announced size.
  TempDir dir("idx_bounds_chunks");
  const arma::uword n = 3 * (1 << 20) + 5;
  Bytes b = {0, 0, 0x08, 1, static_cast<unsigned char>(n >> 24), static_cast<unsigned char>(n >> 16),
             static_cast<unsigned char>(n >> 8), static_cast<unsigned char>(n)};
  for (arma::uword k = 0; k < n; ++k) b.push_back(static_cast<unsigned char>((k * 31) % 253));
  write_gzip(dir.file("long.idx.gz"), b);
  const IdxArray a = read_idx(dir.file("long.idx.gz"));
  REQUIRE(a.bytes.size() == n);
  CHECK(a.value(0) == 0);
  CHECK(a.value(1) == 31);
  CHECK(a.value(n - 1) == static_cast<double>(((n - 1) * 31) % 253));
  CHECK(a.value((1 << 20) + 1) == static_cast<double>((((1 << 20) + 1) * 31) % 253));
}
