// CNTK benchmarks (figures go to docs/benchmarks.md: "CNN plugin (issue 5)" and
// "CNTK-GAP float32 (issue 14)").
//
// The cnn plugin's analytic NTK for serial(Conv(3x3, SAME), Relu) x 3, readout, Dense on
// 28 x 28 x 1 images.
//
// Issue 5 table (the default): uniform [0, 1) pixels (the cost does not depend on the values),
//   (a) CNTK-GAP (every pixel pair), float32 and float64;
//   (b) CNTK with the flatten readout (spatial diagonal only), float32 and float64;
//   (c) average-pool readout (2x2, stride 2) for scale.
// Per-entry time = time / kernel entries of the upper triangle, n(n+1)/2. Best of `repeats`,
// as wall-clock time and as process CPU time (all threads).
//   cnn_benchmark [n_gap = 24] [n_flatten = 1000] [repeats = 2]
//
// Issue 14 (--gap): CNTK-GAP, float32, NTK only, on the first n Fashion-MNIST training images
// (pixels / 255; --random or missing files: uniform [0, 1) pixels), the engine's fused path
// (layers_conv_fused.hpp) against its rule-by-rule walk (the path every plan took before),
// interleaved in each repetition, median of R:
//   * the symmetric n × n kernel (one triangle computed), per entry counted three ways: the
//     n(n+1)/2 entries of the triangle, the n² entries of the full matrix (neural-tangents'
//     per-entry figures count a full matrix), and per example pair the tiles computed (16 lanes
//     a tile; a diagonal block takes 9 rotated tiles, 144 pairs for its 136 entries);
//   * a cross kernel, the first n/2 images against the next n/2 (per n²/4 entries; its tiles
//     also compute each set's own variances);
//   * accuracy: the fused path against the rule walk (float32) and against float64 on the
//     first `--check` images: max |K − K64| / √(K64_ii K64_jj).
//   cnn_benchmark --gap [--n 128] [--reps 3] [--check 16] [--random] [--only fused|walk]
#include <time.h>

#include <algorithm>
#include <armadillo>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "cnn_architecture.hpp"
#include "fashion_images.hpp"
#include "timing.hpp"
#include "layers_conv_fused.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using ntk::bench::cpu_seconds;
using ntk::bench::median;
using ntk::bench::Samples;


struct Timing {
  double wall = 1e300, cpu = 1e300;
};

Timing best_seconds(int repeats, const ntk::sdk::Architecture& arch, const ntk::sdk::Inputs& x) {
  Timing best;
  for (int r = 0; r < repeats; ++r) {
    const auto start = Clock::now();
    const double cpu = cpu_seconds();
    const ntk::sdk::Kernels k = arch.kernels(x, x, {false, true});
    const double s = std::chrono::duration<double>(Clock::now() - start).count();
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

int issue5_table(int argc, char** argv) {
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

// ---- issue 14: CNTK-GAP float32 ----

arma::mat fashion(arma::uword n) { return ntk::bench::first_fashion_images(n); }



// Example pairs the engine computes (16 lanes a tile), as layers_conv.cpp lays out its tiles.
double computed_pairs(arma::uword n1, arma::uword n2, bool symmetric) {
  const auto blocks = [](arma::uword n) { return double((n + 15) / 16); };
  if (symmetric) {  // blocks strictly above each example, then each block rotated 0..8
    double tiles = 0;
    for (arma::uword j = 0; j < n1; ++j) tiles += double(j / 16);
    for (arma::uword b = 0; b * 16 < n1; ++b) tiles += double(std::min<arma::uword>(8, std::min<arma::uword>(16, n1 - 16 * b) - 1) + 1);
    return 16 * tiles;
  }
  const arma::uword nb = std::max(n1, n2), no = std::min(n1, n2);
  return 16 * (blocks(nb) * double(no) + blocks(n1) + blocks(n2));
}

double scaled_error(const arma::mat& k, const arma::mat& k64) {
  double worst = 0;
  for (arma::uword j = 0; j < k64.n_cols; ++j)
    for (arma::uword i = 0; i <= j; ++i)
      worst = std::max(worst, std::fabs(k(i, j) - k64(i, j)) / std::sqrt(k64(i, i) * k64(j, j)));
  return worst;
}

int issue14_gap(int argc, char** argv) {
  arma::uword n = 128, check = 16;
  int reps = 3;
  bool random = false;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--n" && i + 1 < argc) n = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--reps" && i + 1 < argc) reps = std::atoi(argv[++i]);
    else if (a == "--check" && i + 1 < argc) check = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--only" && i + 1 < argc) only = argv[++i];
    else if (a == "--random") random = true;
    else if (a != "--gap") {
      std::fprintf(stderr, "cnn_benchmark --gap: unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  arma::mat x = random ? arma::mat() : fashion(n);
  const char* data_name = "Fashion-MNIST (first n training images)";
  if (x.n_cols < n) {
    arma::arma_rng::set_seed(5);
    x = arma::randu(784, n);
    data_name = "uniform [0, 1) pixels";
  }
  using ntk::sdk::Inputs;
  using ntk::sdk::Options;
  namespace detail = ntk::sdk::layers::detail;
  const Options gap32{{"depth", 3.0}, {"readout", std::string("gap")}, {"precision", std::string("float32")}};
  const Options gap64{{"depth", 3.0}, {"readout", std::string("gap")}};
  const auto arch = ntk::cnn::make_architecture(gap32);
  const Inputs all = Inputs::images(x, {1, 28, 28});
  const arma::uword half = n / 2;
  const Inputs left = Inputs::images(x.cols(0, half - 1), {1, 28, 28});
  const Inputs right = Inputs::images(x.cols(half, 2 * half - 1), {1, 28, 28});
  const ntk::sdk::KernelRequest ntk_only{false, true};
  std::printf("CNTK-GAP: depth 3, 3x3 SAME, ReLU, 28x28x1, float32, NTK; %s, n = %llu, "
              "median of %d\n", data_name, (unsigned long long)n, reps);

  struct Path {
    const char* name;
    bool fused;
    Samples sym, cross;
    arma::mat k;
  };
  std::vector<Path> paths;
  if (only != "walk") paths.push_back({"fused", true, {}, {}, {}});
  if (only != "fused") paths.push_back({"rule walk", false, {}, {}, {}});
  for (int r = 0; r < reps; ++r)
    for (Path& p : paths) {
      detail::set_fused_enabled(p.fused);
      p.sym.add([&] { p.k = arch->kernels(all, all, ntk_only).ntk; });
      p.cross.add([&] { arch->kernels(left, right, ntk_only); });
    }
  detail::set_fused_enabled(true);

  const double tri = double(n) * double(n + 1) / 2, full = double(n) * double(n);
  const double sym_pairs = computed_pairs(n, n, true);
  const double cross_entries = double(half) * double(half), cross_pairs = computed_pairs(half, half, false);
  std::printf("symmetric %llu x %llu: %.0f triangle entries, %.0f computed pairs; cross %llu x %llu: "
              "%.0f entries, %.0f computed pairs\n", (unsigned long long)n, (unsigned long long)n,
              tri, sym_pairs, (unsigned long long)half, (unsigned long long)half, cross_entries,
              cross_pairs);
  std::printf("%-10s %-9s %9s %9s | %-32s | %-32s\n", "path", "kernel", "wall s", "cpu s",
              "wall ms per: triangle / n^2 / pair", "cpu/2 ms per: triangle / n^2 / pair");
  for (const Path& p : paths) {
    const double ws = median(p.sym.wall), cs = median(p.sym.cpu) / 2;
    std::printf("%-10s %-9s %9.2f %9.2f | %9.3f %9.3f %9.3f      | %9.3f %9.3f %9.3f\n", p.name,
                "symmetric", ws, 2 * cs, 1e3 * ws / tri, 1e3 * ws / full, 1e3 * ws / sym_pairs,
                1e3 * cs / tri, 1e3 * cs / full, 1e3 * cs / sym_pairs);
    const double wc = median(p.cross.wall), cc = median(p.cross.cpu) / 2;
    std::printf("%-10s %-9s %9.2f %9.2f | %9.3f %9s %9.3f      | %9.3f %9s %9.3f\n", p.name, "cross",
                wc, 2 * cc, 1e3 * wc / cross_entries, "", 1e3 * wc / cross_pairs,
                1e3 * cc / cross_entries, "", 1e3 * cc / cross_pairs);
  }
  if (paths.size() == 2) {
    std::printf("rule walk / fused (same run, medians): symmetric wall %.2f cpu %.2f, cross wall %.2f cpu %.2f\n",
                median(paths[1].sym.wall) / median(paths[0].sym.wall),
                median(paths[1].sym.cpu) / median(paths[0].sym.cpu),
                median(paths[1].cross.wall) / median(paths[0].cross.wall),
                median(paths[1].cross.cpu) / median(paths[0].cross.cpu));
    std::printf("fused vs rule walk (float32, n = %llu): max |K - K_walk| / sqrt(K_ii K_jj) = %.2e\n",
                (unsigned long long)n, scaled_error(paths[0].k, paths[1].k));
  }
  if (check > 0) {
    const Inputs few = Inputs::images(x.cols(0, std::min(check, n) - 1), {1, 28, 28});
    const arma::mat k64 = ntk::cnn::make_architecture(gap64)->kernels(few, few, ntk_only).ntk;
    for (bool fused : {true, false}) {
      detail::set_fused_enabled(fused);
      const arma::mat k32 = arch->kernels(few, few, ntk_only).ntk;
      std::printf("%-10s float32 vs float64 (first %llu images): max |K32 - K64| / sqrt(K64_ii K64_jj) = %.2e\n",
                  fused ? "fused" : "rule walk", (unsigned long long)few.size(), scaled_error(k32, k64));
    }
    detail::set_fused_enabled(true);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--gap") == 0) return issue14_gap(argc, argv);
  return issue5_table(argc, argv);
}
