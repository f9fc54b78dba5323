// Factorisation progress (issue 14; figures in docs/benchmarks.md, "Factorisation progress
// (issue 14)"): the blocked Cholesky driver that reports its progress (cholesky_lower_blocked,
// host/src/core/solve/blocked_cholesky.hpp) against one LAPACK ?potrf call on the same matrix,
// interleaved in the same run, for several panel widths. The bar: within ~3 % of ?potrf (the
// median of the per-round ratios), else the driver is not worth its progress lines.
//
// Usage: cholesky_progress_benchmark [n = 14000] [rounds = 3]
//            [blockings = 1024/0,2048/0,2048/8192,4096/0] [precision = float|double]
// A blocking is panel/slab: the panel width and the width of the trailing update's column slabs
// (0: one SYRK per panel); see CholeskyBlocking.
// Each round factorises a fresh copy of the same SPD matrix (a Cauchy kernel of random points
// plus 0.01·I) once with ?potrf and once per panel width; the order is reversed every other
// round so that a drift of the machine's load does not favour one side. Ratios are taken within
// a round (candidate / the round's ?potrf), then their median over rounds. Threads:
// OPENBLAS_NUM_THREADS (2 on the reference machine); OPENBLAS_CORETYPE=SkylakeX.
#include <algorithm>
#include <armadillo>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/solve/blocked_cholesky.hpp"
#include "core/solve/lapack.hpp"
#include "core/solve/lapack_float32.hpp"

namespace {

namespace solve = ntk::core::solve;

double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// 1 / (1 + |x_i − x_j|² / (2d)) of n random points in d = 20, plus 0.01 on the diagonal:
// positive definite, condition number ≈ 1e4-1e5 at these sizes.
template <typename T>
arma::Mat<T> cauchy_kernel(arma::uword n) {
  arma::arma_rng::set_seed(1);
  const arma::uword d = 20;
  const arma::mat x = arma::randn(d, n);
  const arma::rowvec norms = arma::sum(arma::square(x), 0);
  arma::mat distances = -2.0 * x.t() * x;
  distances.each_col() += norms.t();
  distances.each_row() += norms;
  arma::mat K = 1.0 / (1.0 + arma::clamp(distances, 0.0, arma::datum::inf) / (2.0 * d));
  K.diag() += 0.01;
  return arma::conv_to<arma::Mat<T>>::from(arma::symmatl(K));
}

int lapack_potrf(arma::fmat& A) {
  const int n = static_cast<int>(A.n_rows);
  int info = 0;
  spotrf_("L", &n, A.memptr(), &n, &info, 1);
  return info;
}
int lapack_potrf(arma::mat& A) {
  const int n = static_cast<int>(A.n_rows);
  int info = 0;
  dpotrf_("L", &n, A.memptr(), &n, &info, 1);
  return info;
}

// ‖tril(A − B)‖_F / ‖tril(B)‖_F, summed in double without a copy.
template <typename T>
double lower_difference(const arma::Mat<T>& A, const arma::Mat<T>& B) {
  double diff = 0, norm = 0;
  for (arma::uword j = 0; j < A.n_cols; ++j)
    for (arma::uword i = j; i < A.n_rows; ++i) {
      const double a = A(i, j), b = B(i, j);
      diff += (a - b) * (a - b);
      norm += b * b;
    }
  return std::sqrt(diff / norm);
}

// "2048/8192": panel width / update slab width (0: one SYRK per panel).
std::string name(const solve::CholeskyBlocking& b) {
  return std::to_string(b.panel) + "/" + std::to_string(b.update_columns);
}

std::string scientific(double x) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1e", x);
  return x == 0 ? "0 (the same bits)" : text;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

template <typename T>
void run(arma::uword n, int rounds, const std::vector<solve::CholeskyBlocking>& panels) {
  const double flops = static_cast<double>(n) * n * n / 3.0;
  const double t_build = wall_seconds();
  const arma::Mat<T> original = cauchy_kernel<T>(n);
  std::printf("matrix %llu x %llu (%s, %.2f GB) built in %.1f s\n",
              static_cast<unsigned long long>(n), static_cast<unsigned long long>(n),
              sizeof(T) == 4 ? "float32" : "float64", double(sizeof(T)) * n * n / 1e9,
              wall_seconds() - t_build);
  {  // Warm-up: OpenBLAS starts its threads and sizes its buffers on the first call.
    arma::Mat<T> small = original.submat(0, 0, std::min<arma::uword>(n, 2000) - 1,
                                         std::min<arma::uword>(n, 2000) - 1);
    lapack_potrf(small);
  }
  arma::Mat<T> A(n, n), reference;
  const int candidates = 1 + static_cast<int>(panels.size());  // 0: ?potrf, i: panels[i - 1]
  std::vector<std::vector<double>> seconds(candidates), ratios(candidates);
  std::vector<double> difference(candidates, 0);
  for (int r = 0; r < rounds; ++r) {
    std::vector<int> order(candidates);
    for (int c = 0; c < candidates; ++c) order[c] = r % 2 ? candidates - 1 - c : c;
    std::vector<double> round(candidates);
    for (int c : order) {
      std::memcpy(A.memptr(), original.memptr(), sizeof(T) * A.n_elem);
      const int ni = static_cast<int>(n);
      const double t0 = wall_seconds();
      const int info = c == 0 ? lapack_potrf(A)
                              : solve::cholesky_lower_blocked(A.memptr(), ni, ni, nullptr,
                                                              panels[c - 1]);
      round[c] = wall_seconds() - t0;
      if (info != 0) std::printf("  candidate %d failed: info %d\n", c, info);
      seconds[c].push_back(round[c]);
      // The factor, against ?potrf's (lower triangle only; the upper one is K in both).
      if (r == 0) {
        if (c == 0) reference = A;
        else difference[c] = lower_difference(A, reference);
      }
    }
    std::printf("round %d:", r + 1);
    for (int c = 0; c < candidates; ++c) {
      ratios[c].push_back(round[c] / round[0]);
      std::printf("  %s %.2f s (%.0f GFLOP/s)", c == 0 ? "potrf" : name(panels[c - 1]).c_str(),
                  round[c], flops / round[c] / 1e9);
    }
    std::printf("\n");
    std::fflush(stdout);
  }
  std::printf("\n| candidate | median s | GFLOP/s | median ratio to ?potrf | min / max ratio | "
              "factor vs ?potrf's (rel. Frobenius) |\n|---|---|---|---|---|---|\n");
  for (int c = 0; c < candidates; ++c) {
    const auto [lo, hi] = std::minmax_element(ratios[c].begin(), ratios[c].end());
    const double s = median(seconds[c]);
    std::printf("| %s | %.2f | %.0f | %.3f | %.3f / %.3f | %s |\n",
                c == 0 ? (sizeof(T) == 4 ? "spotrf" : "dpotrf")
                       : ("blocked " + name(panels[c - 1])).c_str(),
                s, flops / s / 1e9, median(ratios[c]), *lo, *hi,
                c == 0 ? "-" : scientific(difference[c]).c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  const arma::uword n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 14000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 3;
  // "512/0,2048/8192": panel/slab pairs; a lone number is a panel with one SYRK per panel.
  std::vector<solve::CholeskyBlocking> panels;
  {
    std::string list = argc > 3 ? argv[3] : "1024/0,2048/0,2048/8192,4096/0";
    for (std::size_t at = 0; at < list.size();) {
      const std::size_t comma = std::min(list.find(',', at), list.size());
      const std::string item = list.substr(at, comma - at);
      const std::size_t slash = item.find('/');
      solve::CholeskyBlocking b;
      b.panel = std::atoi(item.substr(0, slash).c_str());
      b.update_columns = slash == std::string::npos ? 0 : std::atoi(item.substr(slash + 1).c_str());
      panels.push_back(b);
      at = comma + 1;
    }
  }
  const std::string precision = argc > 4 ? argv[4] : "float";
  const char* threads = std::getenv("OPENBLAS_NUM_THREADS");
  const char* coretype = std::getenv("OPENBLAS_CORETYPE");
  std::printf("cholesky_progress_benchmark: n = %llu, %d rounds, %s, OPENBLAS_NUM_THREADS=%s, "
              "OPENBLAS_CORETYPE=%s\n", static_cast<unsigned long long>(n), rounds,
              precision.c_str(), threads ? threads : "(unset)", coretype ? coretype : "(unset)");
  if (precision == "double") run<double>(n, rounds, panels);
  else run<float>(n, rounds, panels);
  return 0;
}
