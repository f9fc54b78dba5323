#include "core/analysis/spectrum.hpp"

#include "core/solve/symmetry.hpp"
#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::analysis {

Spectrum spectrum(const arma::mat& K, const arma::mat& Y, bool keep_eigenvectors) {
  const char* fn = "spectrum()";
  if (K.n_rows == 0 || K.n_rows != K.n_cols)
    throw_error(fn, ": the kernel must be square and non-empty, got ", K.n_rows, " x ", K.n_cols);
  if (!Y.is_empty() && Y.n_cols != K.n_rows)
    throw_error(fn, ": targets are ", Y.n_rows, " x ", Y.n_cols, " but the kernel is ", K.n_rows,
                " x ", K.n_cols, "; targets must be k x n");
  solve::check_symmetric(fn, K);  // also checks the entries are finite
  sdk::check_finite(std::string(fn) + " targets", Y);

  arma::vec values;
  arma::mat vectors;
  if (!arma::eig_sym(values, vectors, K, "dc"))
    throw_error(fn, ": the eigen-decomposition of the ", K.n_rows, " x ", K.n_rows,
                " kernel did not converge");
  Spectrum out;
  out.eigenvalues = arma::flipud(values);
  vectors = arma::fliplr(vectors);
  if (!Y.is_empty()) out.projections = vectors.t() * Y.t();
  if (keep_eigenvectors) out.eigenvectors = std::move(vectors);
  return out;
}

}  // namespace ntk::core::analysis
