// Which files a sandboxed script may read and write (ntklab run --sandbox, --allow-read,
// --allow-write).
//
// A path is allowed when, resolved on the real file system, it lies inside one of the allowed
// directories: the part of the path that exists is resolved with its symbolic links (so a link
// that leads out of a directory leads out of the sandbox), and the part that does not exist yet
// (a file about to be written) may hold neither ".." nor a dangling link. A directory given to
// --allow-write may also be read. Outside the sandbox no state carries rules and every check
// passes. (A link swapped in between the check and the open is not caught: the sandbox is for
// scripts, not for racing local users.)
#pragma once

#include <string>
#include <vector>

struct lua_State;

namespace ntk::lua {

class FileAccess {
 public:
  // Resolves the directories; throws ntk::Error naming the flag for one that is not a directory.
  FileAccess(const std::vector<std::string>& read_dirs, const std::vector<std::string>& write_dirs);

  bool may_read(const std::string& path) const;
  bool may_write(const std::string& path) const;
  // `require` may also load modules from under `dir` (the script's folder, scripts/lib); other
  // reads stay limited to the --allow-read and --allow-write directories.
  void add_module_directory(const std::string& dir);
  bool may_load_module(const std::string& path) const;

  const std::vector<std::string>& read_directories() const { return read_; }
  const std::vector<std::string>& write_directories() const { return write_; }

 private:
  std::vector<std::string> read_;   // resolved, write_ included
  std::vector<std::string> write_;  // resolved
  std::vector<std::string> modules_;  // resolved
};

// `path` resolved as described above (an absolute path, links resolved), or "" when it cannot be
// (a ".." or a dangling link in the part that does not exist).
std::string resolve_path(const std::string& path);

// True when the resolved `path` is `dir` or lies inside it (both resolved).
bool is_inside(const std::string& path, const std::string& dir);

// Gives the state rules (it takes a copy; the state owns it from now on).
void install_file_access(lua_State* L, const FileAccess& access);

// The state's rules, or nullptr outside the sandbox.
const FileAccess* file_access(lua_State* L);

// Throw ntk::Error "FUNCTION: reading PATH is not allowed in the sandbox (readable: DIRS; add
// --allow-read DIR)" when the state has rules and they refuse `path`; do nothing otherwise.
void check_read(lua_State* L, const std::string& path, const std::string& function);
void check_write(lua_State* L, const std::string& path, const std::string& function);
// The message check_read / check_write would throw, or "" when allowed (for code that must not
// throw); module_refusal is require's (the module directories and the readable ones).
std::string read_refusal(lua_State* L, const std::string& path, const std::string& function);
std::string write_refusal(lua_State* L, const std::string& path, const std::string& function);
std::string module_refusal(lua_State* L, const std::string& path, const std::string& function);

}  // namespace ntk::lua
