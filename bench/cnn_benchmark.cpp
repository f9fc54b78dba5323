// CNTK benchmarks for issue 5 (figures go to docs/benchmarks.md, "CNN plugin (issue 5)").
//
// The cnn plugin's analytic NTK for serial(Conv(3x3, SAME), Relu) x 3, readout, Dense on
// 28 x 28 x 1 images (uniform [0, 1) pixels; the cost does not depend on the values):
//   (a) CNTK-GAP (every pixel pair), float32 and float64;
//   (b) CNTK with the flatten readout (spatial diagonal only), float32 and float64;
//   (c) average-pool readout (2x2, stride 2) for scale.
// Per-entry time = wall time / kernel entries computed (the symmetric case computes the
// upper triangle, n(n+1)/2 entries). Best of `repeats`, as wall-clock time and as process
// CPU time (all threads): on a shared machine the CPU figure / threads is the robust one.
//
// Usage: cnn_benchmark [n_gap = 24] [n_flatten = 1000] [repeats = 2]
#include <time.h>

#include <algorithm>
#include <armadillo>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cnn_architecture.hpp"

namespace {

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

struct Timing {
  double wall = 1e300, cpu = 1e300;
};

Timing best_seconds(int repeats, const ntk::sdk::Architecture& arch, const ntk::sdk::Inputs& x) {
  Timing best;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    const double cpu = cpu_seconds();
    const ntk::sdk::Kernels k = arch.kernels(x, x, {false, true});
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!k.ntk.is_finite()) std::fprintf(stderr, "non-finite kernel!\n");
    best.wall = std::min(best.wall, s);
    best.cpu = std::min(best.cpu, cpu_seconds() - cpu);
  }
  return best;
}

void run(const char* label, const ntk::sdk::Options& options, arma::uword n, int repeats) {
  const auto arch = ntk::cnn::make_architecture(options);
  arma::arma_rng::set_seed(5);
  const ntk::sdk::Inputs x = ntk::sdk::Inputs::images(arma::randu(784, n), {1, 28, 28});
  const Timing t = best_seconds(repeats, *arch, x);
  const double entries = double(n) * double(n + 1) / 2;
  std::printf("  %-30s n = %5llu  wall %8.3f s = %10.3f us/entry   cpu %8.3f s = %10.3f us/entry\n",
              label, (unsigned long long)n, t.wall, 1e6 * t.wall / entries, t.cpu,
              1e6 * t.cpu / entries);
}

}  // namespace

int main(int argc, char** argv) {
  const arma::uword n_gap = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 24;
  const arma::uword n_flat = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1000;
  const int repeats = argc > 3 ? std::atoi(argv[3]) : 2;
  using ntk::sdk::Options;
  std::printf("CNTK, depth 3, 3x3 SAME, ReLU, 28x28x1, symmetric NTK (upper triangle)\n");
  run("gap, float32", Options{{"depth", 3.0}, {"readout", std::string("gap")},
                              {"precision", std::string("float32")}}, n_gap, repeats);
  run("gap, float64", Options{{"depth", 3.0}, {"readout", std::string("gap")}}, n_gap / 2, 1);
  run("pool 2x2 stride 2, float32",
      Options{{"depth", 3.0}, {"readout", std::string("pool")}, {"precision", std::string("float32")}},
      n_gap * 4, repeats);
  run("flatten, float32", Options{{"depth", 3.0}, {"precision", std::string("float32")}}, n_flat,
      repeats);
  run("flatten, float64", Options{{"depth", 3.0}}, n_flat, repeats);
  return 0;
}
