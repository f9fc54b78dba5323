// --grid NAME=@FILE: the axis values are the file's lines (the UCI benchmark's
// --grid dataset=@data/uci/arora2020_90.txt). Same jobs as the values written inline.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "core/batch/grid.hpp"
#include "ntk/sdk/error.hpp"

using namespace ntk::core::batch;
namespace fs = std::filesystem;

namespace {

std::string write_temp(const std::string& name, const std::string& text) {
  const fs::path dir = fs::temp_directory_path() / "ntk_batch_grid_file_test";
  fs::create_directories(dir);
  std::ofstream(dir / name) << text;
  return (dir / name).string();
}

}  // namespace

TEST_CASE("grid axis values from a file", "[batch]") {
  const std::string path = write_temp("values.txt", "# comment\niris\n\n  abalone \n1.0\n");
  const GridAxis axis = parse_grid_axis("dataset=@" + path);
  CHECK(axis.name == "dataset");
  CHECK(axis.values == std::vector<std::string>{"iris", "abalone", "1"});
  const GridAxis inline_axis = parse_grid_axis("dataset=iris,abalone,1.0");
  CHECK(expand_jobs({axis}, 1)[1].id == expand_jobs({inline_axis}, 1)[1].id);
}

TEST_CASE("grid value files: errors name the file", "[batch]") {
  CHECK_THROWS_WITH(parse_grid_axis("dataset=@/no/such/file.txt"),
                    Catch::Contains("cannot open") && Catch::Contains("/no/such/file.txt"));
  const std::string empty = write_temp("empty.txt", "# nothing\n\n");
  CHECK_THROWS_WITH(parse_grid_axis("dataset=@" + empty), Catch::Contains("lists no values"));
  const std::string twice = write_temp("twice.txt", "iris\niris\n");
  CHECK_THROWS_WITH(parse_grid_axis("dataset=@" + twice), Catch::Contains("appears twice"));
  const std::string comma = write_temp("comma.txt", "iris\na,b\n");
  CHECK_THROWS_WITH(parse_grid_axis("dataset=@" + comma), Catch::Contains("comma.txt:2"));
  // The shipped list of the paper's 90 data sets.
  const char* source = std::getenv("NTKLAB_SOURCE_DIR");
  REQUIRE(source != nullptr);
  const GridAxis uci =
      parse_grid_axis(std::string("dataset=@") + source + "/data/uci/arora2020_90.txt");
  CHECK(uci.values.size() == 90);
  CHECK(uci.values.front() == "waveform");  // largest first
}
