// Lua module ntk.io (files) and ntk.clock (timing).
//
//   ntk.io.load_csv(path)           -> ntk.matrix, one CSV line = one row (blank lines and
//                                      lines starting with '#' are skipped; every cell a
//                                      finite number, else an error naming FILE:LINE:CELL;
//                                      gzip files are read too: core/data/csv.hpp)
//   M:save_csv(path)                (matrix.cpp) %.17g, exact round trip
//   ntk.io.load(path)               -> the ntk.matrix written by M:save(path) (binary, exact,
//                                      fast: core/data/matrix_file.hpp)
//   ntk.io.write_jsonl(path, table) appends one JSON line (see json.hpp for the mapping;
//                                   NaN/inf are refused naming the key); creates parent
//                                   directories; the line goes out in one O_APPEND write, so
//                                   concurrent writers do not interleave lines
//   ntk.io.read_jsonl(path)         -> list of the decoded lines (blank lines skipped)
//   ntk.io.to_json(value)           -> the JSON text of one value                 (extra)
//   ntk.io.from_json(text)          -> the decoded value                          (extra)
// In the sandbox (sandbox.hpp) the paths must lie in the --allow-read / --allow-write folders.
//   ntk.clock()                     -> seconds on a steady (monotonic) clock, as a double
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/mpi/comm.hpp"
#include "lua/args.hpp"
#include "lua/file_access.hpp"
#include "core/data/csv.hpp"
#include "core/data/matrix_file.hpp"
#include "lua/json.hpp"
#include "lua/module.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::lua {
namespace {

int l_load_csv(lua_State* L) {
  return protect(L, [&] {
    // The data-set reader stores one line per column (examples are columns); a matrix
    // read by load_csv keeps the file's layout, one line per row.
    const std::string path = string_arg(L, 1, "load_csv");
    check_read(L, path, "ntk.io.load_csv");
    push_matrix(L, core::data::read_csv(path).x.t());
    return 1;
  });
}

int l_load(lua_State* L) {
  return protect(L, [&] {
    const std::string path = string_arg(L, 1, "load");
    check_read(L, path, "ntk.io.load");
    push_matrix(L, core::data::load_matrix(path, "ntk.io.load()"));
    return 1;
  });
}

void append_line(const std::string& path, const std::string& line) {
  const std::filesystem::path target(path);
  std::error_code ec;
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path(), ec);
  if (ec)
    throw_error("write_jsonl(): cannot create directory ", target.parent_path().string(), ": ",
                ec.message());
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw_error("write_jsonl(): cannot open ", path, ": ", std::strerror(errno));
  const ssize_t written = ::write(fd, line.data(), line.size());
  const int write_errno = errno;
  ::close(fd);
  if (written != static_cast<ssize_t>(line.size()))
    throw_error("write_jsonl(): writing ", path, " failed: ",
                written < 0 ? std::strerror(write_errno) : "short write");
}

int l_write_jsonl(lua_State* L) {
  return protect(L, [&] {
    const std::string path = string_arg(L, 1, "write_jsonl");
    table_arg(L, 2, "write_jsonl");
    check_write(L, path, "ntk.io.write_jsonl");
    if (!core::mpi::writes()) return 0;  // under mpirun: rank 0 writes (lua/mpi.cpp)
    append_line(path, encode_json(L, 2, "write_jsonl()") + "\n");
    return 0;
  });
}

int l_read_jsonl(lua_State* L) {
  return protect(L, [&] {
    const std::string path = string_arg(L, 1, "read_jsonl");
    check_read(L, path, "ntk.io.read_jsonl");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw_error("read_jsonl(): cannot open ", path, ": ", std::strerror(errno));
    lua_newtable(L);
    lua_Integer count = 0;
    std::size_t line_number = 0;
    std::string line;
    while (std::getline(in, line)) {
      ++line_number;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      push_decoded_json(L, line, "read_jsonl(): " + path + ":" + std::to_string(line_number));
      lua_rawseti(L, -2, ++count);
    }
    return 1;
  });
}

int l_to_json(lua_State* L) {
  return protect(L, [&] {
    const std::string text = encode_json(L, 1, "to_json()");
    lua_pushlstring(L, text.data(), text.size());
    return 1;
  });
}

int l_from_json(lua_State* L) {
  return protect(L, [&] {
    push_decoded_json(L, string_arg(L, 1, "from_json"), "from_json()");
    return 1;
  });
}

int l_clock(lua_State* L) {
  const auto now = std::chrono::steady_clock::now().time_since_epoch();
  lua_pushnumber(L, std::chrono::duration<double>(now).count());
  return 1;
}

const luaL_Reg kIo[] = {{"load_csv", l_load_csv}, {"load", l_load}, {"write_jsonl", l_write_jsonl},
                        {"read_jsonl", l_read_jsonl}, {"to_json", l_to_json},
                        {"from_json", l_from_json},   {nullptr, nullptr}};

}  // namespace

void open_io(lua_State* L, Context&) {
  push_subtable(L, "io");
  luaL_setfuncs(L, kIo, 0);
  lua_pop(L, 1);
  lua_pushcfunction(L, l_clock);
  lua_setfield(L, -2, "clock");
}

}  // namespace ntk::lua
