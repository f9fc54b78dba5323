#include "core/batch/grid.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>

#include "core/batch/json.hpp"
#include "core/batch/limits.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::batch {

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::uint64_t fnv1a64(const std::string& bytes) {
  std::uint64_t h = 0xCBF29CE484222325ULL;
  for (const unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001B3ULL;
  }
  return h;
}

bool is_parameter_name(const std::string& name) {
  if (name.empty()) return false;
  const auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!alpha(name[0])) return false;
  return std::all_of(name.begin(), name.end(),
                     [&](char c) { return alpha(c) || (c >= '0' && c <= '9'); });
}

std::string normalize_value(const std::string& value) {
  const Json json = number_or_string(value);
  if (json.is_integer()) return json.dump();  // exact: 9007199254740993 is no double
  return json.is_number() ? format_number(json.as_number()) : value;
}

static std::pair<std::string, std::string> split_assignment(const std::string& spec,
                                                            const char* option) {
  const auto eq = spec.find('=');
  if (eq == std::string::npos)
    throw_error(option, " '", spec, "': expected name=value (e.g. ", option, " sigma2=0.1)");
  std::string name = spec.substr(0, eq);
  if (!is_parameter_name(name))
    throw_error(option, " '", spec, "': '", name,
                "' is not a parameter name (letters, digits and '_', not starting with a digit)");
  return {std::move(name), spec.substr(eq + 1)};
}

// The values of "name=@FILE": the file's lines (blank lines and '#' comments skipped, blanks
// trimmed), joined into one comma list for the usual checks.
static std::string values_from_file(const std::string& spec, const std::string& path) {
  std::ifstream in(path);
  if (!in) throw_error("--grid '", spec, "': cannot open the value file ", path);
  std::string list, line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    const auto begin = line.find_first_not_of(" \t\r");
    if (begin == std::string::npos || line[begin] == '#') continue;
    const std::string value = line.substr(begin, line.find_last_not_of(" \t\r") + 1 - begin);
    if (value.find(',') != std::string::npos)
      throw_error("--grid '", spec, "': ", path, ":", number, ": one value per line, got '",
                  value, "'");
    list += (list.empty() ? "" : ",") + value;
  }
  if (list.empty()) throw_error("--grid '", spec, "': ", path, " lists no values");
  return list;
}

GridAxis parse_grid_axis(const std::string& spec) {
  auto [name, list] = split_assignment(spec, "--grid");
  if (!list.empty() && list[0] == '@') list = values_from_file(spec, list.substr(1));
  GridAxis axis{name, {}};
  std::set<std::string> seen;
  std::size_t start = 0;
  for (;;) {
    const auto comma = list.find(',', start);
    const std::string raw = list.substr(start, comma == std::string::npos ? std::string::npos
                                                                         : comma - start);
    if (raw.empty())
      throw_error("--grid '", spec, "': empty value in the list (expected ", name, "=v1,v2,…)");
    std::string value = normalize_value(raw);
    if (!seen.insert(value).second)
      throw_error("--grid '", spec, "': value '", raw, "' appears twice");
    axis.values.push_back(std::move(value));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return axis;
}

std::pair<std::string, std::string> parse_assignment(const std::string& spec,
                                                     const char* option) {
  auto [name, value] = split_assignment(spec, option);
  return {std::move(name), normalize_value(value)};
}

std::string job_key(const Params& params, int rep) {
  Params sorted = params;
  std::sort(sorted.begin(), sorted.end());
  std::string key;
  for (const auto& [name, value] : sorted) {
    key += name;
    key += '=';
    key += value;
    key += '\0';
  }
  key += "rep=" + std::to_string(rep);
  key += '\0';
  return key;
}

std::string job_id(const Params& params, int rep) {
  std::uint64_t state = fnv1a64(job_key(params, rep));
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(splitmix64(state)));
  return text;
}

std::uint64_t job_seed(const Params& params, int rep) {
  std::uint64_t state = fnv1a64(job_key(params, rep));
  splitmix64(state);  // the first output is the id
  return splitmix64(state) >> 33;
}

std::vector<Job> expand_jobs(const std::vector<GridAxis>& grid, int reps) {
  if (reps < 1) throw_error("batch: --reps must be at least 1, got ", reps);
  std::set<std::string> names;
  std::size_t points = 1;
  for (const auto& axis : grid) {
    if (!names.insert(axis.name).second)
      throw_error("batch: parameter '", axis.name, "' is given by two --grid options");
    if (axis.values.empty()) throw_error("batch: --grid ", axis.name, " has no values");
  }
  check_job_count(grid, static_cast<std::uint64_t>(reps));  // before multiplying or reserving
  for (const auto& axis : grid) points *= axis.values.size();
  std::vector<Job> jobs;
  jobs.reserve(points * static_cast<std::size_t>(reps));
  for (int rep = 1; rep <= reps; ++rep) {
    for (std::size_t index = 0; index < points; ++index) {
      Job job;
      job.rep = rep;
      // Mixed-radix digits of `index`, the last axis fastest.
      std::size_t rest = index;
      job.params.resize(grid.size());
      for (std::size_t a = grid.size(); a-- > 0;) {
        const auto& values = grid[a].values;
        job.params[a] = {grid[a].name, values[rest % values.size()]};
        rest /= values.size();
      }
      job.id = job_id(job.params, rep);
      job.seed = job_seed(job.params, rep);
      jobs.push_back(std::move(job));
    }
  }
  return jobs;
}

std::string describe_job(const Job& job) {
  std::string text;
  for (const auto& [name, value] : job.params) text += name + "=" + value + " ";
  return text + "rep=" + std::to_string(job.rep);
}

}  // namespace ntk::core::batch
