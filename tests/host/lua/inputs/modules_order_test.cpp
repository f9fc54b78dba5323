// ntk.* modules register in any order: opening every module in reverse order gives the same
// functions (names of ntk.* and one level below, and the methods of the userdata types).
#include "../lua_fixture.hpp"

#include <algorithm>
#include <set>

using ntk::lua::test::LuaFixture;

namespace {

// "ntk.data.tu", ... : the names in `table` (at the top of the stack) and one level below.
void collect(lua_State* L, const std::string& prefix, int depth, std::set<std::string>& out) {
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    if (lua_type(L, -2) == LUA_TSTRING) {
      const std::string name = prefix + "." + lua_tostring(L, -2);
      out.insert(name + ":" + luaL_typename(L, -1));
      if (depth > 0 && lua_istable(L, -1)) collect(L, name, depth - 1, out);
    }
    lua_pop(L, 1);
  }
}

// The ntk names plus the methods of each userdata type's metatable.
std::set<std::string> names(lua_State* L) {
  std::set<std::string> out;
  collect(L, "ntk", 1, out);
  for (const char* meta : {"ntk.matrix", "ntk.arch", "ntk.network", "ntk.graphs"}) {
    luaL_getmetatable(L, meta);
    if (lua_istable(L, -1)) collect(L, meta, 1, out);
    lua_pop(L, 1);
  }
  return out;
}

std::set<std::string> opened(ntk::lua::Context& ctx,
                             const std::vector<ntk::lua::ModuleOpener>& openers) {
  lua_State* L = luaL_newstate();
  luaL_openlibs(L);
  *static_cast<ntk::lua::Context**>(lua_getextraspace(L)) = &ctx;
  lua_newtable(L);
  ntk::lua::open_modules(L, ctx, openers);
  std::set<std::string> out = names(L);
  lua_close(L);
  return out;
}

}  // namespace

TEST_CASE("modules opened in reverse order register the same functions", "[lua][modules]") {
  ntk::host::PluginRegistry registry;
  ntk::host::RegistrySource source(registry);
  ntk::lua::Context ctx;
  ctx.architectures = &source;
  const auto& forward = ntk::lua::module_openers();
  REQUIRE(forward.size() >= 14);
  std::vector<ntk::lua::ModuleOpener> reverse(forward.rbegin(), forward.rend());
  const std::set<std::string> a = opened(ctx, forward), b = opened(ctx, reverse);
  // Spot checks that the listing sees what the order used to matter for.
  for (const char* name : {"ntk.data.tu:function", "ntk.data.mnist:function",
                           "ntk.data.uci:function", "ntk.data.deform:function",
                           "ntk.analysis.funk_hecke:function", "ntk.analysis.spectrum:function",
                           "ntk.arch.__index.kernel_family:function",
                           "ntk.arch.__index.kernel:function", "ntk.train.gd:function"}) {
    INFO(name);
    CHECK(a.count(name) == 1);
  }
  std::vector<std::string> only_a, only_b;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(only_a));
  std::set_difference(b.begin(), b.end(), a.begin(), a.end(), std::back_inserter(only_b));
  INFO("only in the usual order: " << only_a.size() << ", only in reverse: " << only_b.size());
  for (const auto& n : only_a) UNSCOPED_INFO("usual only: " << n);
  for (const auto& n : only_b) UNSCOPED_INFO("reverse only: " << n);
  CHECK(a == b);
  CHECK(a.size() > 80);
}

TEST_CASE("a state made by new_state has every module's functions", "[lua][modules]") {
  LuaFixture lua;
  lua.ok(R"(
    assert(type(ntk.data.tu) == "function" and type(ntk.analysis.funk_hecke) == "function")
    assert(type(ntk.kernels.gaussian) == "function" and type(ntk.train.gd) == "function")
  )");
}
