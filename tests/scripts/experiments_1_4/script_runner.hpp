// Runs an experiment script through the built ntklab executable, as a user would
// (`ntklab run scripts/NAME.lua --set out=… --set figure=… --set …`), and reads back the JSON
// lines it wrote. Shared by the tests of scripts/sigma_sweep.lua, label_noise.lua,
// true_vs_random_labels.lua and width_convergence.lua.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "core/batch/json.hpp"

namespace ntk::test {

using core::batch::Json;

struct ScriptRun {
  int status = -1;
  std::string output;      // stdout and stderr together
  std::vector<Json> rows;  // the JSON lines of params.out
  std::string rows_path;   // params.out
  std::string figure;      // path of the figure the run drew
};

// Runs `ntklab ARGS` (one thread) and returns its exit status and output.
inline std::pair<int, std::string> run_ntklab(const std::string& args) {
  const char* build = std::getenv("NTKLAB_BUILD_DIR");
  REQUIRE(build != nullptr);
  const std::string command = "OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 '" + std::string(build) +
                              "/bin/ntklab' " + args + " 2>&1";
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  std::size_t got = 0;
  while ((got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, got);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

// Runs scripts/SCRIPT.lua with `sets` ("key=value" each) in a scratch folder; the rows and the
// figure go there. The scripts' problems are tiny, so one BLAS/OpenMP thread is used (spinning
// threads only slow them down on a loaded machine).
inline ScriptRun run_script(const std::string& script, const std::vector<std::string>& sets) {
  const char* source = std::getenv("NTKLAB_SOURCE_DIR");
  REQUIRE(source != nullptr);
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() /
                       ("ntk_experiment_" + script + "_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  ScriptRun run;
  const std::string out = (dir / "rows.jsonl").string();
  run.figure = (dir / (script + ".png")).string();
  run.rows_path = out;
  std::string args = "run '" + std::string(source) + "/scripts/" + script + ".lua' --set out='" +
                     out + "' --set figure='" + run.figure + "'";
  for (const auto& set : sets) args += " --set '" + set + "'";
  std::tie(run.status, run.output) = run_ntklab(args);
  std::ifstream in(out);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty())
      run.rows.push_back(core::batch::parse_json(line, out + ":" + std::to_string(number)));
  }
  return run;
}

// Field access that fails the test with the row printed when the field is missing.
inline double number(const Json& row, const std::string& key) {
  const Json* value = row.find(key);
  INFO("row " << row.dump() << " has no number '" << key << "'");
  REQUIRE(value != nullptr);
  REQUIRE(value->is_number());
  return value->as_number();
}

inline std::string text(const Json& row, const std::string& key) {
  const Json* value = row.find(key);
  INFO("row " << row.dump() << " has no string '" << key << "'");
  REQUIRE(value != nullptr);
  REQUIRE(value->is_string());
  return value->as_string();
}

// Least-squares slope of log y against log x (an independent re-fit of what the scripts print).
inline double loglog_slope(const std::vector<double>& x, const std::vector<double>& y) {
  REQUIRE(x.size() == y.size());
  REQUIRE(x.size() >= 2);
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  const double n = static_cast<double>(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double lx = std::log(x[i]), ly = std::log(y[i]);
    sx += lx, sy += ly, sxx += lx * lx, sxy += lx * ly;
  }
  return (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

inline bool file_is_nonempty(const std::string& path) {
  std::error_code ec;
  return std::filesystem::file_size(path, ec) > 0 && !ec;
}

}  // namespace ntk::test
