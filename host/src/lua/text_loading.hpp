// Lua code loads as source text only, everywhere: the script itself, `require`, and `load`,
// `loadfile`, `dofile` inside scripts.
//
// Precompiled chunks (string.dump, luac) are refused: Lua does not verify bytecode, and a
// mutated chunk crashes the host (issue 13: 20 of 120 mutated chunks segfaulted it).
#pragma once

#include <string>

struct lua_State;

namespace ntk::lua {

// luaL_loadfilex(L, path, "t") (stdin when path is nullptr) with a message that names the file
// when it holds a precompiled chunk: "PATH: a precompiled Lua chunk (bytecode) is refused:
// ntklab loads Lua source text only". Pushes the chunk or the message; returns the Lua status.
int load_text_file(lua_State* L, const char* path);

// Replaces the globals `load`, `loadfile`, `dofile` and the Lua-file searcher of `require`
// (package.searchers[2]) with text-only versions. loadfile, dofile and the searcher also obey
// the sandbox's read rules (file_access.hpp) when the state has them. Call after luaL_openlibs.
void install_text_only_loading(lua_State* L);

}  // namespace ntk::lua
