// Solver benchmarks for issue 3 (figures go to docs/benchmarks.md, "Solvers (issue 3)").
//
//   (a) kernel ridge at n = 10,000 (kernel_ridge_in_place: checks, Cholesky, solve, condition
//       estimate, restoring K) against LAPACK's dpotrf alone, in the same run;
//   (b) the spectral solver answering 100 (λ, t) pairs against one eig_sym of the same kernel.
//
// Usage: solve_benchmark [n_ridge = 10000] [n_spectral = 4000] [n_test = 1000] [repeats = 2]
// Each figure is the best of `repeats`, as wall-clock time and as process CPU time (the
// latter is the robust one on a shared machine when run with one thread:
// OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1).
#include <time.h>

#include <algorithm>
#include <armadillo>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "core/solve/kernel_ridge.hpp"
#include "core/solve/lapack.hpp"
#include "core/solve/spectral.hpp"

namespace {

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Best-of timings of one named piece, wall-clock and CPU.
struct Timing {
  double wall = 1e300, cpu = 1e300;
};

class Stopwatch {
 public:
  explicit Stopwatch(Timing& into)
      : into_(into), wall_(std::chrono::steady_clock::now()), cpu_(cpu_seconds()) {}
  ~Stopwatch() {
    into_.wall = std::min(into_.wall, std::chrono::duration<double>(
                                          std::chrono::steady_clock::now() - wall_).count());
    into_.cpu = std::min(into_.cpu, cpu_seconds() - cpu_);
  }

 private:
  Timing& into_;
  std::chrono::steady_clock::time_point wall_;
  double cpu_;
};

void report(const char* name, const Timing& t, const Timing& reference) {
  std::printf("    %-44s wall %8.3f s (x%.3f)   cpu %8.3f s (x%.3f)\n", name, t.wall,
              t.wall / reference.wall, t.cpu, t.cpu / reference.cpu);
}

// Gaussian (RBF) kernel between the columns of a and b (20-dimensional random points).
arma::mat rbf_kernel(const arma::mat& a, const arma::mat& b) {
  const arma::rowvec na = arma::sum(arma::square(a), 0), nb = arma::sum(arma::square(b), 0);
  arma::mat K = -2.0 * a.t() * b;
  K.each_col() += na.t();
  K.each_row() += nb;
  return arma::exp(-K / (2.0 * a.n_rows));
}

void ridge_benchmark(arma::uword n, int repeats) {
  arma::arma_rng::set_seed(1);
  const arma::mat x = arma::randn(20, n);
  arma::mat K = arma::symmatu(rbf_kernel(x, x));
  const arma::mat Y = arma::randn(1, n);
  const double ridge = 1e-3;
  ntk::core::solve::RidgeOptions plain;
  plain.estimate_condition = false;

  Timing potrf, potrs, pocon, full, no_estimate;
  for (int r = 0; r < repeats; ++r) {
    {
      arma::mat W = K;  // not timed: dpotrf needs a matrix to destroy
      W.diag() += ridge;
      const int nn = static_cast<int>(n), one = 1;
      int info = 0;
      const char lower = 'L';
      {
        Stopwatch watch(potrf);
        dpotrf_(&lower, &nn, W.memptr(), &nn, &info, 1);
      }
      if (info != 0) std::printf("dpotrf failed: info %d\n", info);
      // The other LAPACK pieces of the ridge solve, for the breakdown.
      arma::vec rhs = Y.t();
      {
        Stopwatch watch(potrs);
        dpotrs_(&lower, &nn, &one, W.memptr(), &nn, rhs.memptr(), &nn, &info, 1);
      }
      std::vector<double> work(3 * n);
      std::vector<int> iwork(n);
      double rcond = 0, anorm = 1.0;
      {
        Stopwatch watch(pocon);
        dpocon_(&lower, &nn, W.memptr(), &nn, &anorm, &rcond, work.data(), iwork.data(), &info, 1);
      }
    }
    ntk::core::solve::RidgeSolution s;
    {
      Stopwatch watch(full);
      s = ntk::core::solve::kernel_ridge_in_place(K, Y, ridge);
    }
    {
      Stopwatch watch(no_estimate);
      ntk::core::solve::kernel_ridge_in_place(K, Y, ridge, plain);
    }
    if (r == 0)
      std::printf("(a) ridge, n = %llu (method %s, condition number %.3g, relative residual %.2e)\n",
                  static_cast<unsigned long long>(n), s.method.c_str(), s.condition_number,
                  arma::norm(K * s.alpha + ridge * s.alpha - Y.t()) / arma::norm(Y));
  }
  report("dpotrf alone (reference)", potrf, potrf);
  report("kernel_ridge_in_place (default)", full, potrf);
  report("kernel_ridge_in_place, estimate_condition off", no_estimate, potrf);
  report("  of which dpotrs (1 right-hand side)", potrs, potrf);
  report("  of which dpocon (condition estimate)", pocon, potrf);
}

void spectral_benchmark(arma::uword n, arma::uword m, int repeats) {
  arma::arma_rng::set_seed(2);
  const arma::mat x = arma::randn(20, n + m);
  const arma::mat full = rbf_kernel(x, x);
  const arma::mat K = arma::symmatu(arma::mat(full.submat(0, 0, n - 1, n - 1)));
  const arma::mat K_test = full.submat(n, 0, n + m - 1, n - 1);
  const arma::mat Y = arma::sign(arma::randn(1, n));
  const arma::vec ridges = arma::logspace(-6, 1, 100), times = arma::logspace(-2, 4, 100);

  Timing eig, setup, queries, batched;
  double checksum = 0;
  for (int r = 0; r < repeats; ++r) {
    {
      arma::vec values;
      arma::mat vectors;
      Stopwatch watch(eig);
      arma::eig_sym(values, vectors, K, "dc");
    }
    ntk::core::solve::SpectralOptions options;
    options.K_test = K_test;
    options.on_warning = [](const std::string&) {};
    std::unique_ptr<ntk::core::solve::SpectralSolver> solver;
    {
      Stopwatch watch(setup);
      solver = std::make_unique<ntk::core::solve::SpectralSolver>(K, Y, options);
    }
    // One (λ, t) pair = KRR train and test predictions at λ, u(t), f_t(X_test) and loss(t).
    {
      Stopwatch watch(queries);
      for (arma::uword q = 0; q < 100; ++q) {
        checksum += arma::accu(solver->ridge_train_predictions(ridges[q]));
        checksum += arma::accu(solver->ridge_test_predictions(ridges[q]));
        checksum += arma::accu(solver->train_predictions(times[q]));
        checksum += arma::accu(solver->test_predictions(times[q]));
        checksum += solver->loss(times[q]);
      }
    }
    {
      Stopwatch watch(batched);
      checksum += arma::accu(solver->ridge_train_predictions_many(ridges));
      checksum += arma::accu(solver->ridge_test_predictions_many(ridges));
      checksum += arma::accu(solver->train_predictions_many(times));
      checksum += arma::accu(solver->test_predictions_many(times));
      checksum += arma::accu(solver->loss_curve(times));
    }
  }
  std::printf("(b) spectral, n = %llu, m = %llu test points, k = 1 (checksum %.6g)\n",
              static_cast<unsigned long long>(n), static_cast<unsigned long long>(m), checksum);
  report("eig_sym alone (reference)", eig, eig);
  report("solver set-up (eig_sym + V'y + K_test V)", setup, eig);
  report("100 (lambda, t) pairs, one by one", queries, eig);
  report("100 (lambda, t) pairs, batched (*_many)", batched, eig);
  Timing total{setup.wall + queries.wall, setup.cpu + queries.cpu};
  report("set-up + 100 pairs one by one", total, eig);
}

}  // namespace

int main(int argc, char** argv) {
  const arma::uword n_ridge = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 10000;
  const arma::uword n_spectral = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 4000;
  const arma::uword n_test = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1000;
  const int repeats = argc > 4 ? std::atoi(argv[4]) : 2;
  const char* threads = std::getenv("OPENBLAS_NUM_THREADS");
  std::printf("solve_benchmark: OPENBLAS_NUM_THREADS=%s, best of %d\n", threads ? threads : "(unset)",
              repeats);
  if (n_ridge > 0) ridge_benchmark(n_ridge, repeats);
  if (n_spectral > 0) spectral_benchmark(n_spectral, n_test, repeats);
  return 0;
}
