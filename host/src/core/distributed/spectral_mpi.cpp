// DistributedSpectral (distributed.hpp): pdsyevd once, then every query through V (distributed
// like K) and small replicated vectors: Vᵀy is each rank's local V block transposed times its
// rows of y, summed over the ranks; V·c likewise. The formulas and thresholds are those of the
// single-process solver (spectral.hpp).
#include <algorithm>
#include <cmath>

#include "core/distributed/distributed.hpp"
#include "core/distributed/mirror.hpp"
#include "core/distributed/process_grid.hpp"
#include "core/distributed/scalapack.hpp"
#include "core/mpi/comm.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::distributed {

struct DistributedSpectral::State {
  Layout layout;
  arma::mat vectors;  // local part of V
  arma::vec eigenvalues, clamped;
  double tolerance = 0;
  arma::mat targets;    // k × n
  arma::mat projected;  // n × k: Vᵀ(y − u0)ᵀ
  arma::mat projected_targets;  // n × k: Vᵀyᵀ

  // Vᵀ·x for x (n × k, the same on every rank).
  arma::mat project(const arma::mat& x) const {
    mpi::enter_collective("a query of a distributed spectral solver");
    arma::mat out(layout.n_cols, x.n_cols, arma::fill::zeros);
    const arma::uvec rows = layout.global_rows(), cols = layout.global_cols();
    if (!rows.is_empty() && !cols.is_empty()) out.rows(cols) = vectors.t() * x.rows(rows);
    mpi::allreduce_sum(out.memptr(), out.n_elem);
    return out;
  }
  // V·c for c (n × k).
  arma::mat expand(const arma::mat& c) const {
    mpi::enter_collective("a query of a distributed spectral solver");
    arma::mat out(layout.n_rows, c.n_cols, arma::fill::zeros);
    const arma::uvec rows = layout.global_rows(), cols = layout.global_cols();
    if (!rows.is_empty() && !cols.is_empty()) out.rows(rows) = vectors * c.rows(cols);
    mpi::allreduce_sum(out.memptr(), out.n_elem);
    return out;
  }
};

DistributedSpectral::DistributedSpectral(DistributedMatrix& K, const arma::mat& Y,
                                         const arma::mat& u0)
    : state_(std::make_unique<State>()) {
  const char* fn = "ntk.solve.spectral (distributed kernel)";
  mpi::enter_collective(fn);
  K.require_kernel(fn);
  if (!K.symmetric || K.float32)
    mpi::throw_collective(std::string(fn) + ": needs the float64 symmetric kernel of one set of "
                          "inputs, A:kernel(x, x, kind, {distributed = true}); got " + K.describe());
  const arma::uword n = K.n_rows();
  if (Y.n_cols != n || Y.n_rows == 0)
    mpi::throw_collective(std::string(fn) + ": Y is " + std::to_string(Y.n_rows) + " x " +
                          std::to_string(Y.n_cols) + "; expected k x " + std::to_string(n));
  if (!u0.is_empty() && (u0.n_rows != Y.n_rows || u0.n_cols != n))
    mpi::throw_collective(std::string(fn) + ": u0 must be k x n like Y");
  std::uint64_t h = mpi::fingerprint(Y.memptr(), Y.n_elem * sizeof(double));
  h = mpi::fingerprint(u0.memptr(), u0.n_elem * sizeof(double), h);
  mpi::check_same(h, fn, "Y or u0");

  State& s = *state_;
  s.layout = K.layout;
  const Layout& L = K.layout;
  const auto desc = L.descriptor(K.grid->context());
  // pdsyevd destroys the lower triangle and the diagonal: save the diagonal, restore after.
  std::vector<std::pair<arma::uword, arma::uword>> diagonal;
  arma::vec saved;
  {
    std::vector<double> values;
    for (arma::uword lc = 0; lc < L.local_cols(); ++lc) {
      const arma::uword j = L.global_col(lc);
      if (int((j / L.block) % L.grid_rows) != L.my_row) continue;
      const arma::uword lr = (j / L.block / L.grid_rows) * L.block + j % L.block;
      diagonal.emplace_back(lr, lc);
      values.push_back(K.local(lr, lc));
    }
    saved = arma::vec(values);
  }
  s.vectors.zeros(std::max<arma::uword>(1, L.local_rows()), L.local_cols());
  s.eigenvalues.zeros(n);
  const int N = int(n), one = 1, query = -1;
  int info = 0, iwork_size = 0;
  double work_size = 0;
  pdsyevd_("V", "L", &N, K.local.memptr(), &one, &one, desc.data(), s.eigenvalues.memptr(),
           s.vectors.memptr(), &one, &one, desc.data(), &work_size, &query, &iwork_size, &query,
           &info);
  const int lwork = int(work_size) + 1, liwork = std::max(iwork_size, 7 * N + 8 * L.grid_cols + 2);
  std::vector<double> work(static_cast<std::size_t>(lwork));
  std::vector<int> iwork(static_cast<std::size_t>(liwork));
  pdsyevd_("V", "L", &N, K.local.memptr(), &one, &one, desc.data(), s.eigenvalues.memptr(),
           s.vectors.memptr(), &one, &one, desc.data(), work.data(), &lwork, iwork.data(), &liwork,
           &info);
  mirror_upper_to_lower(K);
  for (std::size_t d = 0; d < diagonal.size(); ++d)
    K.local(diagonal[d].first, diagonal[d].second) = saved[d];
  if (info != 0)
    mpi::throw_collective(std::string(fn) + ": pdsyevd failed (info = " + std::to_string(info) +
                          ")");
  if (L.local_rows() == 0) s.vectors.reset();

  const double top = std::max(std::abs(s.eigenvalues.max()), std::abs(s.eigenvalues.min()));
  s.tolerance = double(n) * std::numeric_limits<double>::epsilon() * top;
  s.clamped = s.eigenvalues;
  s.clamped.transform([&](double v) { return v <= s.tolerance ? 0.0 : v; });
  s.targets = Y;
  const arma::mat start = u0.is_empty() ? arma::mat(Y.n_rows, n, arma::fill::zeros) : u0;
  s.projected_targets = s.project(Y.t());
  s.projected = s.project((Y - start).t());
}

DistributedSpectral::~DistributedSpectral() = default;

const arma::vec& DistributedSpectral::eigenvalues() const { return state_->eigenvalues; }
double DistributedSpectral::tolerance() const { return state_->tolerance; }
arma::uword DistributedSpectral::num_train() const { return state_->layout.n_rows; }
arma::uword DistributedSpectral::num_outputs() const { return state_->targets.n_rows; }

// (K + λI)⁻¹ (times K when `times_eigenvalue`) in the eigenbasis; directions with λ_i + λ at
// or below the tolerance are dropped (the pseudo-inverse), as in spectral.cpp.
static arma::vec ridge_weights(const arma::vec& eigenvalues, double tolerance, double ridge,
                               bool times_eigenvalue) {
  if (!std::isfinite(ridge) || ridge < 0)
    mpi::throw_collective("ridge(): lambda must be finite and >= 0, got " + std::to_string(ridge));
  arma::vec w(eigenvalues.n_elem);
  for (arma::uword i = 0; i < w.n_elem; ++i) {
    const double mu = eigenvalues[i] + ridge;
    w[i] = mu <= tolerance ? 0.0 : (times_eigenvalue ? eigenvalues[i] : 1.0) / mu;
  }
  return w;
}

arma::mat DistributedSpectral::ridge_alpha(double ridge) const {
  const State& s = *state_;
  arma::mat c = s.projected_targets;
  c.each_col() %= ridge_weights(s.eigenvalues, s.tolerance, ridge, false);
  return s.expand(c);
}

arma::mat DistributedSpectral::ridge_train_predictions(double ridge) const {
  const State& s = *state_;
  arma::mat c = s.projected_targets;
  c.each_col() %= ridge_weights(s.eigenvalues, s.tolerance, ridge, true);
  return s.expand(c).t();
}

arma::mat DistributedSpectral::train_predictions(double t) const {
  const State& s = *state_;
  // u(t) = y − V e^{−tλ} Vᵀ(y − u0)ᵀ
  arma::mat c = s.projected;
  c.each_col() %= arma::exp(-t * s.clamped);
  if (std::isinf(t)) c.rows(arma::find(s.clamped > 0)).zeros();
  return s.targets - s.expand(c).t();
}

arma::mat DistributedSpectral::flow_alpha(double t) const {
  const State& s = *state_;
  arma::vec w(s.clamped.n_elem, arma::fill::zeros);
  for (arma::uword i = 0; i < w.n_elem; ++i)
    if (s.clamped[i] > 0)
      w[i] = std::isinf(t) ? 1.0 / s.clamped[i] : -std::expm1(-t * s.clamped[i]) / s.clamped[i];
  arma::mat c = s.projected;
  c.each_col() %= w;
  return s.expand(c);
}

double DistributedSpectral::residual_norm2(double t) const {
  const State& s = *state_;
  double total = 0;
  for (arma::uword i = 0; i < s.clamped.n_elem; ++i) {
    const double decay = s.clamped[i] > 0 ? (std::isinf(t) ? 0.0 : std::exp(-2 * t * s.clamped[i])) : 1.0;
    total += decay * arma::dot(s.projected.row(i), s.projected.row(i));
  }
  return total;
}

double DistributedSpectral::loss(double t) const {
  return residual_norm2(t) / (2.0 * double(num_train()));
}

}  // namespace ntk::core::distributed
