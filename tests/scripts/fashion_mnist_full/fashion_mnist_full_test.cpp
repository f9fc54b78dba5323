// scripts/fashion_mnist_full.lua with 2,000 training and 1,000 test images: the validation
// table's best entry is the one refit; the float32 ridge converges to float64 accuracy
// (relative residual ≤ 1e-10, an independent check the solver reports from float64 residuals);
// the accuracy is that of an FC kernel on this many Fashion-MNIST images (measured 0.82–0.84).
#include <filesystem>
#include <fstream>
#include <string>

#include "../experiments_1_4/script_runner.hpp"

using ntk::test::number;
using ntk::test::text;

TEST_CASE("fashion_mnist_full: selection, float32 refit with refinement, prediction",
          "[fashion_mnist_full]") {
  const char* source = std::getenv("NTKLAB_SOURCE_DIR");
  REQUIRE(source != nullptr);
  namespace fs = std::filesystem;
  const fs::path out = fs::temp_directory_path() /
                       ("ntk_fashion_mnist_full_" + std::to_string(getpid()) + ".jsonl");
  fs::remove(out);
  const auto [status, output] = ntk::test::run_ntklab(
      "run '" + std::string(source) + "/scripts/fashion_mnist_full.lua' --set n_train=2000 "
      "--set n_test=1000 --set select_train=800 --set select_val=400 --set depths=1,2 "
      "--set lambdas=0.01,0.1 --set out='" + out.string() + "'");
  INFO(output);
  REQUIRE(status == 0);
  std::ifstream in(out);
  std::string line;
  REQUIRE(std::getline(in, line));
  const auto row = ntk::core::batch::parse_json(line, out.string());
  CHECK(number(row, "n_train") == 2000);
  CHECK(number(row, "n_test") == 1000);
  CHECK(number(row, "residual") <= 1e-10);
  CHECK(number(row, "refinement_steps") >= 1);
  CHECK(number(row, "test_accuracy") > 0.78);
  CHECK(number(row, "peak_rss_gb") > 0);
  const std::string kernel = text(row, "kernel");
  CHECK((kernel == "ntk" || kernel == "nngp"));
  // The refit uses the validation table's best (depth, kernel, lambda).
  const auto* table = row.find("validation");
  REQUIRE(table != nullptr);
  REQUIRE(table->is_array());
  double best = -1;
  for (const auto& entry : table->as_array()) best = std::max(best, number(entry, "accuracy"));
  CHECK(number(row, "validation_accuracy") == best);
  CHECK(table->as_array().size() == 2 * 2 * 2);  // depths × kernels × lambdas
  fs::remove(out);
}
