// A:kernel(..., {precision = "float32", cache = path}): the cached kernel equals the kernel
// computed directly (fc and cnn, symmetric and cross), a second call reads the file instead of
// computing, writes to the returned fmatrix never reach the file, a file of another kernel or
// a bad option is refused at the caller's line, and a kernel too large for memory is refused
// with its plan before anything is allocated.
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>

#include "../lua_fixture.hpp"

using ntk::lua::test::LuaFixture;
using ntk::lua::test::relative_error;
using ntk::lua::test::TempDir;

namespace {

struct CacheFixture : LuaFixture {
  CacheFixture() : dir("kernel_cache") {
    registry.discover({ntk::lua::test::build_dir() + "/plugins"});
    arma::arma_rng::set_seed(31);
    set_matrix("X", arma::randn(6, 50));
    set_matrix("Y", arma::randn(6, 30));
    set_matrix("IMG", arma::randu(36, 20));
    lua_pushstring(L, dir.path.string().c_str());
    lua_setglobal(L, "DIR");
  }
  TempDir dir;
};

// Overwrites entry (0, 0) of a kernel file's data (small files: header page + one map page).
void poke_first_entry(const std::string& path, float value) {
  const int fd = ::open(path.c_str(), O_WRONLY);
  REQUIRE(fd >= 0);
  REQUIRE(::pwrite(fd, &value, sizeof value, 8192) == ssize_t(sizeof value));
  ::close(fd);
}

}  // namespace

TEST_CASE("a cached kernel equals the kernel computed directly", "[lua][cache]") {
  CacheFixture lua;
  lua.ok(R"(
    fc = ntk.arch("fc", {depth = 3, activation = "relu", w_std = 1.4, b_std = 0.3})
    K = fc:kernel(X, X, "ntk", {precision = "float32", cache = DIR .. "/k.ntk", cache_tile = 16})
    K64 = fc:kernel(X, X, "ntk")
    Kc = K:to_matrix()
    G = fc:kernel(X, Y, "nngp", {precision = "float32", cache = DIR .. "/g.nngp", cache_tile = 16})
    G64 = fc:kernel(X, Y, "nngp")
    Gc = G:to_matrix()
    -- the same data in another Lua value is the same symmetric kernel (same file)
    S = fc:kernel(X, X:copy(), "ntk", {precision = "float32", cache = DIR .. "/k.ntk"}):to_matrix()
    cnn = ntk.arch("cnn", {depth = 2, readout = "flatten", w_std = 1.3, b_std = 0.2})
    im = {x = IMG, shape = {1, 6, 6}}
    C = cnn:kernel(im, im, "ntk", {precision = "float32", cache = DIR .. "/c.ntk", cache_tile = 7}):to_matrix()
    C64 = cnn:kernel(im, im, "ntk")
  )");
  // The float64 kernel rounded to float (relative 6e-8 an entry).
  CHECK(relative_error(lua.matrix("Kc"), lua.matrix("K64")) < 3e-7);
  CHECK(relative_error(lua.matrix("Gc"), lua.matrix("G64")) < 3e-7);
  CHECK(arma::approx_equal(lua.matrix("S"), lua.matrix("Kc"), "absdiff", 0.0));
  CHECK(relative_error(lua.matrix("C"), lua.matrix("C64")) < 3e-7);
  CHECK(arma::approx_equal(lua.matrix("Kc"), lua.matrix("Kc").t(), "absdiff", 0.0));
}

TEST_CASE("a second call reads the cache file; the fmatrix is private", "[lua][cache]") {
  CacheFixture lua;
  lua.ok(R"(
    fc = ntk.arch("fc", {depth = 2, w_std = 1.2, b_std = 0.1})
    path = DIR .. "/k.ntk"
    first, info1 = fc:kernel(X, X, "ntk", {precision = "float32", cache = path, cache_tile = 16})
    before = first:to_matrix()
    tiles1, computed1, disk1, entries1 = info1.tiles, info1.tiles_computed, info1.tiles_from_disk, info1.entries_computed
  )");
  poke_first_entry(lua.dir.file("k.ntk"), 12345.0f);
  lua.ok(R"(
    again, info2 = fc:kernel(X, X, "ntk", {precision = "float32", cache = path})
    computed2, disk2, entries2 = info2.tiles_computed, info2.tiles_from_disk, info2.entries_computed
    read = again:get(1, 1)
    fit = ntk.solve.ridge(again, X, 1.0)   -- factorises in place, in the private mapping
    again:set(2, 2, -7)
    third = fc:kernel(X, X, "ntk", {precision = "float32", cache = path})
    kept, untouched = third:get(1, 1), third:get(2, 2)
  )");
  CHECK(lua.number("read") == 12345.0);  // from the file, not recomputed
  // 50 examples in tiles of 16, 16, 16, 2: 10 tiles on and above the diagonal, holding
  // (50² + 3 · 16² + 2²) / 2 = 1636 entries.
  CHECK(lua.number("tiles1") == 10);
  CHECK(lua.number("computed1") == 10);
  CHECK(lua.number("disk1") == 0);
  CHECK(lua.number("entries1") == 1636);
  CHECK(lua.number("computed2") == 0);
  CHECK(lua.number("disk2") == 10);
  CHECK(lua.number("entries2") == 0);
  CHECK(lua.number("kept") == 12345.0);
  CHECK(lua.number("untouched") == Approx(lua.matrix("before")(1, 1)).epsilon(1e-7));
}

TEST_CASE("cache refusals name the problem at the caller's line", "[lua][cache]") {
  CacheFixture lua;
  lua.ok(R"(
    fc = ntk.arch("fc", {depth = 2, w_std = 1.2})
    fc:kernel(X, X, "ntk", {precision = "float32", cache = DIR .. "/k.ntk"})
  )");
  CHECK_THAT(lua.error(R"(
    other = ntk.arch("fc", {depth = 2, w_std = 1.3})
    other:kernel(X, X, "ntk", {precision = "float32", cache = DIR .. "/k.ntk"})
  )"), Catch::Contains(":3:") && Catch::Contains("holds another kernel") &&
           Catch::Contains("w_std = 1.2"));
  CHECK_THAT(lua.error(R"(fc:kernel(X, Y, "ntk", {precision = "float32", cache = DIR .. "/k.ntk"}))"),
             Catch::Contains("50 x 50, this one 50 x 30"));
  CHECK_THAT(lua.error(R"(fc:kernel(X, X, "nngp", {precision = "float32", cache = DIR .. "/k.ntk"}))"),
             Catch::Contains("its kernel is \"ntk\""));
  CHECK_THAT(lua.error(R"(fc:kernel(X, X, "ntk", {cache = DIR .. "/x"}))"),
             Catch::Contains("precision = \"float32\""));
  CHECK_THAT(lua.error(R"(fc:kernel(X, X, "ntk", {precision = "float32", log_scale = true, cache = DIR .. "/x"}))"),
             Catch::Contains("log_scale"));
  CHECK_THAT(lua.error(R"(fc:kernels(X, X, {precision = "float32", cache = DIR .. "/x"}))"),
             Catch::Contains("cache"));
}

TEST_CASE("a kernel that cannot fit is refused with a plan before allocating", "[lua][cache]") {
  CacheFixture lua;
  ::setenv("NTKLAB_MAX_BYTES", "1e9", 1);
  const std::string message = lua.error(R"(
    fc = ntk.arch("fc", {depth = 1})
    Z = ntk.matrix(1, 20000, 1)
    fc:kernel(Z, Z, "ntk")
  )");
  ::unsetenv("NTKLAB_MAX_BYTES");
  CHECK_THAT(message, Catch::Contains("20000 x 20000 kernel needs 3.2 GB as float64") &&
                          Catch::Contains("{precision = \"float32\"} needs 1.6 GB (does not fit either)") &&
                          Catch::Contains("cache = \"FILE\"") &&
                          Catch::Contains("at most 11180 examples"));
}
