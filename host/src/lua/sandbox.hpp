// `ntklab run --sandbox`: a script from someone else runs with an allow-list of globals
// (as Neovim and Redis do), not a deny-list.
//
// What a sandboxed script sees:
//   base       assert error ipairs next pairs pcall xpcall print select tonumber tostring type
//              rawequal rawget rawlen rawset getmetatable setmetatable warn _VERSION _G
//              load (text only), loadfile / dofile (text only, readable files only),
//              require (Lua modules only: the script's folder, its lib/, scripts/lib, --allow-read
//              folders), collectgarbage("count" | "collect" | "step") only
//   string     everything but string.dump (nothing may load bytecode anyway)
//   table math utf8 coroutine   everything
//   os         clock time date difftime (no getenv: the environment may hold secrets)
//   io         write, type, stdout, stderr; open and lines within the allowed folders
//   ntk        everything; the functions that name a file obey --allow-read / --allow-write:
//              ntk.io.* (io.cpp), ntk.data.idx/csv/uci/tu (a path; a bare data-set name reads the
//              toolkit's data folder), ntk.data.mnist/fashion_mnist{dir =}, ntk.plot.line /
//              heatmap{file =}, M:save_csv(path)
//   params     the --set values
// Not there: os.execute, os.remove, os.rename, os.exit, os.getenv, os.tmpname, io.popen,
// io.input/output/read/tmpfile, package (loadlib, cpath, C searchers), debug, string.dump.
// A table argument with a metatable is refused by the file-naming ntk functions (its fields
// could change between the check and the use).
#pragma once

#include <string>
#include <vector>

struct lua_State;

namespace ntk::lua {

// Turns a state made by new_state (with add_script_directory done) into a sandbox for the script
// at `script_path`. Throws ntk::Error for an --allow-read / --allow-write that is not a
// directory. Call before loading the script: its chunk takes the sandbox's globals.
void enter_sandbox(lua_State* L, const std::string& script_path,
                   const std::vector<std::string>& allow_read,
                   const std::vector<std::string>& allow_write);

}  // namespace ntk::lua
