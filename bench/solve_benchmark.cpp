// Solver benchmarks for issue 3 (figures go to docs/benchmarks.md, "Solvers (issue 3)").
//
//   (a) kernel ridge at n = 10,000 (kernel_ridge_in_place: checks, Cholesky, solve, condition
//       estimate, restoring K) against LAPACK's dpotrf alone, in the same run;
//   (b) the spectral solver answering 100 (λ, t) pairs against one eig_sym of the same kernel.
//
// Usage: solve_benchmark [n_ridge = 10000] [n_spectral = 4000] [n_test = 1000] [repeats = 2]
// Each timing is the best of `repeats`. Threads: OPENBLAS_NUM_THREADS / OMP_NUM_THREADS.
#include <algorithm>
#include <armadillo>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/solve/kernel_ridge.hpp"
#include "core/solve/lapack.hpp"
#include "core/solve/spectral.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Gaussian (RBF) kernel of n random points in d = 20 dimensions plus λ on the diagonal;
// points train then test, so the test-train block is consistent.
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
  arma::mat K = rbf_kernel(x, x);
  K = arma::symmatu(K);
  const arma::mat Y = arma::randn(1, n);
  const double ridge = 1e-3;

  double potrf_best = 1e300, potrs_best = 1e300, pocon_best = 1e300;
  double ridge_best = 1e300, plain_best = 1e300;
  ntk::core::solve::RidgeOptions plain;
  plain.estimate_condition = false;
  for (int r = 0; r < repeats; ++r) {
    {
      arma::mat W = K;  // not timed: dpotrf needs a matrix to destroy
      W.diag() += ridge;
      const int nn = static_cast<int>(n), one = 1;
      int info = 0;
      const char lower = 'L';
      auto start = Clock::now();
      dpotrf_(&lower, &nn, W.memptr(), &nn, &info, 1);
      potrf_best = std::min(potrf_best, seconds_since(start));
      if (info != 0) std::printf("dpotrf failed: info %d\n", info);
      // The other LAPACK pieces of the ridge solve, for the breakdown.
      arma::vec rhs = Y.t();
      start = Clock::now();
      dpotrs_(&lower, &nn, &one, W.memptr(), &nn, rhs.memptr(), &nn, &info, 1);
      potrs_best = std::min(potrs_best, seconds_since(start));
      std::vector<double> work(3 * n);
      std::vector<int> iwork(n);
      double rcond = 0, anorm = 1.0;
      start = Clock::now();
      dpocon_(&lower, &nn, W.memptr(), &nn, &anorm, &rcond, work.data(), iwork.data(), &info, 1);
      pocon_best = std::min(pocon_best, seconds_since(start));
    }
    auto start = Clock::now();
    const ntk::core::solve::RidgeSolution s =
        ntk::core::solve::kernel_ridge_in_place(K, Y, ridge);
    ridge_best = std::min(ridge_best, seconds_since(start));
    start = Clock::now();
    ntk::core::solve::kernel_ridge_in_place(K, Y, ridge, plain);
    plain_best = std::min(plain_best, seconds_since(start));
    if (r == 0)
      std::printf("  ridge method %s, condition number %.3g, residual %.2e\n", s.method.c_str(),
                  s.condition_number,
                  arma::norm(K * s.alpha + ridge * s.alpha - Y.t()) / arma::norm(Y));
  }
  std::printf("(a) ridge n = %llu: dpotrf alone %.3f s; kernel_ridge_in_place %.3f s (ratio %.3f); "
              "without the condition estimate %.3f s (ratio %.3f); breakdown: dpotrs %.3f s, "
              "dpocon %.3f s\n",
              static_cast<unsigned long long>(n), potrf_best, ridge_best, ridge_best / potrf_best,
              plain_best, plain_best / potrf_best, potrs_best, pocon_best);
}

void spectral_benchmark(arma::uword n, arma::uword m, int repeats) {
  arma::arma_rng::set_seed(2);
  const arma::mat x = arma::randn(20, n + m);
  const arma::mat full = rbf_kernel(x, x);
  const arma::mat K = arma::symmatu(arma::mat(full.submat(0, 0, n - 1, n - 1)));
  const arma::mat K_test = full.submat(n, 0, n + m - 1, n - 1);
  const arma::mat Y = arma::sign(arma::randn(1, n));
  const arma::vec ridges = arma::logspace(-6, 1, 100), times = arma::logspace(-2, 4, 100);

  double eig_best = 1e300, setup_best = 1e300, queries_best = 1e300, batched_best = 1e300;
  for (int r = 0; r < repeats; ++r) {
    {
      arma::vec values;
      arma::mat vectors;
      const auto start = Clock::now();
      arma::eig_sym(values, vectors, K, "dc");
      eig_best = std::min(eig_best, seconds_since(start));
    }
    ntk::core::solve::SpectralOptions options;
    options.K_test = K_test;
    options.on_warning = [](const std::string&) {};
    auto start = Clock::now();
    const ntk::core::solve::SpectralSolver solver(K, Y, options);
    setup_best = std::min(setup_best, seconds_since(start));

    // One (λ, t) pair = KRR train and test predictions at λ, u(t), f_t(X_test) and loss(t).
    double checksum = 0;
    start = Clock::now();
    for (arma::uword q = 0; q < 100; ++q) {
      checksum += arma::accu(solver.ridge_train_predictions(ridges[q]));
      checksum += arma::accu(solver.ridge_test_predictions(ridges[q]));
      checksum += arma::accu(solver.train_predictions(times[q]));
      checksum += arma::accu(solver.test_predictions(times[q]));
      checksum += solver.loss(times[q]);
    }
    queries_best = std::min(queries_best, seconds_since(start));

    start = Clock::now();
    checksum += arma::accu(solver.ridge_train_predictions_many(ridges));
    checksum += arma::accu(solver.ridge_test_predictions_many(ridges));
    checksum += arma::accu(solver.train_predictions_many(times));
    checksum += arma::accu(solver.test_predictions_many(times));
    checksum += arma::accu(solver.loss_curve(times));
    batched_best = std::min(batched_best, seconds_since(start));
    if (r == 0) std::printf("  (checksum %.6g)\n", checksum);
  }
  std::printf("(b) spectral n = %llu, m = %llu: eig_sym %.3f s; solver set-up (eig_sym + "
              "projections + K_test V) %.3f s; 100 pairs one by one %.3f s (ratio to eig_sym "
              "%.3f), batched %.3f s (ratio %.3f); set-up + 100 pairs / eig_sym = %.3f\n",
              static_cast<unsigned long long>(n), static_cast<unsigned long long>(m), eig_best,
              setup_best, queries_best, queries_best / eig_best, batched_best,
              batched_best / eig_best, (setup_best + queries_best) / eig_best);
}

}  // namespace

int main(int argc, char** argv) {
  const arma::uword n_ridge = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 10000;
  const arma::uword n_spectral = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 4000;
  const arma::uword n_test = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1000;
  const int repeats = argc > 4 ? std::atoi(argv[4]) : 2;
  if (n_ridge > 0) ridge_benchmark(n_ridge, repeats);
  if (n_spectral > 0) spectral_benchmark(n_spectral, n_test, repeats);
  return 0;
}
