// The mutator of the fuzz tests: deterministic for a seed, and each damage it documents occurs.
#include <catch2/catch.hpp>

#include "mutate.hpp"

using namespace ntk::test;

TEST_CASE("mutator: the same seed gives the same inputs", "[data_fuzz]") {
  Mutator a(7), b(7);
  const Bytes seed = {0, 0, 8, 1, 0, 0, 0, 2, 5, 6};
  for (int i = 0; i < 50; ++i) {
    CHECK(a.binary(seed) == b.binary(seed));
    CHECK(a.text("2\n1 0\n0 0\n") == b.text("2\n1 0\n0 0\n"));
  }
}

TEST_CASE("mutator: huge counts, deleted and duplicated lines all occur", "[data_fuzz]") {
  Mutator m(11);
  const std::string seed = "3\n10 20\n30 40\n";  // 3 lines, 5 numbers, 16 bytes
  bool huge = false, shorter = false, longer = false;
  int unchanged = 0;
  for (int i = 0; i < 400; ++i) {
    const std::string out = m.text(seed);
    huge |= out.find("2147483648") != std::string::npos ||
            out.find("4294967295") != std::string::npos;
    shorter |= out.size() < seed.size();
    longer |= out.find("30 40\n30 40\n") != std::string::npos;  // a duplicated line
    if (out == seed) ++unchanged;
  }
  CHECK(huge);
  CHECK(shorter);
  CHECK(longer);
  CHECK(unchanged < 100);  // most inputs differ from the seed

  // Binary: a huge 32-bit count lands on a header-aligned offset.
  bool big_count = false;
  const Bytes header = {0, 0, 8, 1, 0, 0, 0, 2, 5, 6};
  for (int i = 0; i < 400 && !big_count; ++i) {
    const Bytes out = m.binary(header);
    big_count = out.size() >= 8 && out[4] == 0xFF && out[5] == 0xFF && out[6] == 0xFF &&
                out[7] == 0xFF;
  }
  CHECK(big_count);
}
