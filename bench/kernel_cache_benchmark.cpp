// What a kernel cache file costs and saves (issue 14, docs/benchmarks.md "Kernel cache files"):
//   direct  arch.kernels(x, x) with float32 output, one call (the engine's own tiles)
//   fill    the same kernel into a new cache file tile by tile (core/cache: per-tile calls,
//           pwrite of each tile and its mirror, fdatasync at most every 10 s and at the end)
//   map     a finished file mapped and every entry read once (what a later run pays instead)
// for the FC NTK (depth 3, relu; fast per entry, so the tile overheads show) and the CNTK
// (depth 3, flatten; as scripts/fashion_mnist_cntk.lua), on the first n Fashion-MNIST training images (pixels / 255),
// interleaved in each repetition; medians of wall time.
//
//   kernel_cache_benchmark [--fc-n 8000] [--cnn-n 1200] [--reps 3] [--tile 2048] [--dir /tmp]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "cnn_architecture.hpp"
#include "core/cache/architecture_tiles.hpp"
#include "core/cache/cached_kernel.hpp"
#include "core/cache/fingerprint.hpp"
#include "fashion_images.hpp"
#include "fc_architecture.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

arma::mat fashion(arma::uword n) { return ntk::bench::first_fashion_images(n); }

void run(const char* name, const ntk::sdk::Architecture& arch, const ntk::sdk::Inputs& x,
         arma::uword tile, int reps, const std::string& dir) {
  namespace cache = ntk::core::cache;
  const std::string path = dir + "/kernel_cache_benchmark.ntkkernel";
  cache::KernelKey key;
  key.rows = key.cols = x.size();
  key.symmetric = true;
  key.kind = "ntk";
  key.arch_text = arch.describe();
  key.rows_data = key.cols_data = cache::fingerprint(x);
  std::vector<double> direct, fill, map;
  double checksum = 0;
  for (int r = 0; r < reps; ++r) {
    ntk::sdk::KernelRequest request{false, true};
    request.output = ntk::sdk::Precision::float32;
    auto t = Clock::now();
    const arma::fmat k = arch.kernels(x, x, request).ntk32;
    direct.push_back(since(t));

    std::filesystem::remove(path);
    t = Clock::now();
    {
      cache::KernelFile file = cache::KernelFile::open(path, key, tile);
      const cache::MappedKernel m =
          cache::fill_kernel_file(file, cache::architecture_tiles(arch, x, x, true, "benchmark"));
      checksum += double(m.matrix(0, 0));
    }
    fill.push_back(since(t));

    t = Clock::now();
    {
      cache::KernelFile file = cache::KernelFile::open(path, key, tile);
      const cache::MappedKernel m = file.map();
      checksum += double(arma::accu(m.matrix));  // touch every page
      if (r == 0) {
        const double diff = double(arma::abs(m.matrix - k).max());
        std::printf("%s: max |cached - direct| = %.3g (max entry %.3g)\n", name, diff,
                    double(k.max()));
      }
    }
    map.push_back(since(t));
  }
  std::filesystem::remove(path);
  const double n = double(x.size());
  std::printf("%s, n = %.0f, tile %llu: direct %.3f s, fill %.3f s (%.3fx direct), map + read %.3f s "
              "(%.4fx direct; %.2f GB/s) [checksum %.3g]\n",
              name, n, (unsigned long long)tile, median(direct), median(fill),
              median(fill) / median(direct), median(map), median(map) / median(direct),
              4 * n * n / median(map) / 1e9, checksum);
}

}  // namespace

int main(int argc, char** argv) {
  arma::uword fc_n = 8000, cnn_n = 1200, tile = 2048;
  int reps = 3;
  std::string dir = std::filesystem::temp_directory_path().string();
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--fc-n") fc_n = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--cnn-n") cnn_n = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--reps") reps = std::atoi(argv[i + 1]);
    else if (a == "--tile") tile = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--dir") dir = argv[i + 1];
    else {
      std::fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  const arma::mat x = fashion(std::max(fc_n, cnn_n));
  if (x.n_cols < std::max(fc_n, cnn_n)) {
    std::fprintf(stderr, "kernel_cache_benchmark: needs %llu Fashion-MNIST training images (the "
                 "dataset-fashion-mnist package)\n", (unsigned long long)std::max(fc_n, cnn_n));
    return 1;
  }
  if (fc_n > 0) {
    const auto fc = ntk::fc::make_architecture({{"depth", 3.0}, {"activation", std::string("relu")}});
    run("FC NTK depth 3", *fc, ntk::sdk::Inputs::dense(x.cols(0, fc_n - 1)), tile, reps, dir);
  }
  if (cnn_n > 0) {
    const auto cnn = ntk::cnn::make_architecture(
        {{"depth", 3.0}, {"readout", std::string("flatten")}});
    run("CNTK depth 3 flatten", *cnn,
        ntk::sdk::Inputs::images(x.cols(0, cnn_n - 1), {1, 28, 28}), std::min(tile, arma::uword(600)), reps, dir);
  }
  return 0;
}
