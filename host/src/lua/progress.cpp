// Lua function ntk.progress: the switch for progress reports (core/progress/switch.hpp).
//
//   ntk.progress(false)  -- no progress bars or lines from here on (ntk.train.gd, kernels)
//   ntk.progress(true)   -- back on (stderr still must be worth writing to: see reporter.hpp)
//   ntk.progress()       -> true | false, the current setting
// The environment's NTKLAB_PROGRESS=0 sets the initial state; this call overrides it.
#include <lua.hpp>

#include "core/progress/switch.hpp"
#include "lua/module.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::lua {
namespace {

int l_progress(lua_State* L) {
  return protect(L, [&] {
    const int given = lua_gettop(L);
    if (given > 1) throw_error("ntk.progress(): takes at most one argument (true or false)");
    if (given == 1) {
      if (lua_type(L, 1) != LUA_TBOOLEAN)
        throw_error("ntk.progress(): the argument must be true or false, got ",
                    luaL_typename(L, 1));
      core::progress::set_enabled(lua_toboolean(L, 1) != 0);
    }
    lua_pushboolean(L, core::progress::enabled());
    return 1;
  });
}

}  // namespace

void open_progress(lua_State* L, Context&) {
  lua_pushcfunction(L, l_progress);
  lua_setfield(L, -2, "progress");
}

}  // namespace ntk::lua
