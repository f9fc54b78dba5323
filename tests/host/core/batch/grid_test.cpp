// Grid expansion, job ids and seeds (core/batch/grid.hpp).
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "core/batch/grid.hpp"
#include "ntk/sdk/error.hpp"

using namespace ntk::core::batch;

TEST_CASE("FNV-1a and SplitMix64 match their published reference values", "[batch]") {
  // FNV test vectors (Fowler/Noll/Vo) and SplitMix64's outputs for state 1234567
  // (Steele, Lea & Flood 2014, reference implementation).
  CHECK(fnv1a64("") == 0xcbf29ce484222325ULL);
  CHECK(fnv1a64("a") == 0xaf63dc4c8601ec8cULL);
  CHECK(fnv1a64("foobar") == 0x85944171f73967e8ULL);
  std::uint64_t state = 1234567;
  CHECK(splitmix64(state) == 6457827717110365317ULL);
  CHECK(splitmix64(state) == 3203168211198807973ULL);
  CHECK(splitmix64(state) == 9817491932198370423ULL);
}

TEST_CASE("job id and seed follow the documented rule and are stable", "[batch]") {
  // Computed by hand from the rule in grid.hpp (an independent Python transcription):
  // key "depth=2\0sigma2=0.1\0rep=3\0" -> id 1ecf56c476cb15a1, seed 1611163740.
  const Params params = {{"sigma2", "0.1"}, {"depth", "2"}};
  CHECK(job_key(params, 3) == std::string("depth=2\0sigma2=0.1\0rep=3\0", 25));
  CHECK(job_id(params, 3) == "1ecf56c476cb15a1");
  CHECK(job_seed(params, 3) == 1611163740ULL);
  CHECK(job_id({}, 1) == "1a48203dab0151b8");
  CHECK(job_seed({}, 1) == 15618972ULL);
  // The order of the parameters does not matter.
  const Params swapped = {{"depth", "2"}, {"sigma2", "0.1"}};
  CHECK(job_id(swapped, 3) == job_id(params, 3));
  CHECK(job_seed(swapped, 3) == job_seed(params, 3));
}

TEST_CASE("parse_grid_axis normalises numbers and rejects malformed specs", "[batch]") {
  const GridAxis axis = parse_grid_axis("sigma2=0.010,1.0,1e1,relu");
  CHECK(axis.name == "sigma2");
  CHECK(axis.values == std::vector<std::string>{"0.01", "1", "10", "relu"});
  CHECK_THROWS_WITH(parse_grid_axis("sigma2"), Catch::Contains("expected name=value"));
  CHECK_THROWS_WITH(parse_grid_axis("2x=1"), Catch::Contains("not a parameter name"));
  CHECK_THROWS_WITH(parse_grid_axis("x=1,,2"), Catch::Contains("empty value"));
  CHECK_THROWS_WITH(parse_grid_axis("x="), Catch::Contains("empty value"));
  CHECK_THROWS_WITH(parse_grid_axis("x=1,1.0"), Catch::Contains("appears twice"));
  CHECK(parse_assignment("n=100.0", "--set").second == "100");
  CHECK(parse_assignment("seed=9007199254740993", "--set").second == "9007199254740993");
  CHECK(parse_assignment("name=a=b", "--set").second == "a=b");
}

TEST_CASE("expand_jobs is the cartesian product times the repetitions", "[batch]") {
  const std::vector<GridAxis> grid = {parse_grid_axis("a=1,2,3"), parse_grid_axis("b=x,y"),
                                      parse_grid_axis("c=0.5,7,8,9")};
  const int reps = 3;
  const auto jobs = expand_jobs(grid, reps);
  REQUIRE(jobs.size() == 3 * 2 * 4 * 3);
  // Every (a, b, c, rep) appears exactly once.
  std::set<std::tuple<std::string, std::string, std::string, int>> seen;
  for (const auto& job : jobs) {
    REQUIRE(job.params.size() == 3);
    CHECK(job.params[0].first == "a");
    CHECK(job.params[1].first == "b");
    CHECK(job.params[2].first == "c");
    seen.insert({job.params[0].second, job.params[1].second, job.params[2].second, job.rep});
    CHECK(job.id == job_id(job.params, job.rep));
    CHECK(job.seed == job_seed(job.params, job.rep));
  }
  CHECK(seen.size() == jobs.size());
  for (const char* a : {"1", "2", "3"})
    for (const char* b : {"x", "y"})
      for (const char* c : {"0.5", "7", "8", "9"})
        for (int rep = 1; rep <= reps; ++rep) CHECK(seen.count({a, b, c, rep}) == 1);
  // Repetitions outermost, the last axis fastest.
  CHECK(jobs[0].rep == 1);
  CHECK(jobs[1].params[2].second == "7");
  CHECK(jobs[24].rep == 2);
  // No grid: one job per repetition.
  CHECK(expand_jobs({}, 4).size() == 4);
  CHECK_THROWS_WITH(expand_jobs(grid, 0), Catch::Contains("--reps must be at least 1"));
  CHECK_THROWS_WITH(expand_jobs({parse_grid_axis("a=1"), parse_grid_axis("a=2")}, 1),
                    Catch::Contains("two --grid"));
}

TEST_CASE("ids and seeds are distinct and independent of the rest of the grid", "[batch]") {
  const std::vector<GridAxis> grid = {parse_grid_axis("a=1,2,3,4,5,6,7,8,9,10"),
                                      parse_grid_axis("b=0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,1"),
                                      parse_grid_axis("c=p,q,r,s,t")};
  const auto jobs = expand_jobs(grid, 4);
  std::set<std::string> ids;
  std::set<std::uint64_t> seeds;
  for (const auto& job : jobs) {
    ids.insert(job.id);
    seeds.insert(job.seed);
    CHECK(job.seed < (1ULL << 31));
    CHECK(job.id.size() == 16);
  }
  CHECK(ids.size() == jobs.size());
  CHECK(seeds.size() == jobs.size());

  // The same point in a smaller grid, with the axes in another order and fewer reps, gets the
  // same id and seed: resume and reproduction do not depend on how the grid was written.
  const auto other = expand_jobs({parse_grid_axis("c=q,t"), parse_grid_axis("b=0.20"),
                                  parse_grid_axis("a=3")},
                                 2);
  std::map<std::string, std::uint64_t> seed_of;
  for (const auto& job : jobs) seed_of[job.id] = job.seed;
  for (const auto& job : other) {
    REQUIRE(seed_of.count(job.id) == 1);
    CHECK(seed_of[job.id] == job.seed);
  }
}
