// What the example-pair engine's range checks (issue 13) cost. Figures go to
// docs/benchmarks.md, "Range checks (issue 13)".
//
// The checks, none of which can be switched off in the library:
//   (1) the per-entry range test of relu_block/erf_block (save_out_of_range in
//       layers_elementwise.cpp): one compare pass over each block before the closed form;
//   (2) apply_rules' all_finite pass over each finished chunk (NNGP and NTK, layers.cpp);
//   (3) the progress counter apply_rules feeds (a null sink returns at once).
// They are measured indirectly, in one run, interleaved, median of --reps:
//   maps    relu_entries/erf_entries (the library) on in-range entries, against a copy of the
//           same closed form written here without the range test (results must agree to the
//           bit), and the range test's counting pass alone (as written in the library, and
//           branch-free); 256-entry calls as apply_rules makes them, on L1-resident data;
//   fc      the FC NTK (depth 3, NTK only, n = 4000, d = 784, MNIST-like inputs, relu and
//           erf): input_kernel + apply_rules + finish, with a null progress sink and with a
//           sink; the all_finite pass timed alone over the same chunks; the map tests' share
//           estimated as (library − copy) per entry × entries × activation layers.
//
//   OPENBLAS_CORETYPE=SkylakeX OMP_NUM_THREADS=1 build/bin/range_check_benchmark [--reps R] [--n N]
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <armadillo>

#if defined(__AVX512F__) || defined(__AVX__)
#include <immintrin.h>
#endif

#include "layers.hpp"
#include "layers_elementwise.hpp"
#include "progress_counter.hpp"

namespace layers = ntk::sdk::layers;
using Clock = std::chrono::steady_clock;

namespace {

// ---- a copy of the double closed forms of layers_elementwise.cpp, without the range test ----
namespace plain {

constexpr int kTerms = 26;
constexpr std::size_t kBlock = 256;
constexpr double kPi = 3.14159265358979323846;
constexpr double kHalfPi = kPi / 2, kInvTwoPi = 1 / (2 * kPi), kTwoOverPi = 2 / kPi,
                 kFourOverPi = 4 / kPi;

constexpr std::array<double, kTerms> arcsin_series() {
  std::array<double, kTerms> c{};
  long double central = 1;
  for (int k = 0; k < kTerms; ++k) {
    if (k > 0) central *= (2.0L * k - 1) / (2.0L * k);
    c[k] = static_cast<double>(central / (2.0L * k + 1));
  }
  return c;
}
constexpr std::array<double, kTerms> kArcsin = arcsin_series();

template <std::size_t... K>
[[gnu::always_inline]] inline double arcsin_tail(double z, std::index_sequence<K...>) {
  double q = kArcsin[kTerms - 1];
  ((q = q * z + kArcsin[kTerms - 2 - K]), ...);
  return q;
}
[[gnu::always_inline]] inline double arcsin_small(double y) {
  const double z = y * y;
  return y + y * z * arcsin_tail(z, std::make_index_sequence<kTerms - 2>{});
}
[[gnu::always_inline]] inline double max_of(double a, double b) { return a > b ? a : b; }
[[gnu::always_inline]] inline double clamp_unit(double x) { return x > 1 ? 1 : (x < -1 ? -1 : x); }
[[gnu::always_inline]] inline double abs_of(double x) { return x < 0 ? -x : x; }
[[gnu::always_inline]] inline double half_gap(double x) { return (1 - abs_of(x)) * 0.5; }
[[gnu::always_inline]] inline double arcsin_stage2(double x, double root) {
  const double a = abs_of(x);
  const bool small = a <= 0.5;
  const double p = arcsin_small(small ? a : root);
  const double r = small ? p : kHalfPi - 2 * p;
  return x < 0 ? -r : r;
}
[[gnu::always_inline]] inline double arccos_stage2(double x, double root) {
  const double a = abs_of(x);
  const bool small = a <= 0.5;
  const double p = arcsin_small(small ? a : root);
  const double near_zero = kHalfPi - (x < 0 ? -p : p);
  const double near_one = x > 0 ? 2 * p : kPi - 2 * p;
  return small ? near_zero : near_one;
}
[[gnu::always_inline]] inline double difference_of_products(double a, double b, double c) {
  const double c2 = c * c;
  const double c2_error = std::fma(-c, c, c2);
  return max_of(std::fma(a, b, -c2) + c2_error, 0.0);
}
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
void sqrt_in_place(double* x, std::size_t len) {
  std::size_t i = 0;
#if defined(__AVX512F__)
  for (; i + 8 <= len; i += 8) _mm512_storeu_pd(x + i, _mm512_sqrt_pd(_mm512_loadu_pd(x + i)));
#elif defined(__AVX__)
  for (; i + 4 <= len; i += 4) _mm256_storeu_pd(x + i, _mm256_sqrt_pd(_mm256_loadu_pd(x + i)));
#endif
  for (; i < len; ++i) x[i] = std::sqrt(x[i]);
}
#pragma GCC diagnostic pop

struct Scratch {
  alignas(64) std::array<double, kBlock> x, root, gap, sine;
};

void relu_block(double* __restrict nngp, double* __restrict ntk, const double* __restrict var1,
                const double* __restrict var2, std::size_t len, Scratch& w) {
  double* __restrict x = w.x.data();
  double* __restrict root = w.root.data();
  double* __restrict gap = w.gap.data();
  double* __restrict sine = w.sine.data();
#pragma omp simd
  for (std::size_t i = 0; i < len; ++i) {
    const double prod = var1[i] * var2[i];
    x[i] = prod;
    root[i] = prod > 0 ? prod : 1.0;
    const double c2 = nngp[i] * nngp[i];
    const double c2_error = std::fma(-nngp[i], nngp[i], c2);
    sine[i] = max_of(std::fma(var1[i], var2[i], -c2) + c2_error, 0.0);
  }
  sqrt_in_place(root, len);
  sqrt_in_place(sine, len);
#pragma omp simd
  for (std::size_t i = 0; i < len; ++i) {
    const double minus_rho = x[i] > 0 ? clamp_unit(-nngp[i] / root[i]) : 0.0;
    x[i] = minus_rho;
    gap[i] = half_gap(minus_rho);
  }
  sqrt_in_place(gap, len);
#pragma omp simd
  for (std::size_t i = 0; i < len; ++i) {
    const double pi_minus_theta = arccos_stage2(x[i], gap[i]);
    nngp[i] = (sine[i] + pi_minus_theta * nngp[i]) * kInvTwoPi;
    if (ntk != nullptr) ntk[i] *= pi_minus_theta * kInvTwoPi;
  }
}

void erf_block(double* __restrict nngp, double* __restrict ntk, const double* __restrict var1,
               const double* __restrict var2, std::size_t len, Scratch& w) {
  double* __restrict x = w.x.data();
  double* __restrict root = w.root.data();
  double* __restrict gap = w.gap.data();
  double* __restrict det = w.sine.data();
#pragma omp simd
  for (std::size_t i = 0; i < len; ++i) {
    const double c = nngp[i];
    root[i] = (1 + 2 * var1[i]) * (1 + 2 * var2[i]);
    det[i] = max_of(1 + 2 * (var1[i] + var2[i]) + 4 * difference_of_products(var1[i], var2[i], c),
                    1e-300);
  }
  sqrt_in_place(root, len);
#pragma omp simd
  for (std::size_t i = 0; i < len; ++i) {
    const double c = nngp[i];
    x[i] = clamp_unit(2 * c / root[i]);
    gap[i] = abs_of(x[i]) <= 0.5 ? half_gap(x[i]) : det[i] / (2 * root[i] * (root[i] + 2 * abs_of(c)));
  }
  sqrt_in_place(det, len);
  sqrt_in_place(gap, len);
#pragma omp simd
  for (std::size_t i = 0; i < len; ++i) {
    nngp[i] = kTwoOverPi * arcsin_stage2(x[i], gap[i]);
    if (ntk != nullptr) ntk[i] *= kFourOverPi / det[i];
  }
}

template <class Block>
void blockwise(Block block, double* nngp, double* ntk, const double* var1, const double* var2,
               std::size_t len) {
  Scratch w;
  for (std::size_t i = 0; i < len; i += kBlock)
    block(nngp + i, ntk == nullptr ? nullptr : ntk + i, var1 + i, var2 + i,
          len - i < kBlock ? len - i : kBlock, w);
}
void relu_entries(double* nngp, double* ntk, const double* v1, const double* v2, std::size_t len) {
  blockwise(relu_block, nngp, ntk, v1, v2, len);
}
void erf_entries(double* nngp, double* ntk, const double* v1, const double* v2, std::size_t len) {
  blockwise(erf_block, nngp, ntk, v1, v2, len);
}

// The range tests' counting pass alone (save_out_of_range when no entry is out of range).
[[gnu::noinline]] std::size_t relu_test(const double* c, const double* v1, const double* v2,
                                        std::size_t len) {
  constexpr double low = 0x1p-960, high = 0x1p960, inf = std::numeric_limits<double>::infinity();
  std::size_t count = 0;
#pragma omp simd reduction(+ : count)
  for (std::size_t i = 0; i < len; ++i) {
    const double prod = v1[i] * v2[i];
    count += v1[i] > 0 && v2[i] > 0 && v1[i] < inf && v2[i] < inf &&
                     (prod < low || prod > high || c[i] * c[i] > high) ? 1 : 0;
  }
  return count;
}
[[gnu::noinline]] std::size_t erf_test(const double* c, const double* v1, const double* v2,
                                       std::size_t len) {
  constexpr double high = 0x1p960, inf = std::numeric_limits<double>::infinity();
  std::size_t count = 0;
#pragma omp simd reduction(+ : count)
  for (std::size_t i = 0; i < len; ++i)
    count += v1[i] < inf && v2[i] < inf &&
                     (v1[i] > high || v2[i] > high || v1[i] * v2[i] > high || c[i] * c[i] > high) ? 1 : 0;
  return count;
}

// The same tests written branch-free (bitwise & and | of the comparisons): the form the
// compiler vectorises, which the library's short-circuit && and || are not (GCC 12 reports
// "control flow in loop" for save_out_of_range's counting loop). Measured for comparison.
[[gnu::noinline]] std::size_t relu_test_branch_free(const double* c, const double* v1,
                                                    const double* v2, std::size_t len) {
  constexpr double low = 0x1p-960, high = 0x1p960, inf = std::numeric_limits<double>::infinity();
  std::size_t count = 0;
#pragma omp simd reduction(+ : count)
  for (std::size_t i = 0; i < len; ++i) {
    const double prod = v1[i] * v2[i];
    const bool finite_positive = (v1[i] > 0) & (v2[i] > 0) & (v1[i] < inf) & (v2[i] < inf);
    const bool outside = (prod < low) | (prod > high) | (c[i] * c[i] > high);
    count += (finite_positive & outside) ? 1 : 0;
  }
  return count;
}
[[gnu::noinline]] std::size_t erf_test_branch_free(const double* c, const double* v1,
                                                   const double* v2, std::size_t len) {
  constexpr double high = 0x1p960, inf = std::numeric_limits<double>::infinity();
  std::size_t count = 0;
#pragma omp simd reduction(+ : count)
  for (std::size_t i = 0; i < len; ++i) {
    const bool finite = (v1[i] < inf) & (v2[i] < inf);
    const bool outside = (v1[i] > high) | (v2[i] > high) | (v1[i] * v2[i] > high) | (c[i] * c[i] > high);
    count += (finite & outside) ? 1 : 0;
  }
  return count;
}

// apply_rules' check of a finished chunk (layers.cpp).
[[gnu::noinline]] bool all_finite(const double* x, std::size_t len) {
  double acc = 0;
#pragma omp simd reduction(+ : acc)
  for (std::size_t i = 0; i < len; ++i) acc += x[i] - x[i];
  return acc == 0;
}

}  // namespace plain

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

double seconds(const std::function<void()>& work) {
  const auto start = Clock::now();
  work();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// ---- maps ----------------------------------------------------------------------------------

using EntriesFn = void (*)(double*, double*, const double*, const double*, std::size_t);
using TestFn = std::size_t (*)(const double*, const double*, const double*, std::size_t);

struct MapData {
  std::vector<double> nngp, ntk, var1, var2;
};

// In-range entries: variances in [0.5, 2], correlations in (−0.99, 0.99) and 1/16 of them
// on the diagonal (ρ = 1), NTK in [0.5, 2].
MapData map_data(std::size_t len) {
  arma::arma_rng::set_seed(11);
  MapData d;
  const arma::vec v1 = 0.5 + 1.5 * arma::randu(len), v2 = 0.5 + 1.5 * arma::randu(len);
  const arma::vec rho = 1.98 * arma::randu(len) - 0.99, t = 0.5 + 1.5 * arma::randu(len);
  d.var1.assign(v1.begin(), v1.end());
  d.var2.assign(v2.begin(), v2.end());
  d.ntk.assign(t.begin(), t.end());
  d.nngp.resize(len);
  for (std::size_t i = 0; i < len; ++i) {
    if (i % 16 == 0) d.var2[i] = d.var1[i];
    d.nngp[i] = i % 16 == 0 ? d.var1[i] : rho[i] * std::sqrt(d.var1[i] * d.var2[i]);
  }
  return d;
}

// ns per entry of `fn` over the data in 256-entry calls, `rounds` times (the data restored
// before each round, untimed). The result lands in out (nngp then ntk).
double time_map(EntriesFn fn, const MapData& d, int rounds, std::vector<double>& out) {
  const std::size_t len = d.nngp.size(), chunk = 256;
  std::vector<double> c(len), t(len);
  double total = 0;
  for (int r = 0; r < rounds; ++r) {
    std::copy(d.nngp.begin(), d.nngp.end(), c.begin());
    std::copy(d.ntk.begin(), d.ntk.end(), t.begin());
    const auto start = Clock::now();
    for (std::size_t i = 0; i < len; i += chunk)
      fn(c.data() + i, t.data() + i, d.var1.data() + i, d.var2.data() + i, std::min(chunk, len - i));
    total += std::chrono::duration<double>(Clock::now() - start).count();
  }
  out = c;
  out.insert(out.end(), t.begin(), t.end());
  return 1e9 * total / (double(rounds) * double(len));
}

double time_test(TestFn fn, const MapData& d, int rounds) {
  const std::size_t len = d.nngp.size(), chunk = 256;
  std::size_t found = 0;
  const auto start = Clock::now();
  for (int r = 0; r < rounds; ++r)
    for (std::size_t i = 0; i < len; i += chunk) {
      found += fn(d.nngp.data() + i, d.var1.data() + i, d.var2.data() + i, std::min(chunk, len - i));
      asm volatile("" : : : "memory");
    }
  const double total = std::chrono::duration<double>(Clock::now() - start).count();
  if (found != 0) std::printf("  (unexpected: %zu entries out of range)\n", found);
  return 1e9 * total / (double(rounds) * double(len));
}

struct MapTiming {
  double library = 0, copy = 0, test = 0, branch_free = 0;  // ns per entry (medians)
};

MapTiming maps(const char* name, EntriesFn library, EntriesFn copy, TestFn test,
               TestFn branch_free, int reps) {
  const MapData d = map_data(16384);  // 4 arrays of 128 KB: L2-resident, 256-entry calls in L1
  const int rounds = 200;
  std::vector<double> lib_ns, copy_ns, test_ns, free_ns, out_lib, out_copy;
  for (int r = 0; r < reps; ++r) {
    lib_ns.push_back(time_map(library, d, rounds, out_lib));
    copy_ns.push_back(time_map(copy, d, rounds, out_copy));
    test_ns.push_back(time_test(test, d, rounds));
    free_ns.push_back(time_test(branch_free, d, rounds));
  }
  std::size_t differ = 0;
  for (std::size_t i = 0; i < out_lib.size(); ++i) differ += std::memcmp(&out_lib[i], &out_copy[i], sizeof(double)) != 0;
  MapTiming m{median(lib_ns), median(copy_ns), median(test_ns), median(free_ns)};
  std::printf("%s map, 256-entry calls, median of %d (ns per entry):\n", name, reps);
  std::printf("  library (with range test)  %6.3f\n", m.library);
  std::printf("  copy without the test       %6.3f   library / copy = %.3f\n", m.copy, m.library / m.copy);
  std::printf("  range test pass alone       %6.3f   = %.1f%% of the library map\n", m.test,
              100 * m.test / m.library);
  std::printf("  the test branch-free        %6.3f   = %.1f%% of the library map\n", m.branch_free,
              100 * m.branch_free / m.library);
  std::printf("  entries whose result differs between library and copy: %zu of %zu\n", differ,
              out_lib.size());
  return m;
}

// ---- the FC NTK -------------------------------------------------------------------------

class CountingSink : public ntk::sdk::ProgressSink {
 public:
  void progress(double) override { ++calls; }
  long calls = 0;
};

arma::mat mnist_like(arma::uword n, std::uint64_t seed) {
  arma::arma_rng::set_seed(seed);
  arma::mat x = arma::randu(784, n);
  x %= arma::conv_to<arma::mat>::from(arma::randu(784, n) < 0.19);
  return x;
}

std::vector<layers::Rule> fc_rules(bool relu) {
  std::vector<layers::Rule> rules;
  for (int l = 0; l < 3; ++l) {
    rules.push_back(layers::dense(1.4, 0.1));
    rules.push_back(relu ? layers::relu() : layers::erf());
  }
  rules.push_back(layers::dense(1.4, 0.1));
  return rules;
}

void fc(const MapTiming& map, bool relu, arma::uword n, int reps) {
  const arma::mat x = mnist_like(n, 1);
  const std::vector<layers::Rule> rules = fc_rules(relu);
  CountingSink sink;
  auto kernel = [&](ntk::sdk::ProgressSink* s, double& check) {
    ntk::sdk::KernelState state = layers::input_kernel(x, x, /*symmetric=*/true, /*track_ntk=*/true);
    layers::apply_rules(state, rules, /*keep_nngp=*/false, ntk::sdk::ProgressSpan{s});
    layers::finish(state);
    check = state.ntk(0, 1);
  };
  // The chunks apply_rules checks: column j's rows 0..j in 256-entry pieces, NNGP and NTK.
  const std::size_t chunk = 256;
  std::vector<double> buffer(chunk, 1.0);
  auto finite_pass = [&] {
    bool ok = true;
    for (arma::uword j = 0; j < n; ++j)
      for (arma::uword i0 = 0; i0 <= j; i0 += chunk) {
        const std::size_t len = std::min<std::size_t>(chunk, j + 1 - i0);
        ok = plain::all_finite(buffer.data(), len) && plain::all_finite(buffer.data(), len) && ok;
        asm volatile("" : : "r"(buffer.data()) : "memory");
      }
    if (!ok) std::printf("  (unexpected: non-finite)\n");
  };
  std::vector<double> t_null, t_sink, t_finite;
  double a = 0, b = 0;
  for (int r = 0; r < reps; ++r) {
    t_null.push_back(seconds([&] { kernel(nullptr, a); }));
    t_sink.push_back(seconds([&] { kernel(&sink, b); }));
    t_finite.push_back(seconds(finite_pass));
  }
  if (a != b) std::printf("  (unexpected: the two runs differ)\n");
  const double entries = 0.5 * double(n) * double(n + 1);
  const double null_s = median(t_null), sink_s = median(t_sink), finite_s = median(t_finite);
  const double map_tests_s = 3 * entries * (map.library - map.copy) * 1e-9;
  const double test_pass_s = 3 * entries * map.test * 1e-9;
  std::printf("FC NTK, depth 3 %s, n = %llu, d = 784, NTK only, one triangle, median of %d:\n",
              relu ? "relu" : "erf", (unsigned long long)n, reps);
  std::printf("  null progress sink           %7.3f s\n", null_s);
  std::printf("  with a sink (%5ld calls)     %7.3f s   sink / null = %.3f\n", sink.calls / reps,
              sink_s, sink_s / null_s);
  std::printf("  all_finite pass alone        %7.4f s   = %.2f%% of the kernel\n", finite_s,
              100 * finite_s / null_s);
  std::printf("  map range tests (3 layers)   %7.4f s   = %.2f%% of the kernel (library - copy)\n",
              map_tests_s, 100 * map_tests_s / null_s);
  std::printf("                               %7.4f s   = %.2f%% of the kernel (test pass alone)\n",
              test_pass_s, 100 * test_pass_s / null_s);
}

}  // namespace

int main(int argc, char** argv) {
  int reps = 5;
  arma::uword n = 4000;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--reps") == 0 && i + 1 < argc) reps = std::max(1, std::atoi(argv[++i]));
    else if (std::strcmp(argv[i], "--n") == 0 && i + 1 < argc) n = arma::uword(std::atol(argv[++i]));
    else {
      std::fprintf(stderr, "usage: range_check_benchmark [--reps R] [--n N]\n");
      return 2;
    }
  }
  const char* core = std::getenv("OPENBLAS_CORETYPE");
  std::printf("OPENBLAS_CORETYPE=%s\n", core != nullptr ? core : "(unset)");
  const MapTiming relu = maps("relu", layers::relu_entries, plain::relu_entries, plain::relu_test,
                              plain::relu_test_branch_free, reps);
  const MapTiming erf = maps("erf", layers::erf_entries, plain::erf_entries, plain::erf_test,
                             plain::erf_test_branch_free, reps);
  fc(relu, true, n, reps);
  fc(erf, false, n, reps);
  return 0;
}
