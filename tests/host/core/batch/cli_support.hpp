// Helpers for the end-to-end tests of `ntklab batch` and `ntklab plot`: the built binary, a
// shell command line with its output, and files read back.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace batch_cli_test {

namespace fs = std::filesystem;

inline std::string ntklab() {
  const char* build = std::getenv("NTKLAB_BUILD_DIR");
  REQUIRE(build != nullptr);
  return std::string(build) + "/bin/ntklab";
}

inline std::string quoted(const std::string& s) { return "'" + s + "'"; }

// Runs a shell command line; returns the exit status and the combined output in `output`.
inline int shell(const std::string& command, std::string& output) {
  const fs::path log =
      fs::temp_directory_path() / ("ntk_batch_cli_" + std::to_string(::getpid()) + ".out");
  const int status = std::system((command + " > " + quoted(log.string()) + " 2>&1").c_str());
  std::ifstream in(log);
  std::ostringstream s;
  s << in.rdbuf();
  output = s.str();
  fs::remove(log);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

inline std::vector<std::string> lines_of(const fs::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

inline std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace batch_cli_test
