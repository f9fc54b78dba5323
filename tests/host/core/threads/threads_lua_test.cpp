// ntk.threads() from Lua (lua/threads.cpp): the counts OpenMP and OpenBLAS report, and a batch's
// new share taken up at the call itself (every ntk call is a safe point: lua::protect).
#include "../../lua/lua_fixture.hpp"

#include <omp.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/threads/share.hpp"

using ntk::lua::test::LuaFixture;
namespace threads = ntk::core::threads;
namespace fs = std::filesystem;

TEST_CASE("ntk.threads() gives the OpenMP and OpenBLAS thread counts", "[threads][lua]") {
  const threads::Counts before = threads::current();
  LuaFixture lua;
  threads::apply(3);
  lua.ok("OMP, BLAS = ntk.threads()");
  CHECK(lua.number("OMP") == omp_get_max_threads());
  CHECK(lua.number("OMP") == 3);
  CHECK(lua.number("BLAS") == 3);
  lua.ok("IS_INTEGER = math.type(OMP) == 'integer' and math.type(BLAS) == 'integer'");
  CHECK(lua.boolean("IS_INTEGER"));
  CHECK_THAT(lua.error("ntk.threads(2)"), Catch::Contains("ntk.threads(): takes no argument"));
  threads::apply(before.blas);
  omp_set_num_threads(before.openmp);
}

TEST_CASE("Any ntk call takes up the batch's new share first", "[threads][lua]") {
  const threads::Counts before = threads::current();
  const fs::path file = fs::temp_directory_path() / ("ntk_threads_lua_" + std::to_string(::getpid()));
  {
    std::ofstream(file.string() + ".tmp") << "2\n";
    fs::rename(file.string() + ".tmp", file);
  }
  threads::apply(1);
  threads::watch(file.c_str());
  LuaFixture lua;
  lua.ok("ntk.progress()");  // an unrelated call is a safe point too
  CHECK(threads::current().openmp == 2);
  CHECK(threads::current().blas == 2);
  threads::watch(nullptr);
  fs::remove(file);
  threads::apply(before.blas);
  omp_set_num_threads(before.openmp);
}
