// scripts/fashion_mnist_cntk.lua with 500 training and 200 test images, as the resumable batch
// it is meant to be: a first `ntklab batch` whose job timeout may stop it in the middle of a
// kernel, then `--resume`, which must finish from the cache files and give a row whose CNTK
// accuracy is that of a convolutional kernel on this many Fashion-MNIST images (measured
// 0.80–0.85 at n = 500–800) and above the FC NTK's on the same images less a margin. A plain run
// twice: the second reads both kernels from their files (the same accuracy to the last bit) and
// the files have the size of their kernels.
#include <filesystem>
#include <fstream>
#include <string>

#include "../experiments_1_4/script_runner.hpp"

using ntk::test::number;

namespace {

namespace fs = std::filesystem;

const ntk::core::batch::Json& field(const ntk::core::batch::Json& row, const char* key) {
  const auto* v = row.find(key);
  REQUIRE(v != nullptr);
  return *v;
}

// The last line: a batch keeps the stopped job's "failed" line and appends the resumed one.
ntk::core::batch::Json last_row(const fs::path& file) {
  std::ifstream in(file);
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  REQUIRE(!last.empty());
  return ntk::core::batch::parse_json(last, file.string());
}

}  // namespace

TEST_CASE("fashion_mnist_cntk: a stopped batch job resumes from its kernel files",
          "[fashion_mnist_cntk]") {
  const char* source = std::getenv("NTKLAB_SOURCE_DIR");
  REQUIRE(source != nullptr);
  const fs::path dir = fs::temp_directory_path() / ("ntk_cntk_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string script = "'" + std::string(source) + "/scripts/fashion_mnist_cntk.lua'";
  const std::string sets = " --set n_train=500 --set n_test=200 --set n_val=100 --set tile=100"
                           " --set lambdas=0.001,0.1 --set cache_dir='" + (dir / "cache").string() + "'";
  const std::string batch = "batch " + script + sets + " --out '" + (dir / "batch").string() + "'";
  // A timeout of 2 s stops the job inside a kernel on any machine this suite runs on in
  // reasonable time; if it does not, the resume below simply finds the job done.
  const auto [first_status, first_output] = ntk::test::run_ntklab(batch + " --job-timeout 2");
  INFO(first_output);
  const auto [status, output] = ntk::test::run_ntklab(batch + " --resume");
  INFO(output);
  REQUIRE(status == 0);
  const auto row = last_row(dir / "batch" / "results.jsonl");
  CHECK(number(row, "n_train") == 500);
  CHECK(ntk::test::text(field(row, "batch"), "status") == "ok");
  const auto& cntk = field(row, "cntk");
  const auto& fc = field(row, "fc");
  CHECK(number(cntk, "test_accuracy") > 0.72);
  CHECK(number(cntk, "test_accuracy") > number(fc, "test_accuracy") - 0.05);
  CHECK(number(cntk, "ridge_residual") <= 1e-10);

  // Plain runs: the second reads the kernels back.
  const std::string run = "run " + script + sets + " --set out='" + (dir / "run.jsonl").string() + "'";
  const auto [s1, o1] = ntk::test::run_ntklab(run);
  INFO(o1);
  REQUIRE(s1 == 0);
  const auto [s2, o2] = ntk::test::run_ntklab(run);
  INFO(o2);
  REQUIRE(s2 == 0);
  std::ifstream in(dir / "run.jsonl");
  std::string l1, l2;
  REQUIRE(std::getline(in, l1));
  REQUIRE(std::getline(in, l2));
  const auto r1 = ntk::core::batch::parse_json(l1, "run"), r2 = ntk::core::batch::parse_json(l2, "run");
  CHECK(number(field(r1, "cntk"), "test_accuracy") == number(field(r2, "cntk"), "test_accuracy"));
  CHECK(number(field(r1, "cntk"), "validation_accuracy") ==
        number(field(r2, "cntk"), "validation_accuracy"));
  // 500 × 500 and 200 × 500 float32 after a header page and one page of tile map.
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir / "cache")) {
    const std::string name = entry.path().filename().string();
    if (name.find("seed1.") == std::string::npos) continue;  // the plain runs' (seed 1)
    ++files;
    const std::uintmax_t rows = name.find("_test_") != std::string::npos ? 200 : 500;
    CHECK(fs::file_size(entry.path()) == 8192 + 4 * rows * 500);
  }
  CHECK(files == 2);
  fs::remove_all(dir);
}
