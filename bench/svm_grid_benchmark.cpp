// ntk.solve.svm_grid against the same fits made one by one as the scripts made them before
// (copy the train and test blocks, build libsvm's problem, fit, predict: one KernelSvm per
// (kernel, split, C)), in one run, alternating which goes first. Same kernel, splits and C grid;
// the accuracies are compared cell by cell. The kernel: a Gaussian kernel of n points in 10-D
// with 15 % flipped labels (bounded coefficients at every C, as on NCI1), or a separable one
// (--separable: the large C are taken from a smaller C's fit).
//
//   svm_grid_benchmark [n = 2000] [folds = 5] [threads = 2] [--separable]
#include <omp.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/solve/svm_grid.hpp"
#include "timing.hpp"

using namespace ntk::core::solve;

int main(int argc, char** argv) {
  const arma::uword n = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 2000;
  const arma::uword k = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 5;
  const int threads = argc > 3 ? std::atoi(argv[3]) : 2;
  const bool separable = argc > 4 && std::strcmp(argv[4], "--separable") == 0;

  arma::arma_rng::set_seed(1);
  const arma::mat x = arma::randn(10, n);
  arma::vec labels = arma::conv_to<arma::vec>::from(arma::sum(x.rows(0, 2)) > 0);
  if (!separable)
    for (arma::uword i = 0; i < n; ++i)
      if (arma::randu() < 0.15) labels[i] = 1 - labels[i];
  const arma::rowvec sq = arma::sum(arma::square(x));
  arma::mat K = x.t() * x;
  K = arma::exp(-(arma::repmat(sq.t(), 1, n) + arma::repmat(sq, n, 1) - 2 * K) / 20.0);

  std::vector<SvmSplit> splits;
  for (arma::uword f = 0; f < k; ++f) {
    std::vector<arma::uword> train, test;
    for (arma::uword i = 0; i < n; ++i) (i % k == f ? test : train).push_back(i);
    splits.push_back({arma::uvec(train), arma::uvec(test)});
  }
  const std::vector<double> C = {1e-2, 1e-1, 1, 10, 1e2, 1e3, 1e4};

  arma::mat one_by_one(k, C.size());
  SvmGridResult grid;
  ntk::bench::Samples old_way, new_way;
  for (int rep = 0; rep < 2; ++rep) {
    auto run_old = [&] {
      for (arma::uword s = 0; s < k; ++s)
        for (std::size_t c = 0; c < C.size(); ++c) {
          SvmOptions o;
          o.C = C[c];
          const KernelSvm model(K.submat(splits[s].train, splits[s].train),
                                labels.elem(splits[s].train), o);
          const arma::vec p = model.predict(K.submat(splits[s].test, splits[s].train));
          one_by_one(s, c) = static_cast<double>(arma::accu(p == labels.elem(splits[s].test))) /
                             static_cast<double>(splits[s].test.n_elem);
        }
    };
    auto run_new = [&] { grid = svm_grid({&K}, labels, splits, C, {}, threads); };
    if (rep % 2 == 0) {
      old_way.add(run_old);
      new_way.add(run_new);
    } else {
      new_way.add(run_new);
      old_way.add(run_old);
    }
  }
  const double worst = arma::abs(one_by_one - grid.accuracy[0]).max();
  std::printf("n = %llu, %llu folds, %zu C, %s labels, svm_grid threads = %d\n",
              static_cast<unsigned long long>(n), static_cast<unsigned long long>(k), C.size(),
              separable ? "separable" : "15 % flipped", threads);
  std::printf("one fit at a time (1 thread): wall %.2f s, cpu %.2f s (median of %zu)\n",
              ntk::bench::median(old_way.wall), ntk::bench::median(old_way.cpu), old_way.wall.size());
  std::printf("svm_grid:                     wall %.2f s, cpu %.2f s; fits %zu, saved %zu\n",
              ntk::bench::median(new_way.wall), ntk::bench::median(new_way.cpu), grid.fits,
              grid.fits_saved);
  std::printf("ratio one-by-one / svm_grid: wall %.2f, cpu %.2f; largest accuracy difference %.3g\n",
              ntk::bench::median(old_way.wall) / ntk::bench::median(new_way.wall),
              ntk::bench::median(old_way.cpu) / ntk::bench::median(new_way.cpu), worst);
  return 0;
}
