// Float32 ridge with iterative refinement (issue 14; figures in docs/benchmarks.md, "float32
// ridge (issue 14)"): kernel_ridge_float32 on an n × n float32 Cauchy kernel against LAPACK's spotrf
// alone on the same matrix, in the same run. The bar: the whole solve (check, spotrf,
// refinement with the condition estimate, restoring K) within 1.2× spotrf alone.
//
// Usage: ridge_float32_benchmark [n = 20000] [k = 10] [ridge = 0.01] [m_test = 2000] [repeats = 1]
// The kernel (4n² bytes) exists once; spotrf alone runs in place on it and K is restored
// (untimed) before the solve; with repeats > 1 the two alternate and each keeps its best time
// (wall and CPU apart), which is the fair figure on a shared machine. Threads: OMP_NUM_THREADS and OPENBLAS_NUM_THREADS (2 on the
// reference machine). sgemm 4000³ is timed first as the machine's float32 peak.
#include <time.h>

#include <algorithm>
#include <armadillo>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/solve/float32_kernel.hpp"
#include "core/solve/lapack_float32.hpp"
#include "core/solve/ridge_float32.hpp"

namespace {

namespace solve = ntk::core::solve;

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Cauchy kernel 1 / (1 + |x_i - x_j|² / (2d)) of n random points in d = 20 (positive definite,
// no transcendental: built in seconds at n = 60,000 by OpenMP over columns). The same float
// operations give K(i, j) and K(j, i), so K is exactly symmetric, as a one-triangle kernel is.
arma::fmat cauchy_kernel(arma::uword n) {
  arma::arma_rng::set_seed(1);
  const arma::uword d = 20;
  const arma::fmat x = arma::randn<arma::fmat>(d, n);
  const arma::fmat xt = x.t();  // n × d: column l holds coordinate l of every point
  const arma::frowvec norms = arma::sum(arma::square(x), 0);
  arma::fmat K(n, n);
#pragma omp parallel for schedule(dynamic, 16)
  for (arma::uword j = 0; j < n; ++j) {
    float* column = K.colptr(j);
    std::fill(column, column + n, 0.0f);
    for (arma::uword l = 0; l < d; ++l) {
      const float a = x(l, j);
      const float* coordinate = xt.colptr(l);
      for (arma::uword i = 0; i < n; ++i) column[i] += coordinate[i] * a;
    }
    const float nj = norms[j], scale = 1.0f / (2.0f * d);
    for (arma::uword i = 0; i < n; ++i)
      column[i] = 1.0f / (1.0f + std::max(0.0f, norms[i] + nj - 2.0f * column[i]) * scale);
  }
  solve::float32_kernel::restore(K, arma::conv_to<arma::vec>::from(K.diag()));
  return K;
}

void sgemm_peak() {
  const arma::uword s = 4000;
  arma::arma_rng::set_seed(2);
  const arma::fmat A = arma::randu<arma::fmat>(s, s), B = arma::randu<arma::fmat>(s, s);
  arma::fmat C = A * B;  // warm-up
  const double t0 = wall_seconds();
  C = A * B;
  const double t = wall_seconds() - t0;
  std::printf("sgemm %llu^3: %.3f s, %.0f GFLOP/s (float32 peak of this run)\n",
              static_cast<unsigned long long>(s), t, 2.0 * s * s * s / t / 1e9);
}

}  // namespace

int main(int argc, char** argv) {
  const arma::uword n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 20000;
  const arma::uword k = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 10;
  const double ridge = argc > 3 ? std::atof(argv[3]) : 0.01;
  const arma::uword m = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 2000;
  const char* threads = std::getenv("OPENBLAS_NUM_THREADS");
  std::printf("ridge_float32_benchmark: n = %llu, k = %llu, ridge = %g, OPENBLAS_NUM_THREADS=%s\n",
              static_cast<unsigned long long>(n), static_cast<unsigned long long>(k), ridge,
              threads ? threads : "(unset)");
  sgemm_peak();

  double t0 = wall_seconds();
  arma::fmat K = cauchy_kernel(n);
  std::printf("kernel (%.2f GB float32): built in %.1f s (not part of the comparison)\n",
              4.0 * n * n / 1e9, wall_seconds() - t0);
  // One-hot targets of 10 random classes, as for MNIST.
  arma::arma_rng::set_seed(3);
  arma::mat Y(k, n, arma::fill::zeros);
  for (arma::uword j = 0; j < n; ++j) Y(arma::randi<arma::uword>(arma::distr_param(0, int(k) - 1)), j) = 1;

  const int repeats = argc > 5 ? std::atoi(argv[5]) : 1;
  const arma::vec diagonal = arma::conv_to<arma::vec>::from(K.diag());
  const int ni = static_cast<int>(n);
  const double flops = static_cast<double>(n) * n * n / 3.0;
  double potrf_wall = 1e300, potrf_cpu = 1e300, wall = 1e300, cpu = 1e300;
  solve::Float32RidgeSolution s;
  for (int r = 0; r < repeats; ++r) {
    // spotrf alone, in place; K restored afterwards (untimed).
    for (arma::uword j = 0; j < n; ++j) K(j, j) = static_cast<float>(diagonal[j] + ridge);
    int info = 0;
    const char lower = 'L';
    t0 = wall_seconds();
    double c0 = cpu_seconds();
    spotrf_(&lower, &ni, K.memptr(), &ni, &info, 1);
    const double one_wall = wall_seconds() - t0, one_cpu = cpu_seconds() - c0;
    potrf_wall = std::min(potrf_wall, one_wall);
    potrf_cpu = std::min(potrf_cpu, one_cpu);
    if (info != 0) std::printf("spotrf failed: info %d\n", info);
    solve::float32_kernel::restore(K, diagonal);
    std::printf("[%d] spotrf alone:      wall %8.2f s  cpu %8.2f s  %.0f GFLOP/s\n", r + 1,
                one_wall, one_cpu, flops / one_wall / 1e9);

    t0 = wall_seconds();
    c0 = cpu_seconds();
    solve::Float32RidgeSolution one = solve::kernel_ridge_float32(K, Y, ridge);
    const double solve_wall = wall_seconds() - t0, solve_cpu = cpu_seconds() - c0;
    cpu = std::min(cpu, solve_cpu);
    const solve::Float32RidgeTimings& p = one.seconds;
    std::printf("[%d] kernel_ridge_float32: wall %8.2f s  cpu %8.2f s\n", r + 1, solve_wall, solve_cpu);
    std::printf("    check %.2f s, spotrf %.2f s (%.0f GFLOP/s), refinement %.2f s, condition %.2f s, "
                "restore %.2f s\n", p.check, p.factorisation, flops / p.factorisation / 1e9,
                p.refinement, p.condition, p.restore);
    if (solve_wall < wall) {
      wall = solve_wall;
      s = std::move(one);
    }
  }
  std::printf("best of %d: spotrf alone wall %.2f s (%.0f GFLOP/s) cpu %.2f s; kernel_ridge_float32 "
              "wall %.2f s cpu %.2f s: x%.3f of spotrf alone (wall), x%.3f (cpu)\n", repeats,
              potrf_wall, flops / potrf_wall / 1e9, potrf_cpu, wall, cpu, wall / potrf_wall,
              cpu / potrf_cpu);
  const solve::Float32RidgeTimings& p = s.seconds;
  std::printf("  condition estimate %.3g, %d refinement steps, relative residual %.2e (first "
              "solve %.2e)\n", s.condition_number, s.refinement_steps, s.residual,
              s.residual_history.front());
  // Each step: one residual (2kn² flops in float64) and one solve (2kn²); plus the first solve.
  const double residual_flops = 2.0 * k * n * n;
  std::printf("  refinement: %.2f s a step, residual + solve at %.1f GFLOP/s together\n",
              p.refinement / (s.refinement_steps + 1),
              (s.refinement_steps + 1) * 2 * residual_flops / p.refinement / 1e9);

  if (m > 0) {
    arma::arma_rng::set_seed(4);
    const arma::fmat K_test = arma::randu<arma::fmat>(m, n);
    t0 = wall_seconds();
    const arma::mat F = solve::predict_float32(K_test, s.alpha);
    const double t = wall_seconds() - t0;
    std::printf("predict_float32 (%llu x %llu float32): %.3f s, %.1f GFLOP/s (checksum %.6g)\n",
                static_cast<unsigned long long>(m), static_cast<unsigned long long>(n), t,
                2.0 * m * n * k / t / 1e9, arma::accu(F));
  }
  return 0;
}
