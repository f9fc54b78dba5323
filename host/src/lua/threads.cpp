// Lua function ntk.threads: how many threads ntk's next computation may use.
//
//   local openmp, blas = ntk.threads()
//   -- openmp: the threads of the next parallel region (omp_get_max_threads())
//   -- blas:   the threads of the next BLAS call (openblas_get_num_threads())
// Both start from OMP_NUM_THREADS / OPENBLAS_NUM_THREADS (default: every core). In a batch they
// grow when other jobs end and cores become free (core/threads/share.hpp); like every ntk call,
// this one takes up a new share first, so it shows what the next call will get.
#include <lua.hpp>

#include "core/threads/share.hpp"
#include "lua/module.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::lua {
namespace {

int l_threads(lua_State* L) {
  return protect(L, [&] {
    if (lua_gettop(L) != 0)
      throw_error("ntk.threads(): takes no argument (set the threads with OMP_NUM_THREADS and "
                  "OPENBLAS_NUM_THREADS before starting ntklab)");
    const core::threads::Counts counts = core::threads::current();
    lua_pushinteger(L, counts.openmp);
    lua_pushinteger(L, counts.blas);
    return 2;
  });
}

}  // namespace

void open_threads(lua_State* L, Context&) {
  lua_pushcfunction(L, l_threads);
  lua_setfield(L, -2, "threads");
}

}  // namespace ntk::lua
