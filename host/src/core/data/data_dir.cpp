#include "core/data/data_dir.hpp"

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <system_error>
#include <vector>

#include "ntk/sdk/error.hpp"

namespace ntk::core::data {

namespace fs = std::filesystem;

namespace {

std::vector<fs::path> candidate_dirs() {
  if (const char* env = std::getenv("NTKLAB_DATA_DIR"); env && *env) return {fs::path(env)};
  std::vector<fs::path> dirs;
  std::error_code error;
  const fs::path exe = fs::read_symlink("/proc/self/exe", error);
  if (!error) dirs.push_back(exe.parent_path().parent_path().parent_path() / "data");
  const fs::path cwd = fs::current_path(error);
  if (!error) dirs.push_back(cwd / "data");
  return dirs;
}

std::string tried_list(const std::vector<fs::path>& dirs) {
  std::ostringstream out;
  for (std::size_t i = 0; i < dirs.size(); ++i) out << (i ? ", " : "") << dirs[i].string();
  return out.str();
}

}  // namespace

std::string find_data_file(const std::string& relative) {
  const auto dirs = candidate_dirs();
  for (const auto& dir : dirs) {
    std::error_code error;
    const fs::path p = dir / relative;
    if (fs::exists(p, error)) return p.lexically_normal().string();
  }
  throw_error("data: cannot find '", relative, "' in the data folder (tried ", tried_list(dirs),
              "); set NTKLAB_DATA_DIR to the project's data/ folder");
}

std::string data_dir() {
  const auto dirs = candidate_dirs();
  for (const auto& dir : dirs) {
    std::error_code error;
    if (fs::is_directory(dir, error)) return dir.lexically_normal().string();
  }
  throw_error("data: no data folder found (tried ", tried_list(dirs),
              "); set NTKLAB_DATA_DIR to the project's data/ folder");
}

}  // namespace ntk::core::data
