#include "core/analysis/interpolation_decomposition.hpp"

#include <cmath>

#include "core/solve/kernel_ridge.hpp"
#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::analysis {
namespace {

void check_shape(const char* what, const arma::mat& x, arma::uword rows, arma::uword cols) {
  if (x.n_rows != rows || x.n_cols != cols)
    throw_error("decomposition(): ", what, " is ", x.n_rows, " x ", x.n_cols, "; expected ", rows,
                " x ", cols);
  sdk::check_finite(std::string("decomposition() ") + what, x);
}

}  // namespace

Decomposition interpolation_decomposition(const DecompositionInputs& in) {
  const arma::uword n = in.K_train.n_rows, m = in.K_test_train.n_rows, k = in.Y.n_rows;
  if (n == 0 || k == 0 || m == 0)
    throw_error("decomposition(): empty input (n = ", n, ", m = ", m, ", k = ", k, ")");
  check_shape("K_train", in.K_train, n, n);
  check_shape("K_test_train", in.K_test_train, m, n);
  check_shape("Y", in.Y, k, n);
  check_shape("f0_train", in.f0_train, k, n);
  check_shape("f0_test", in.f0_test, k, m);

  // One factorisation for both right-hand sides: [Y; f0(X)]ᵀ.
  solve::RidgeOptions options;
  options.on_warning = in.on_warning;
  const solve::RidgeSolution solution =
      solve::kernel_ridge(in.K_train, arma::join_cols(in.Y, in.f0_train), in.ridge, options);
  const arma::mat projected = (in.K_test_train * solution.alpha).t();  // 2k × m

  Decomposition out;
  out.interpolation = projected.rows(0, k - 1);
  out.initialization = in.f0_test - projected.rows(k, 2 * k - 1);
  out.linearized = out.interpolation + out.initialization;
  out.method = solution.method;
  out.condition_number = solution.condition_number;
  out.warnings = solution.warnings;
  return out;
}

LowerBound lower_bound(const DecompositionInputs& inputs, const arma::mat& Y_test, double sigma,
                       unsigned layers) {
  if (sigma > 0 && layers == 0)
    throw_error("lower_bound(): sigma = ", sigma, " needs the number of layers L >= 1");
  LowerBound out;
  out.decomposition = interpolation_decomposition(inputs);
  const Decomposition& d = out.decomposition;
  const double root_m = std::sqrt(static_cast<double>(d.initialization.n_cols));
  out.J_sigma = arma::norm(d.initialization, "fro") / root_m;
  const double nan = arma::datum::nan;
  out.J = sigma > 0 ? out.J_sigma / std::pow(sigma, static_cast<double>(layers)) : nan;
  out.sqrt_loss_interpolation = out.sqrt_loss_linearized = out.bound = nan;
  if (!Y_test.is_empty()) {
    check_shape("Y_test", Y_test, d.interpolation.n_rows, d.interpolation.n_cols);
    out.sqrt_loss_interpolation = arma::norm(d.interpolation - Y_test, "fro") / root_m;
    out.sqrt_loss_linearized = arma::norm(d.linearized - Y_test, "fro") / root_m;
    out.bound = std::abs(out.J_sigma - out.sqrt_loss_interpolation);
  }
  return out;
}

}  // namespace ntk::core::analysis
