// A C-SVM grid over kernels × splits × C values on precomputed kernels (libsvm), the inner
// loop of kernel model selection (Du et al. 2019's search.py, Arora et al. 2020's UCI.py).
//
// What makes it cheaper than one ntk.solve.svm call per fit, with the same fits:
// - the libsvm problem (n × (n + 2) nodes) of a (kernel, split) is built once and reused for
//   every C; the test rows are read from the full kernel, never copied into a matrix;
// - the (kernel, split) tasks run in parallel (OpenMP threads, each with its own problem);
// - C values run in ascending order, and once a fit has no dual coefficient at its bound C the
//   solution is the same for every larger C (KernelSvm::reaches_bound), so those C reuse that
//   fit's accuracy instead of refitting. This is exact for the optimum; libsvm stops at its
//   tolerance, so a refit could differ at that tolerance (on points within it of the margin).
#pragma once

#include <armadillo>
#include <vector>

#include "core/solve/kernel_svm.hpp"

namespace ntk::core::solve {

struct SvmSplit {
  arma::uvec train;  // 0-based example indices
  arma::uvec test;
};

struct SvmGridResult {
  std::vector<arma::mat> accuracy;  // per kernel: splits × C, fraction of test labels right
  std::size_t fits = 0;             // libsvm fits run
  std::size_t fits_saved = 0;       // (kernel, split, C) cells filled from a smaller C's fit
  double seconds = 0;               // wall clock
};

// kernels: n × n symmetric kernels over the same n examples; labels: n integer labels; C: the
// grid (any order, positive); threads ≤ 0: omp_get_max_threads(). options.C is ignored.
SvmGridResult svm_grid(const std::vector<const arma::mat*>& kernels, const arma::vec& labels,
                       const std::vector<SvmSplit>& splits, const std::vector<double>& C,
                       const SvmOptions& options = {}, int threads = 0);

}  // namespace ntk::core::solve
