// Float32 kernels (issue 14, "Performance" and "Kernels and solves at scale"): the FC NTK,
// depth 3, relu, symmetric, NTK only, in float64 and float32 output, against the Gram matrix
// alone computed the fastest way (dsyrk / ssyrk, one triangle, 1/d folded into alpha), with
// dgemm and sgemm GFLOP/s measured in the same run; and the accuracy of the float32 kernels
// with the Gram blocks in float64 (dgemm/dsyrk, the library's choice) and in float32
// (sgemm/ssyrk), against the float64 kernel: max |K32 − K64| / √(K64_ii K64_jj).
//
//   fc_float32_benchmark [--n N] [--reps R] [--accuracy-n M] [--random]
//   fc_float32_benchmark --near-duplicates N   (only: the 200 most alike pairs of N examples)
//   fc_float32_benchmark --only float32|float64 [--n N] [--reps R]   (that kernel alone, for a
//                                                                     profiler)
//   fc_float32_benchmark --maps [--n N] [--reps R]   (the float64 kernel step by step: Gram,
//                                                     rules, mirror, per entry)
//
// Inputs: the first N Fashion-MNIST training images (pixels / 255, d = 784) from
// /usr/share/datasets/fashion-mnist, or with --random (or when the files are missing)
// MNIST-like random images (784 pixels in [0, 1], about 19% non-zero, fixed seed). Each timing
// is the median of R repetitions (default 3), all methods interleaved in every repetition.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "fashion_images.hpp"
#include "timing.hpp"
#include "fc_architecture.hpp"
#include "layers_tiled.hpp"
#include "ntk/sdk/architecture.hpp"

using ntk::sdk::Inputs;
using ntk::sdk::KernelRequest;
using ntk::sdk::Precision;
using Clock = std::chrono::steady_clock;

namespace {

arma::mat mnist_like(arma::uword n, std::uint64_t seed) {
  arma::arma_rng::set_seed(seed);
  arma::mat x = arma::randu(784, n);
  x %= arma::conv_to<arma::mat>::from(arma::randu(784, n) < 0.19);
  return x;
}

arma::mat fashion(arma::uword n) { return ntk::bench::first_fashion_images(n); }
using ntk::bench::cpu_seconds;
using ntk::bench::median;
using Timing = ntk::bench::Samples;




template <class T>
void syrk_upper(const arma::Mat<T>& x, arma::Mat<T>& c) {
  const char uplo = 'U', trans = 'T';
  const arma::blas_int n = arma::blas_int(x.n_cols), k = arma::blas_int(x.n_rows);
  const T alpha = T(1) / T(x.n_rows), beta = 0;
  arma::blas::syrk<T>(&uplo, &trans, &n, &k, &alpha, x.memptr(), &k, &beta, c.memptr(), &n);
}

template <class T>
void gemm_full(const arma::Mat<T>& x, arma::Mat<T>& c) {
  const char t = 'T', n = 'N';
  const arma::blas_int m = arma::blas_int(x.n_cols), k = arma::blas_int(x.n_rows);
  const T alpha = 1, beta = 0;
  arma::blas::gemm<T>(&t, &n, &m, &m, &k, &alpha, x.memptr(), &k, x.memptr(), &k, &beta,
                      c.memptr(), &m);
}

// max |k32 − k64| / √(k64_ii k64_jj), and the correlation k64_ij/√(k64_ii k64_jj) where it is.
struct Error {
  double worst = 0, rho = 0;
};
Error scaled_error(const arma::fmat& k32, const arma::mat& k64) {
  Error e;
  for (arma::uword j = 0; j < k64.n_cols; ++j)
    for (arma::uword i = 0; i < k64.n_rows; ++i) {
      const double scale = std::sqrt(k64(i, i) * k64(j, j));
      const double err = std::fabs(double(k32(i, j)) - k64(i, j)) / scale;
      if (err > e.worst) e = {err, k64(i, j) / scale};
    }
  return e;
}

void accuracy(const arma::mat& x, const char* data_name) {
  namespace ly = ntk::sdk::layers;
  const Inputs in = Inputs::dense(x);
  std::printf("accuracy: %s, n = %llu, d = %llu: max |K32 - K64| / sqrt(K64_ii K64_jj)\n",
              data_name, (unsigned long long)x.n_cols, (unsigned long long)x.n_rows);
  struct Setting {
    const char* name;
    double w, b;
  } settings[] = {{"w_std 1, b_std 0 (fc defaults)", 1.0, 0.0}, {"w_std 1.4, b_std 0.1", 1.4, 0.1}};
  for (const Setting& s : settings) {
    const auto arch = ntk::fc::make_architecture(
        {{"depth", 3.0}, {"activation", std::string("relu")}, {"w_std", s.w}, {"b_std", s.b}});
    KernelRequest both;
    both.nngp = both.ntk = true;
    const ntk::sdk::Kernels k64 = arch->kernels(in, in, both);
    std::vector<ly::Rule> rules;
    for (int l = 0; l < 3; ++l) {
      rules.push_back(ly::dense(s.w, s.b));
      rules.push_back(ly::relu());
    }
    rules.push_back(ly::dense(s.w, s.b));
    for (bool float_gram : {false, true}) {
      ly::TiledOptions o;
      o.float32_gram = float_gram;
      const ly::Float32Kernels k32 =
          ly::tiled_float32_kernels(x, x, true, rules, true, true, false, "benchmark", {}, o);
      const Error ntk = scaled_error(k32.ntk, k64.ntk), nngp = scaled_error(k32.nngp, k64.nngp);
      std::printf("  FC relu depth 3, %-32s Gram in %s: NTK %.2e (at rho %.6f), NNGP %.2e (at "
                  "rho %.6f)%s\n",
                  s.name, float_gram ? "float32 (B)" : "float64 (A)", ntk.worst, ntk.rho,
                  nngp.worst, nngp.rho, ntk.worst <= 1e-5 ? "" : "   > 1e-5");
    }
  }
}

// The pairs of examples whose inputs are most alike (largest x_i·x_j / (|x_i| |x_j|), i ≠ j)
// over all of x, found by blocked gemm; then the accuracy of both Gram options on the kernel of
// the examples in those pairs, where the relu map's √(Σ11Σ22 − Σ12²) amplifies a Gram error most.
void near_duplicates(const arma::mat& x, std::size_t top, const char* data_name) {
  namespace ly = ntk::sdk::layers;
  const arma::uword n = x.n_cols;
  const arma::rowvec norms = arma::sqrt(arma::sum(arma::square(x), 0));
  struct Pair {
    double rho;
    arma::uword i, j;
    bool operator<(const Pair& o) const { return rho > o.rho; }  // a min-heap on rho
  };
  std::vector<Pair> best;
  const arma::uword block = 2000;
  for (arma::uword j0 = 0; j0 < n; j0 += block) {
    const arma::uword j1 = std::min(j0 + block, n);
    const arma::mat g = x.cols(0, j1 - 1).t() * x.cols(j0, j1 - 1);
    for (arma::uword j = j0; j < j1; ++j)
      for (arma::uword i = 0; i < j; ++i) {
        const double rho = g(i, j - j0) / (norms[i] * norms[j]);
        if (best.size() < top) {
          best.push_back({rho, i, j});
          std::push_heap(best.begin(), best.end());
        } else if (rho > best.front().rho) {
          std::pop_heap(best.begin(), best.end());
          best.back() = {rho, i, j};
          std::push_heap(best.begin(), best.end());
        }
      }
  }
  std::sort(best.begin(), best.end(), [](const Pair& a, const Pair& b) { return a.rho > b.rho; });
  std::vector<arma::uword> items;
  for (const Pair& p : best)
    for (arma::uword k : {p.i, p.j})
      if (std::find(items.begin(), items.end(), k) == items.end()) items.push_back(k);
  arma::mat sub(x.n_rows, items.size());
  for (std::size_t k = 0; k < items.size(); ++k) sub.col(k) = x.col(items[k]);
  std::printf("near duplicates: %s, the %zu most alike pairs of all %llu examples (input "
              "correlation %.6f .. %.6f), a kernel of their %zu examples:\n",
              data_name, best.size(), (unsigned long long)n, best.back().rho, best.front().rho,
              items.size());
  const auto arch = ntk::fc::make_architecture({{"depth", 3.0}, {"activation", std::string("relu")}});
  const Inputs in = Inputs::dense(sub);
  const ntk::sdk::Kernels k64 = arch->kernels(in, in, {});
  std::vector<ly::Rule> rules;
  for (int l = 0; l < 3; ++l) {
    rules.push_back(ly::dense(1, 0));
    rules.push_back(ly::relu());
  }
  rules.push_back(ly::dense(1, 0));
  for (bool float_gram : {false, true}) {
    ly::TiledOptions o;
    o.float32_gram = float_gram;
    const ly::Float32Kernels k32 =
        ly::tiled_float32_kernels(sub, sub, true, rules, false, true, false, "benchmark", {}, o);
    const Error e = scaled_error(k32.ntk, k64.ntk);
    std::printf("  FC relu depth 3 NTK, Gram in %s: %.2e (at rho %.8f)%s\n",
                float_gram ? "float32 (B)" : "float64 (A)", e.worst, e.rho,
                e.worst <= 1e-5 ? "" : "   > 1e-5");
  }
}

// One triangle of X^T X / d by column blocks of 512: gemm above each block's diagonal square,
// syrk on it (OpenBLAS's syrk runs well below its gemm rate, so this is often faster than one
// syrk of the whole matrix).
template <class T>
void blocked_triangle(const arma::Mat<T>& x, arma::Mat<T>& c) {
  const arma::uword n = x.n_cols;
  const arma::blas_int k = arma::blas_int(x.n_rows), ldc = arma::blas_int(n);
  const T alpha = T(1) / T(x.n_rows), beta = 0;
  const char t = 'T', nn = 'N', upper = 'U';
  for (arma::uword j0 = 0; j0 < n; j0 += 512) {
    const arma::blas_int w = arma::blas_int(std::min<arma::uword>(512, n - j0));
    if (j0 > 0) {
      const arma::blas_int m = arma::blas_int(j0);
      arma::blas::gemm<T>(&t, &nn, &m, &w, &k, &alpha, x.memptr(), &k, x.colptr(j0), &k, &beta,
                          c.colptr(j0), &ldc);
    }
    arma::blas::syrk<T>(&upper, &t, &w, &k, &alpha, x.colptr(j0), &k, &beta,
                        c.colptr(j0) + j0, &ldc);
  }
}

void timing(const arma::mat& x, int reps, const char* data_name) {
  namespace ly = ntk::sdk::layers;
  const arma::uword n = x.n_cols, d = x.n_rows;
  const Inputs in = Inputs::dense(x);
  const arma::fmat xf = arma::conv_to<arma::fmat>::from(x);
  const auto arch = ntk::fc::make_architecture({{"depth", 3.0}, {"activation", std::string("relu")}});
  std::vector<ly::Rule> rules;
  for (int l = 0; l < 3; ++l) {
    rules.push_back(ly::dense(1, 0));
    rules.push_back(ly::relu());
  }
  rules.push_back(ly::dense(1, 0));
  KernelRequest f64, f32;
  f32.output = Precision::float32;
  Timing dsyrk, ssyrk, dblock, sblock, dgemm, sgemm, ntk64, ntk32, ntk32b;
  double check = 0;
  for (int r = 0; r < reps; ++r) {
    // Each method makes its own output, as the kernel does (its page faults included, on
    // transparent huge pages as the kernel's).
    dsyrk.add([&] {
      arma::mat c(n, n, arma::fill::none);
      ly::advise_huge_pages(c);
      syrk_upper(x, c);
      check += c(0, n - 1);
    });
    ssyrk.add([&] {
      arma::fmat c(n, n, arma::fill::none);
      ly::advise_huge_pages(c);
      syrk_upper(xf, c);
      check += c(0, n - 1);
    });
    dblock.add([&] {
      arma::mat c(n, n, arma::fill::none);
      ly::advise_huge_pages(c);
      blocked_triangle(x, c);
      check += c(0, n - 1);
    });
    sblock.add([&] {
      arma::fmat c(n, n, arma::fill::none);
      ly::advise_huge_pages(c);
      blocked_triangle(xf, c);
      check += c(0, n - 1);
    });
    dgemm.add([&] {
      arma::mat c(n, n, arma::fill::none);
      ly::advise_huge_pages(c);
      gemm_full(x, c);
      check += c(0, n - 1);
    });
    sgemm.add([&] {
      arma::fmat c(n, n, arma::fill::none);
      ly::advise_huge_pages(c);
      gemm_full(xf, c);
      check += c(0, n - 1);
    });
    ntk64.add([&] { check += arch->kernels(in, in, f64).ntk(0, n - 1); });
    ntk32.add([&] { check += arch->kernels(in, in, f32).ntk32(0, n - 1); });
    ntk32b.add([&] {
      ly::TiledOptions o;
      o.float32_gram = true;
      check += ly::tiled_float32_kernels(x, x, true, rules, false, true, false, "bench", {}, o)
                   .ntk(0, n - 1);
    });
  }
  const double syrk_flops = double(n) * double(n + 1) * double(d), gemm_flops = 2.0 * n * n * d;
  std::printf("timing: %s, n = %llu, d = %llu, FC NTK depth 3 relu (NTK only, symmetric), "
              "median of %d, wall s (process CPU s) (checksum %.3g)\n",
              data_name, (unsigned long long)n, (unsigned long long)d, reps, check);
  auto line = [&](const char* what, const Timing& t, double flops) {
    const double w = median(t.wall), c = median(t.cpu);
    std::printf("  %-40s %7.3f s (%7.3f)", what, w, c);
    if (flops > 0) std::printf("  %6.1f GFLOP/s", flops / w / 1e9);
    std::printf("\n");
  };
  line("dgemm X^T X (full)", dgemm, gemm_flops);
  line("sgemm X^T X (full)", sgemm, gemm_flops);
  line("dsyrk X^T X / d (one triangle)", dsyrk, syrk_flops);
  line("ssyrk X^T X / d (one triangle)", ssyrk, syrk_flops);
  line("dgemm blocks + dsyrk (one triangle)", dblock, syrk_flops);
  line("sgemm blocks + ssyrk (one triangle)", sblock, syrk_flops);
  line("FC NTK, float64 output", ntk64, 0);
  line("FC NTK, float32 output (A: Gram float64)", ntk32, 0);
  line("FC NTK, float32 output (B: Gram float32)", ntk32b, 0);
  const double d_base = std::min(median(dsyrk.wall), median(dblock.wall));
  const double s_base = std::min(median(ssyrk.wall), median(sblock.wall));
  std::printf("  ratios (wall) to the fastest one-triangle Gram of the same precision "
              "(target <= 1.3):\n"
              "    float64 output / float64 Gram      %.2f   (to dsyrk alone %.2f)\n"
              "    float32 output A / float32 Gram    %.2f   (to ssyrk alone %.2f; to the float64 Gram %.2f)\n"
              "    float32 output B / float32 Gram    %.2f\n",
              median(ntk64.wall) / d_base, median(ntk64.wall) / median(dsyrk.wall),
              median(ntk32.wall) / s_base, median(ntk32.wall) / median(ssyrk.wall),
              median(ntk32.wall) / d_base, median(ntk32b.wall) / s_base);
  std::printf("  the same ratios in CPU time: %.2f, %.2f, %.2f\n",
              median(ntk64.cpu) / std::min(median(dsyrk.cpu), median(dblock.cpu)),
              median(ntk32.cpu) / std::min(median(ssyrk.cpu), median(sblock.cpu)),
              median(ntk32b.cpu) / std::min(median(ssyrk.cpu), median(sblock.cpu)));
}

// The float64 kernel's steps, interleaved with the one-triangle Gram alone (dgemm blocks + dsyrk
// into a fresh n × n matrix): input_kernel() (the same Gram), apply_rules() (the rules' fused
// pass over the stored triangle) and mirror_upper() (finish()), each timed. Wall and process
// CPU time per entry of the triangle.
void maps(const arma::mat& x, int reps) {
  namespace ly = ntk::sdk::layers;
  const arma::uword n = x.n_cols;
  std::vector<ly::Rule> rules;
  for (int l = 0; l < 3; ++l) {
    rules.push_back(ly::dense(1, 0));
    rules.push_back(ly::relu());
  }
  rules.push_back(ly::dense(1, 0));
  Timing gram, input, pass, mirror;
  double check = 0;
  for (int r = 0; r < reps; ++r) {
    gram.add([&] {
      arma::mat c(n, n, arma::fill::none);
      ly::advise_huge_pages(c);
      blocked_triangle(x, c);
      check += c(0, n - 1);
    });
    ntk::sdk::KernelState s;
    input.add([&] { s = ly::input_kernel(x, x, true, true); });
    pass.add([&] { ly::apply_rules(s, rules, /*keep_nngp=*/false); });
    mirror.add([&] { ly::mirror_upper(s.ntk); });
    check += s.ntk(n - 1, 0);
  }
  const double entries = 0.5 * double(n) * double(n + 1);
  std::printf("float64 steps: n = %llu, FC depth 3 relu NTK only, median of %d (checksum %.6g), "
              "ns per entry of the triangle, wall (CPU):\n", (unsigned long long)n, reps, check);
  auto line = [&](const char* what, const Timing& t) {
    std::printf("  %-44s %6.2f (%6.2f)\n", what, median(t.wall) / entries * 1e9,
                median(t.cpu) / entries * 1e9);
  };
  line("Gram alone (dgemm blocks + dsyrk)", gram);
  line("input_kernel (the same Gram)", input);
  line("apply_rules (the rules)", pass);
  line("mirror_upper", mirror);
  const double rest = median(pass.wall) + median(mirror.wall);
  std::printf("  (rules + mirror) / Gram alone %.2f, / input_kernel %.2f (wall)\n",
              rest / median(gram.wall), rest / median(input.wall));
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  arma::uword n = 8000, accuracy_n = 2000, duplicates_n = 0;
  int reps = 3;
  bool random = false;
  std::string only;  // "float32" or "float64": that kernel alone, R times (for a profiler)
  bool maps_only = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--n") == 0 && i + 1 < argc) n = std::strtoull(argv[++i], nullptr, 10);
    else if (std::strcmp(argv[i], "--reps") == 0 && i + 1 < argc) reps = std::atoi(argv[++i]);
    else if (std::strcmp(argv[i], "--accuracy-n") == 0 && i + 1 < argc)
      accuracy_n = std::strtoull(argv[++i], nullptr, 10);
    else if (std::strcmp(argv[i], "--random") == 0) random = true;
    else if (std::strcmp(argv[i], "--only") == 0 && i + 1 < argc) only = argv[++i];
    else if (std::strcmp(argv[i], "--maps") == 0) maps_only = true;
    else if (std::strcmp(argv[i], "--near-duplicates") == 0 && i + 1 < argc)
      duplicates_n = std::strtoull(argv[++i], nullptr, 10);
    else {
      std::fprintf(stderr, "usage: fc_float32_benchmark [--n N] [--reps R] [--accuracy-n M] [--random] [--near-duplicates N] [--only float32|float64] [--maps]\n");
      return 2;
    }
  }
  const char* core = std::getenv("OPENBLAS_CORETYPE");
  const char* threads = std::getenv("OMP_NUM_THREADS");
  std::printf("OPENBLAS_CORETYPE=%s OMP_NUM_THREADS=%s\n", core ? core : "(unset)",
              threads ? threads : "(unset)");
  arma::mat x = random ? arma::mat() : fashion(std::max({n, accuracy_n, duplicates_n}));
  const char* data_name = "Fashion-MNIST (first training images)";
  if (x.is_empty()) {
    x = mnist_like(std::max({n, accuracy_n, duplicates_n}), 1);
    data_name = "MNIST-like random images";
  }
  if (!only.empty()) {
    const auto arch = ntk::fc::make_architecture({{"depth", 3.0}, {"activation", std::string("relu")}});
    const Inputs in = Inputs::dense(x.cols(0, n - 1));
    KernelRequest r;
    if (only == "float32") r.output = Precision::float32;
    for (int k = 0; k < reps; ++k) {
      const auto start = Clock::now();
      const ntk::sdk::Kernels kernels = arch->kernels(in, in, r);
      std::printf("%s NTK: %.3f s\n", only.c_str(),
                  std::chrono::duration<double>(Clock::now() - start).count());
    }
    return 0;
  }
  if (maps_only) {
    maps(x.cols(0, n - 1), reps);
    return 0;
  }
  if (duplicates_n > 0) {
    near_duplicates(x.cols(0, duplicates_n - 1), 200, data_name);
    return 0;
  }
  accuracy(x.cols(0, accuracy_n - 1), data_name);
  if (!random) accuracy(mnist_like(accuracy_n, 2), "MNIST-like random images");
  timing(x.cols(0, n - 1), reps, data_name);
  return 0;
}
