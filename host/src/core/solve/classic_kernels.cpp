#include "core/solve/classic_kernels.hpp"

#include <cmath>
#include <string>

#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::solve {
namespace {

// ⟨a_i, b_j⟩ for all pairs; one syrk triangle, mirrored, when a and b are the same object.
arma::mat gram(const arma::mat& a, const arma::mat& b, const char* fn) {
  if (a.n_rows != b.n_rows)
    throw_error(fn, ": inputs have ", a.n_rows, " and ", b.n_rows, " rows (", a.n_rows, " x ",
                a.n_cols, " and ", b.n_rows, " x ", b.n_cols, ")");
  sdk::check_finite(std::string(fn) + ", first input", a);
  if (&a != &b) sdk::check_finite(std::string(fn) + ", second input", b);
  sdk::check_allocation(std::string(fn) + ": the " + std::to_string(a.n_cols) + " x " +
                            std::to_string(b.n_cols) + " kernel",
                        double(a.n_cols), double(b.n_cols));
  if (&a != &b) return a.t() * b;
  const arma::uword n = a.n_cols;
  arma::mat g(n, n);
  if (n == 0) return g;
  const char uplo = 'U', trans = 'T';
  const arma::blas_int bn = arma::blas_int(n), k = arma::blas_int(a.n_rows);
  const double one = 1.0, zero = 0.0;
  arma::blas::syrk<double>(&uplo, &trans, &bn, &k, &one, a.memptr(), &k, &zero, g.memptr(), &bn);
  g = arma::symmatu(g);
  return g;
}

}  // namespace

arma::mat squared_distances(const arma::mat& a, const arma::mat& b) {
  const char* fn = "squared_distances()";
  arma::mat d = gram(a, b, fn);
  const bool symmetric = &a == &b;
  const arma::vec na = symmetric ? arma::vec(d.diag()) : arma::vec(arma::sum(arma::square(a), 0).t());
  const arma::vec nb = symmetric ? na : arma::vec(arma::sum(arma::square(b), 0).t());
#pragma omp parallel for schedule(static) if (d.n_elem > 100000)
  for (arma::uword j = 0; j < d.n_cols; ++j)
    for (arma::uword i = 0; i < d.n_rows; ++i)
      d(i, j) = std::max(na[i] + nb[j] - 2 * d(i, j), 0.0);
  if (symmetric) d.diag().zeros();
  return d;
}

arma::mat gaussian_kernel(const arma::mat& squared_distances, double gamma) {
  if (!(gamma > 0) || !std::isfinite(gamma))
    throw_error("gaussian_kernel(): gamma must be a finite number > 0, got ", gamma);
  sdk::check_finite("gaussian_kernel(), squared distances", squared_distances);
  if (squared_distances.min() < 0)
    throw_error("gaussian_kernel(): squared distances must be >= 0, the smallest is ",
                squared_distances.min());
  arma::mat k(arma::size(squared_distances));
  const double* d = squared_distances.memptr();
  double* out = k.memptr();
#pragma omp parallel for schedule(static) if (k.n_elem > 100000)
  for (arma::uword i = 0; i < k.n_elem; ++i) out[i] = std::exp(-gamma * d[i]);
  return k;
}

arma::mat polynomial_kernel(const arma::mat& a, const arma::mat& b, int degree, double gamma,
                            double coef0) {
  const char* fn = "polynomial_kernel()";
  if (degree < 1 || degree > 100)
    throw_error(fn, ": degree must be an integer in 1..100, got ", degree);
  if (!std::isfinite(gamma) || !std::isfinite(coef0))
    throw_error(fn, ": gamma and coef0 must be finite, got ", gamma, " and ", coef0);
  arma::mat k = gram(a, b, fn);
  double* p = k.memptr();
#pragma omp parallel for schedule(static) if (k.n_elem > 100000)
  for (arma::uword i = 0; i < k.n_elem; ++i) {
    const double base = gamma * p[i] + coef0;
    double v = base;
    for (int e = 1; e < degree; ++e) v *= base;
    p[i] = v;
  }
  return k;
}

}  // namespace ntk::core::solve
