// Batch jobs: a parameter grid × repetitions, each job with a stable id and a derived seed.
//
// Grid: `--grid sigma2=0.01,0.1,1 --grid depth=1,2` gives the cartesian product of the axes.
// Values that are numbers are normalised to their shortest round-trip form ("1.0" → "1",
// "1e-2" → "0.01"), so the same point written two ways is the same job.
//
// Order: repetitions outermost, then the axes in the order given (the last axis fastest). A batch
// stopped half-way thus has every grid point at the early repetitions, enough for a first figure.
//
// Job id and seed (documented so results can be reproduced by hand):
//   key   = the job's "name=value" pairs sorted by name, then "rep=R", each followed by '\0'
//           (names cannot contain '=' and command-line values cannot contain '\0': unambiguous);
//   h     = FNV-1a 64-bit hash of key;
//   a SplitMix64 generator (Steele, Lea & Flood 2014) seeded with h gives two outputs z1, z2:
//   id    = z1 as 16 lower-case hex digits;
//   seed  = z2 >> 33, an integer in [0, 2^31): it fits every RNG's seed type and is exact as a
//           Lua number.
// Both depend only on the job's parameter values and repetition: not on the order of --grid
// flags, the other grid values, --reps, --jobs or the batch's --set constants.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ntk::core::batch {

using Params = std::vector<std::pair<std::string, std::string>>;

struct GridAxis {
  std::string name;
  std::vector<std::string> values;  // normalised, distinct
};

struct Job {
  Params params;      // one value per axis, in axis order
  int rep = 1;        // 1 … reps
  std::uint64_t seed = 0;
  std::string id;     // 16 hex digits
};

// One SplitMix64 step: advances `state` and returns the next output.
std::uint64_t splitmix64(std::uint64_t& state);
// FNV-1a, 64 bit.
std::uint64_t fnv1a64(const std::string& bytes);

// A parameter name usable as `params.NAME` in Lua: [A-Za-z_][A-Za-z0-9_]*.
bool is_parameter_name(const std::string& name);
// Numbers in shortest round-trip form, other text unchanged.
std::string normalize_value(const std::string& value);

// Parses "name=v1,v2,…", or "name=@FILE" with one value per line of FILE (blank lines and
// lines starting with '#' skipped; e.g. --grid dataset=@data/uci/arora2020_90.txt); throws ntk::Error on a missing '=', a bad name, an empty or duplicate
// value.
GridAxis parse_grid_axis(const std::string& spec);
// Parses "name=value" (a --set); the value is kept verbatim apart from number normalisation.
std::pair<std::string, std::string> parse_assignment(const std::string& spec,
                                                     const char* option);

// The canonical key, id and seed of a job (see the header comment).
std::string job_key(const Params& params, int rep);
std::string job_id(const Params& params, int rep);
std::uint64_t job_seed(const Params& params, int rep);

// All jobs of grid × reps (an empty grid gives `reps` jobs with no parameters).
// Throws on reps < 1, a name used by two axes, or more than kMaxJobs jobs (limits.hpp).
std::vector<Job> expand_jobs(const std::vector<GridAxis>& grid, int reps);

// "sigma2=0.1 depth=2 rep=3": how a job is named in progress lines.
std::string describe_job(const Job& job);

}  // namespace ntk::core::batch
