// The sandbox's file rules: resolving paths on the real file system and checking them against
// the allowed directories (file_access.hpp).
#include "lua/file_access.hpp"

#include <lua.hpp>

#include <filesystem>
#include <new>

#include "ntk/sdk/error.hpp"

namespace ntk::lua {
namespace fs = std::filesystem;
namespace {

constexpr const char* kFileAccessKey = "ntk.file_access";

std::string resolve_directory(const std::string& dir, const std::string& flag) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw_error(flag, " ", dir, ": not a directory");
  return fs::canonical(dir).string();
}

bool inside_any(const std::string& path, const std::vector<std::string>& dirs) {
  if (path.empty()) return false;
  for (const auto& dir : dirs)
    if (is_inside(path, dir)) return true;
  return false;
}

std::string joined(const std::vector<std::string>& dirs) {
  std::string out;
  for (const auto& d : dirs) out += (out.empty() ? "" : ", ") + d;
  return out.empty() ? "none" : out;
}

int file_access_gc(lua_State* L) {
  static_cast<FileAccess*>(lua_touserdata(L, 1))->~FileAccess();
  return 0;
}

}  // namespace

std::string resolve_path(const std::string& path) {
  if (path.empty()) return "";
  std::error_code ec;
  fs::path existing = fs::absolute(path, ec);
  if (ec) return "";
  // Peel components off the end until what is left exists (stat follows links, as open will).
  std::vector<fs::path> missing;
  while (!fs::exists(existing, ec)) {
    if (fs::is_symlink(fs::symlink_status(existing, ec))) return "";  // a dangling link
    if (!existing.has_relative_path()) return "";
    const fs::path name = existing.filename();
    if (name == "..") return "";
    if (!name.empty() && name != ".") missing.push_back(name);
    existing = existing.parent_path();
  }
  fs::path resolved = fs::canonical(existing, ec);
  if (ec) return "";
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) resolved /= *it;
  return resolved.string();
}

bool is_inside(const std::string& path, const std::string& dir) {
  if (path.size() < dir.size() || path.compare(0, dir.size(), dir) != 0) return false;
  return path.size() == dir.size() || dir == "/" || path[dir.size()] == '/';
}

FileAccess::FileAccess(const std::vector<std::string>& read_dirs,
                       const std::vector<std::string>& write_dirs) {
  for (const auto& dir : write_dirs) write_.push_back(resolve_directory(dir, "--allow-write"));
  for (const auto& dir : read_dirs) read_.push_back(resolve_directory(dir, "--allow-read"));
  read_.insert(read_.end(), write_.begin(), write_.end());
}

bool FileAccess::may_read(const std::string& path) const {
  return inside_any(resolve_path(path), read_);
}

bool FileAccess::may_write(const std::string& path) const {
  return inside_any(resolve_path(path), write_);
}

void FileAccess::add_module_directory(const std::string& dir) {
  std::error_code ec;
  if (fs::is_directory(dir, ec)) modules_.push_back(fs::canonical(dir).string());
}

bool FileAccess::may_load_module(const std::string& path) const {
  const std::string resolved = resolve_path(path);
  return inside_any(resolved, modules_) || inside_any(resolved, read_);
}

void install_file_access(lua_State* L, const FileAccess& access) {
  new (lua_newuserdatauv(L, sizeof(FileAccess), 0)) FileAccess(access);
  lua_newtable(L);
  lua_pushcfunction(L, file_access_gc);
  lua_setfield(L, -2, "__gc");
  lua_setmetatable(L, -2);
  lua_setfield(L, LUA_REGISTRYINDEX, kFileAccessKey);
}

const FileAccess* file_access(lua_State* L) {
  lua_getfield(L, LUA_REGISTRYINDEX, kFileAccessKey);
  const auto* access = static_cast<const FileAccess*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  return access;
}

std::string read_refusal(lua_State* L, const std::string& path, const std::string& function) {
  const FileAccess* access = file_access(L);
  if (access == nullptr || access->may_read(path)) return "";
  return function + ": reading " + path + " is not allowed in the sandbox (readable: " +
         joined(access->read_directories()) + "; add --allow-read DIR)";
}

std::string write_refusal(lua_State* L, const std::string& path, const std::string& function) {
  const FileAccess* access = file_access(L);
  if (access == nullptr || access->may_write(path)) return "";
  return function + ": writing " + path + " is not allowed in the sandbox (writable: " +
         joined(access->write_directories()) + "; add --allow-write DIR)";
}

std::string module_refusal(lua_State* L, const std::string& path, const std::string& function) {
  const FileAccess* access = file_access(L);
  if (access == nullptr || access->may_load_module(path)) return "";
  return function + ": loading " + path + " is not allowed in the sandbox (modules load from "
         "the script's folder, its lib/ and scripts/lib, or an --allow-read DIR)";
}

void check_read(lua_State* L, const std::string& path, const std::string& function) {
  const std::string refusal = read_refusal(L, path, function);
  if (!refusal.empty()) throw Error(refusal);
}

void check_write(lua_State* L, const std::string& path, const std::string& function) {
  const std::string refusal = write_refusal(L, path, function);
  if (!refusal.empty()) throw Error(refusal);
}

}  // namespace ntk::lua
