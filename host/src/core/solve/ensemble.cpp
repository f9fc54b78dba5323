#include "core/solve/ensemble.hpp"

#include <cmath>
#include <string>

#include "core/solve/symmetry.hpp"
#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::solve {
namespace {

// Messages use the names of the Lua binding (lua/solve_ensemble.cpp), its only caller.
constexpr const char* kFn = "ntk.solve.ensemble";

void check_block(const arma::mat* M, const char* name, arma::uword rows, arma::uword cols,
                 const char* layout) {
  if (M->n_rows != rows || M->n_cols != cols)
    throw_error(kFn, ": ", name, " is ", M->n_rows, " x ", M->n_cols, "; expected ", rows, " x ",
                cols, " (", layout, ")");
  sdk::check_finite(std::string(kFn) + ": " + name, *M);
}

void check_square_kernel(const arma::mat* M, const char* name, arma::uword size,
                         const char* layout) {
  check_block(M, name, size, size, layout);
  check_symmetric((std::string(kFn) + ": " + name).c_str(), *M);
}

void check_inputs(const EnsembleKernels& k, const arma::mat& Y, const arma::vec& times,
                  const EnsembleOptions& o) {
  const bool ntk = o.kernel == EnsembleKernel::ntk;
  const char* train_name = ntk ? "the NTK train-train block" : "the NNGP train-train block";
  if (!k.train) throw_error(kFn, ": K_train is required (", train_name, ", n x n)");
  if (!k.test_train)
    throw_error(kFn, ": K_test_train is required (test rows, training columns: m x n)");
  const arma::uword n = k.train->n_rows, m = k.test_train->n_rows;
  if (n == 0) throw_error(kFn, ": K_train is empty");
  check_square_kernel(k.train, "K_train", n, train_name);
  check_block(k.test_train, "K_test_train", m, n, "m x n: test rows, training columns");
  if (Y.n_cols != n || Y.n_rows == 0)
    throw_error(kFn, ": Y is ", Y.n_rows, " x ", Y.n_cols, "; expected k x ", n,
                " (one column per training example)");
  sdk::check_finite(std::string(kFn) + ": Y", Y);
  if (!std::isfinite(o.ridge) || o.ridge < 0)
    throw_error(kFn, ": ridge must be a finite number >= 0, got ", o.ridge);
  for (arma::uword j = 0; j < times.n_elem; ++j)
    if (std::isnan(times[j]) || times[j] < 0)
      throw_error(kFn, ": t[", j + 1, "] = ", times[j], "; times must be >= 0 (or \"inf\")");

  // K_test_test is the NTK's with kernel = "ntk": Eq. 16 does not use it, so it is only
  // checked for shape when given.
  if (k.test_test) check_square_kernel(k.test_test, "K_test_test", m, "m x m test-test block");
  const bool any_nngp = k.nngp_train || k.nngp_test_train || k.nngp_test_test;
  if (!ntk && any_nngp)
    throw_error(kFn, ": nngp_train / nngp_test_train / nngp_test_test are for kernel = \"ntk\"; "
                     "with kernel = \"nngp\" pass the NNGP blocks as K_train, K_test_train, "
                     "K_test_test");
  if (!o.covariance) return;
  if (!ntk) {
    if (!k.test_test)
      throw_error(kFn, ": the covariance needs K_test_test (the NNGP test-test block, m x m); "
                       "pass it or set covariance = false");
    return;
  }
  const char* missing = !k.nngp_train        ? "nngp_train"
                        : !k.nngp_test_train ? "nngp_test_train"
                        : !k.nngp_test_test  ? "nngp_test_test"
                                             : nullptr;
  if (missing)
    throw_error(kFn, ": kernel = \"ntk\" with covariance needs the NNGP blocks nngp_train (n x n), "
                     "nngp_test_train (m x n) and nngp_test_test (m x m) besides the NTK blocks "
                     "K_*; ", missing, " is missing (compute it with the architecture's "
                     "kernel(x1, x2, \"nngp\"), or set covariance = false for the mean only)");
  check_square_kernel(k.nngp_train, "nngp_train", n, "the NNGP train-train block, n x n");
  check_block(k.nngp_test_train, "nngp_test_train", m, n, "m x n: test rows, training columns");
  check_square_kernel(k.nngp_test_test, "nngp_test_test", m, "the NNGP test-test block, m x m");
}

// (1 − e^{−μt/n})/μ: the spectral weight of Θ̃⁻¹(I − e^{−Θ̃t/n}); 1/μ at t = ∞, 0 on the
// (numerical) null space. expm1 keeps it accurate for small μt.
arma::vec flow_weights(const arma::vec& mu, double tolerance, double t, double n) {
  arma::vec g(mu.n_elem);
  for (arma::uword i = 0; i < mu.n_elem; ++i)
    g[i] = mu[i] <= tolerance ? 0.0
           : std::isinf(t)    ? 1.0 / mu[i]
                              : -std::expm1(-mu[i] * t / n) / mu[i];
  return g;
}

}  // namespace

const char* ensemble_kernel_name(EnsembleKernel kernel) {
  return kernel == EnsembleKernel::ntk ? "ntk" : "nngp";
}

std::vector<EnsemblePrediction> ensemble_predict(const EnsembleKernels& kernels,
                                                 const arma::mat& Y, const arma::vec& times,
                                                 const EnsembleOptions& options) {
  check_inputs(kernels, Y, times, options);
  const bool ntk = options.kernel == EnsembleKernel::ntk;
  const arma::uword n = kernels.train->n_rows;
  const double n_train = static_cast<double>(n);

  // The one eigen-decomposition: Θ̃ = Θ + λI = V diag(μ) Vᵀ.
  sdk::check_allocation(std::string(kFn) + ": the eigenvectors of K_train", double(n), double(n));
  arma::vec mu;
  arma::mat V;
  {
    arma::mat shifted = *kernels.train;
    shifted.diag() += options.ridge;
    if (!arma::eig_sym(mu, V, shifted, "dc"))
      throw_error(kFn, ": the eigen-decomposition of the ", n, " x ", n,
                  " train kernel (K_train + ridge I) did not converge");
  }
  const double tolerance = n_train * arma::datum::eps * arma::abs(mu).max();

  const arma::mat T = *kernels.test_train * V;  // m × n: Θ(x*, X) V
  const arma::mat projected = V.t() * Y.t();    // n × k: Vᵀ yᵀ
  arma::mat B, C;                               // "ntk" covariance: Vᵀ K(X, x*), Vᵀ K(X, X) V
  if (options.covariance && ntk) {
    B = V.t() * kernels.nngp_test_train->t();
    C = V.t() * *kernels.nngp_train * V;
  }
  const arma::mat* prior = ntk ? kernels.nngp_test_test : kernels.test_test;  // K**

  std::vector<EnsemblePrediction> out;
  out.reserve(times.n_elem);
  for (const double t : times) {
    EnsemblePrediction p;
    p.time = t;
    const arma::vec g = flow_weights(mu, tolerance, t, n_train);
    p.mean = (T * (projected.each_col() % g)).t();  // (P_t yᵀ)ᵀ, k × m
    if (options.covariance) {
      if (ntk) {
        const arma::mat A = T.each_row() % g.t();  // P_t V = T G
        const arma::mat AB = A * B;                // P_t K(X, x*)
        p.covariance = *prior - AB - AB.t() + (A * C) * A.t();
      } else {
        // Θ = K and K(X, X) = Θ̃ (ridge as noise): 2g − μg² = (1 − e^{−2μt/n})/μ.
        const arma::vec h = flow_weights(mu, tolerance, 2 * t, n_train);
        p.covariance = *prior - (T.each_row() % h.t()) * T.t();
      }
      p.covariance = 0.5 * (p.covariance + p.covariance.t());
    }
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace ntk::core::solve
