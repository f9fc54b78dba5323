// FC plugin benchmark (issue 2, "Performance"). Prints timings and ratios measured in the same
// run; each timing is the best of `--reps` repetitions (default 3), interleaved with its
// baseline so that both see the same machine load.
//
//   fc_benchmark [analytic|structured|memory|all] [--reps R]
//
//   analytic    analytic NTK, depth 3, relu, n = 8000, d = 784, symmetric, float64,
//               vs the Gram matrix XᵀX alone (Armadillo, a BLAS syrk)          target ≤ 1.5×
//   structured  empirical NTK of a width-1024 depth-3 network, n = 128, d = 784: structured
//               vs Jacobian contraction J Jᵀ (the SDK default)               target ≥ 20×
//   memory      structured empirical NTK at width 4096, depth 3, n = 2000: time and peak
//               resident memory vs the P·n·8 bytes the Jacobian alone would need
//
// Inputs are MNIST-like: 784 pixels in [0, 1], about 19% of them non-zero, fixed seed.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>

#include "fc_architecture.hpp"
#include "ntk/sdk/network.hpp"

using ntk::sdk::Inputs;
using Clock = std::chrono::steady_clock;

namespace {

arma::mat mnist_like(arma::uword n, std::uint64_t seed) {
  arma::arma_rng::set_seed(seed);
  arma::mat x = arma::randu(784, n);
  x %= arma::conv_to<arma::mat>::from(arma::randu(784, n) < 0.19);
  return x;
}

double seconds(const std::function<void()>& work) {
  const auto start = Clock::now();
  work();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Peak resident set size (VmHWM) in bytes; reset_peak() restarts it (Linux ≥ 4.0).
double peak_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return 1024.0 * std::stod(line.substr(6));
  return -1;
}
void reset_peak() { std::ofstream("/proc/self/clear_refs") << "5"; }
double current_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return 1024.0 * std::stod(line.substr(6));
  return -1;
}

void analytic(int reps) {
  const arma::uword n = 8000;
  const Inputs x = Inputs::dense(mnist_like(n, 1));
  const auto arch = ntk::fc::make_architecture({{"depth", 3.0}, {"activation", std::string("relu")}});
  double gram = 1e300, ntk = 1e300, both = 1e300;
  arma::mat check;
  for (int r = 0; r < reps; ++r) {
    gram = std::min(gram, seconds([&] {
      arma::mat g = x.x().t() * x.x();
      check = g.submat(0, 0, 1, 1);
    }));
    ntk = std::min(ntk, seconds([&] { check = arch->kernels(x, x, {false, true}).ntk.submat(0, 0, 1, 1); }));
    both = std::min(both, seconds([&] { check = arch->kernels(x, x, {true, true}).ntk.submat(0, 0, 1, 1); }));
  }
  std::printf("analytic: n = %llu, d = 784, depth 3 relu, symmetric, float64, best of %d\n",
              (unsigned long long)n, reps);
  std::printf("  Gram X^T X (arma, syrk)        %8.3f s\n", gram);
  std::printf("  analytic NTK only               %8.3f s   ratio to Gram %.2f (target <= 1.5)\n",
              ntk, ntk / gram);
  std::printf("  analytic NNGP + NTK             %8.3f s   ratio to Gram %.2f\n", both, both / gram);
}

void structured(int reps) {
  const Inputs x = Inputs::dense(mnist_like(128, 2));
  const auto arch = ntk::fc::make_architecture({{"depth", 3.0}, {"b_std", 0.1}});
  const auto net = arch->network({1024, 3});
  net->forward(x);  // fixes d = 784 and draws the parameters
  double fast = 1e300, slow = 1e300, jac_time = 1e300;
  arma::mat a, b;
  for (int r = 0; r < reps; ++r) {
    fast = std::min(fast, seconds([&] { a = net->ntk_full(x, x); }));
    slow = std::min(slow, seconds([&] { b = net->::ntk::sdk::Network::ntk_full(x, x); }));
  }
  jac_time = seconds([&] { net->jacobian(x); });
  std::printf("structured: width 1024, depth 3, n = 128, d = 784, P = %llu, best of %d\n",
              (unsigned long long)net->num_params(), reps);
  std::printf("  Jacobian contraction J J^T      %8.3f s   (of which the direct Jacobian %.3f s, %.2f GB)\n",
              slow, jac_time, 128.0 * net->num_params() * 8 / 1e9);
  std::printf("  structured NTK                  %8.3f s   speed-up %.1fx (target >= 20)\n", fast,
              slow / fast);
  std::printf("  relative Frobenius difference   %.2e\n",
              arma::norm(a - b, "fro") / arma::norm(b, "fro"));
}

void memory() {
  const Inputs x = Inputs::dense(mnist_like(2000, 4));
  const auto arch = ntk::fc::make_architecture({{"depth", 3.0}, {"b_std", 0.1}, {"input_dim", 784.0}});
  const auto net = arch->network({4096, 5});
  const double before = current_bytes();
  reset_peak();
  arma::mat theta;
  const double time = seconds([&] { theta = net->ntk(x, x); });
  const double peak = peak_bytes();
  const double p = double(net->num_params());
  std::printf("memory: width 4096, depth 3, n = 2000, d = 784, P = %.0f\n", p);
  std::printf("  structured NTK                  %8.3f s\n", time);
  std::printf("  resident before %.2f GB, peak during %.2f GB (growth %.2f GB)\n", before / 1e9,
              peak / 1e9, (peak - before) / 1e9);
  std::printf("  the contraction's Jacobian alone: P*n*8 = %.1f GB (ratio %.0fx the growth)\n",
              p * 2000 * 8 / 1e9, p * 2000 * 8 / (peak - before));
  std::printf("  NTK finite: %s, symmetric: %s\n", theta.is_finite() ? "yes" : "no",
              theta.is_symmetric() ? "yes" : "no");
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // each figure as soon as it is measured
  std::string what = "all";
  int reps = 3;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--reps") == 0 && i + 1 < argc) reps = std::atoi(argv[++i]);
    else what = argv[i];
  }
  if (what == "memory" || what == "all") memory();  // first: the peak must not include the others
  if (what == "analytic" || what == "all") analytic(reps);
  if (what == "structured" || what == "all") structured(reps);
  return 0;
}
