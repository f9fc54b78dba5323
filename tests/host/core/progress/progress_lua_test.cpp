// ntk.progress from Lua (lua/progress.cpp): reads and sets the process-wide switch of
// core/progress/switch.hpp; anything but a boolean is refused naming the function.
#include "../../lua/lua_fixture.hpp"

#include "core/progress/switch.hpp"

using ntk::lua::test::LuaFixture;

TEST_CASE("ntk.progress switches progress reports off and on", "[progress]") {
  const bool before = ntk::core::progress::enabled();
  LuaFixture lua;
  lua.ok("OFF = ntk.progress(false); NOW = ntk.progress()");
  CHECK_FALSE(lua.boolean("OFF"));
  CHECK_FALSE(lua.boolean("NOW"));
  CHECK_FALSE(ntk::core::progress::enabled());
  lua.ok("ON = ntk.progress(true)");
  CHECK(lua.boolean("ON"));
  CHECK(ntk::core::progress::enabled());
  CHECK_THAT(lua.error("ntk.progress('no')"),
             Catch::Contains("ntk.progress(): the argument must be true or false, got string"));
  CHECK_THAT(lua.error("ntk.progress(true, 1)"), Catch::Contains("at most one argument"));
  ntk::core::progress::set_enabled(before);
}
