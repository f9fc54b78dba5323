// distributed_ridge (distributed.hpp): p?potrf / p?potrs on the kernel's lower triangle, in its
// own memory. The upper triangle is never touched by the factorisation, so the residual
// Yᵀ − (K + λI)α is computed from it in float64 (and the saved diagonal), and the lower
// triangle is restored from it afterwards (mirror.hpp). For a float32 kernel the solve is
// iterative refinement from the float32 factor, as on one process (ridge_float32.hpp; Higham,
// "Accuracy and Stability of Numerical Algorithms", 2nd ed., §12.1).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <sstream>

#include "core/distributed/distributed.hpp"
#include "core/distributed/mirror.hpp"
#include "core/distributed/process_grid.hpp"
#include "core/distributed/scalapack.hpp"
#include "core/mpi/comm.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::distributed {
namespace {

const char* const kFn = "ntk.solve.ridge (distributed kernel)";

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The diagonal entries this rank holds: (local row, local column, global index).
struct DiagonalEntry {
  arma::uword row, col, global;
};

std::vector<DiagonalEntry> diagonal_entries(const Layout& L) {
  std::vector<DiagonalEntry> out;
  const arma::uword nb = L.block;
  for (arma::uword lc = 0; lc < L.local_cols(); ++lc) {
    const arma::uword j = L.global_col(lc);
    if (int((j / nb) % L.grid_rows) != L.my_row) continue;
    out.push_back({(j / nb / L.grid_rows) * nb + j % nb, lc, j});
  }
  return out;
}

// Every rank's local part of an n × k block-cyclic matrix B = Yᵀ (same blocks as K's rows).
template <class T>
arma::Mat<T> local_rhs(const arma::mat& Yt, const Layout& B) {
  arma::Mat<T> out(std::max<arma::uword>(1, B.local_rows()), B.local_cols(), arma::fill::zeros);
  for (arma::uword lc = 0; lc < B.local_cols(); ++lc)
    for (arma::uword lr = 0; lr < B.local_rows(); ++lr)
      out(lr, lc) = T(Yt(B.global_row(lr), B.global_col(lc)));
  return out;
}

// The n × k solution from every rank's local part of B, on every rank.
template <class T>
arma::mat collect(const arma::Mat<T>& local, const Layout& B) {
  arma::mat out(B.n_rows, B.n_cols, arma::fill::zeros);
  for (arma::uword lc = 0; lc < B.local_cols(); ++lc)
    for (arma::uword lr = 0; lr < B.local_rows(); ++lr)
      out(B.global_row(lr), B.global_col(lc)) = double(local(lr, lc));
  mpi::allreduce_sum(out.memptr(), out.n_elem);
  return out;
}

// (K + λI)·α in float64 from K's strict upper triangle and the saved diagonal, on every rank.
// One local block column (global block column J) at a time: its rows in global blocks I < J are
// a prefix of the local rows and enter two GEMMs, K(I, J)·α(J) and K(I, J)ᵀ·α(I) (the mirrored
// lower entry); the diagonal block, when this rank holds it, adds its strict upper part entry
// by entry.
template <class T>
arma::mat apply_kernel(const arma::Mat<T>& local, const Layout& L,
                       const std::vector<DiagonalEntry>& diagonal, const arma::vec& saved,
                       double ridge, const arma::mat& alpha) {
  const arma::uvec rows = L.global_rows();
  arma::mat product(alpha.n_rows, alpha.n_cols, arma::fill::zeros);
  if (!rows.is_empty()) {
    const arma::uword nb = L.block;
    const arma::mat alpha_rows = alpha.rows(rows);
    arma::mat row_sums(rows.n_elem, alpha.n_cols, arma::fill::zeros);
    // Pieces of kPieceRows × nb entries, converted to float64 while they are in cache (the
    // whole block column at once moved 3-4 copies of it through memory).
    constexpr arma::uword kPieceRows = 2048;
    arma::mat piece, column_sums;
    for (arma::uword c0 = 0; c0 < L.local_cols(); c0 += nb) {
      const arma::uword c1 = std::min(L.local_cols(), c0 + nb);
      const arma::uword g0 = L.global_col(c0), J = g0 / nb;
      const arma::uword p = L.local_rows_before(g0);  // rows of blocks I < J
      const arma::uword g1 = g0 + (c1 - c0);
      const arma::mat alpha_cols = alpha.rows(g0, g1 - 1);
      column_sums.zeros(c1 - c0, alpha.n_cols);
      for (arma::uword r0 = 0; r0 < p; r0 += kPieceRows) {
        const arma::uword r1 = std::min(p, r0 + kPieceRows);
        piece = arma::conv_to<arma::mat>::from(local.submat(r0, c0, r1 - 1, c1 - 1));
        row_sums.rows(r0, r1 - 1) += piece * alpha_cols;                       // K(i, j)·α(j)
        column_sums += piece.t() * arma::mat(alpha_rows.rows(r0, r1 - 1));     // K(j, i)·α(i)
      }
      product.rows(g0, g1 - 1) += column_sums;
      if (int(J % L.grid_rows) == L.my_row) {
        // The diagonal block (J, J), local rows p.., its strict upper entries only.
        piece = arma::conv_to<arma::mat>::from(local.submat(p, c0, p + (c1 - c0) - 1, c1 - 1));
        for (arma::uword j = 0; j < c1 - c0; ++j)
          for (arma::uword i = 0; i < j; ++i) {
            const double v = piece(i, j);
            product.row(g0 + i) += v * alpha.row(g0 + j);
            product.row(g0 + j) += v * alpha.row(g0 + i);
          }
      }
    }
    product.rows(rows) += row_sums;
  }
  for (std::size_t d = 0; d < diagonal.size(); ++d)
    product.row(diagonal[d].global) += (saved[d] + ridge) * alpha.row(diagonal[d].global);
  mpi::allreduce_sum(product.memptr(), product.n_elem);
  return product;
}

template <class T>
void factorise(arma::Mat<T>& local, const std::array<int, 9>& desc, int n, int& info) {
  const int one = 1;
  if constexpr (sizeof(T) == 8) pdpotrf_("L", &n, local.memptr(), &one, &one, desc.data(), &info);
  else pspotrf_("L", &n, local.memptr(), &one, &one, desc.data(), &info);
}

template <class T>
void solve(const arma::Mat<T>& local, const std::array<int, 9>& desc, int n, arma::Mat<T>& b,
           const std::array<int, 9>& descb, int k) {
  const int one = 1;
  int info = 0;
  if constexpr (sizeof(T) == 8)
    pdpotrs_("L", &n, &k, local.memptr(), &one, &one, desc.data(), b.memptr(), &one, &one,
             descb.data(), &info);
  else
    pspotrs_("L", &n, &k, local.memptr(), &one, &one, desc.data(), b.memptr(), &one, &one,
             descb.data(), &info);
  if (info != 0) throw_error(kFn, ": p?potrs failed (info = ", info, ")");
}

double condition_estimate(const arma::mat& factor, const std::array<int, 9>& desc, int n,
                          double anorm) {
  const int one = 1;
  double rcond = 0, query = 0;
  int iquery = 0, info = 0, minus = -1;
  pdpocon_("L", &n, factor.memptr(), &one, &one, desc.data(), &anorm, &rcond, &query, &minus,
           &iquery, &minus, &info);
  const int lwork = int(query) + 1, liwork = std::max(1, iquery);
  std::vector<double> work(std::size_t(lwork) + 1);
  std::vector<int> iwork(std::size_t(liwork) + 1);
  pdpocon_("L", &n, factor.memptr(), &one, &one, desc.data(), &anorm, &rcond, work.data(), &lwork,
           iwork.data(), &liwork, &info);
  return info == 0 && rcond > 0 ? 1.0 / rcond : std::numeric_limits<double>::infinity();
}

template <class T>
DistributedRidgeSolution run(arma::Mat<T>& local, DistributedMatrix& K, const arma::mat& Y,
                             double ridge, const DistributedRidgeOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const Layout& L = K.layout;
  const int n = int(L.n_rows), k = int(Y.n_rows);
  const int context = K.grid->context();
  const auto desc = L.descriptor(context);
  const Layout B{L.n_rows, Y.n_rows, L.block, L.grid_rows, L.grid_cols, L.my_row, L.my_col};
  const auto descb = B.descriptor(context);
  const arma::mat Yt = Y.t();
  const double y_norm = arma::norm(Y, "fro");

  const std::vector<DiagonalEntry> diagonal = diagonal_entries(L);
  arma::vec saved(diagonal.size());
  for (std::size_t d = 0; d < diagonal.size(); ++d) {
    saved[d] = double(local(diagonal[d].row, diagonal[d].col));
    local(diagonal[d].row, diagonal[d].col) = T(saved[d] + ridge);
  }
  const auto restore = [&] {
    mirror_upper_to_lower(K);
    for (std::size_t d = 0; d < diagonal.size(); ++d)
      local(diagonal[d].row, diagonal[d].col) = T(saved[d]);
  };

  DistributedRidgeSolution s;
  s.method = sizeof(T) == 8 ? "scalapack_cholesky" : "scalapack_cholesky_float32_refined";
  try {
    double anorm = 0;
    if constexpr (sizeof(T) == 8) {
      if (options.estimate_condition) {
        const int one = 1;
        std::vector<double> work(4 * std::size_t(n) + 8 * L.block + 64);
        anorm = pdlansy_("1", "L", &n, local.memptr(), &one, &one, desc.data(), work.data());
      }
    }
    const auto factor_start = std::chrono::steady_clock::now();
    int info = 0;
    factorise(local, desc, n, info);
    s.seconds.factorisation = seconds_since(factor_start);
    if (info != 0) {
      double trace = arma::accu(saved);
      mpi::allreduce_sum(&trace, 1);
      std::ostringstream text;
      text << kFn << ": K + lambda*I (lambda = " << ridge << ") is not positive definite: the "
           << "Cholesky factorisation (p" << (sizeof(T) == 8 ? "d" : "s") << "potrf) failed at "
           << "column " << info << " of " << n << "; add a ridge, e.g. lambda = "
           << 1e-8 * trace / n << " (1e-8 x the mean diagonal)"
           << (sizeof(T) == 8 ? "" : ", or use float64");
      mpi::throw_collective(text.str());
    }
    if constexpr (sizeof(T) == 8) {
      const auto t = std::chrono::steady_clock::now();
      if (options.estimate_condition) s.condition_number = condition_estimate(local, desc, n, anorm);
      s.seconds.condition = seconds_since(t);
    }
    // α from the factor, then (float32) corrections from float64 residuals.
    auto t = std::chrono::steady_clock::now();
    arma::Mat<T> b = local_rhs<T>(Yt, B);
    solve(local, desc, n, b, descb, k);
    s.alpha = collect(b, B);
    s.seconds.solve += seconds_since(t);
    const auto relative = [&](const arma::mat& r) {
      return y_norm > 0 ? arma::norm(r, "fro") / y_norm : 0.0;
    };
    t = std::chrono::steady_clock::now();
    arma::mat residual = Yt - apply_kernel(local, L, diagonal, saved, ridge, s.alpha);
    s.seconds.residual += seconds_since(t);
    s.residual = relative(residual);
    s.residual_history.push_back(s.residual);
    if constexpr (sizeof(T) == 4) {
      while (s.residual > options.tolerance && s.refinement_steps < options.max_steps) {
        t = std::chrono::steady_clock::now();
        arma::Mat<T> db = local_rhs<T>(residual, B);
        solve(local, desc, n, db, descb, k);
        const arma::mat next = s.alpha + collect(db, B);
        s.seconds.solve += seconds_since(t);
        t = std::chrono::steady_clock::now();
        arma::mat next_residual = Yt - apply_kernel(local, L, diagonal, saved, ridge, next);
        s.seconds.residual += seconds_since(t);
        const double r = relative(next_residual);
        if (!(r < s.residual)) break;  // no longer decreasing: the float32 factor's limit
        s.alpha = next;
        residual = std::move(next_residual);
        s.residual = r;
        s.residual_history.push_back(r);
        ++s.refinement_steps;
      }
      if (s.residual > options.max_residual) {
        std::ostringstream text;
        text << kFn << ": iterative refinement from the float32 factor stopped at a relative "
             << "residual of " << s.residual << " (above " << options.max_residual << "): K + "
             << "lambda*I is too ill-conditioned for float32; add a ridge or use float64";
        mpi::throw_collective(text.str());
      }
    }
  } catch (...) {
    restore();
    throw;
  }
  const auto restore_start = std::chrono::steady_clock::now();
  if (options.keep_kernel) restore();
  else K.factorised = true;
  s.seconds.restore = seconds_since(restore_start);
  s.seconds.total = seconds_since(start);
  return s;
}

}  // namespace

DistributedRidgeSolution distributed_ridge(DistributedMatrix& K, const arma::mat& Y, double ridge,
                                           const DistributedRidgeOptions& options) {
  mpi::enter_collective(kFn);
  K.require_kernel(kFn);
  if (!K.symmetric || K.n_rows() != K.n_cols())
    mpi::throw_collective(std::string(kFn) + ": needs the symmetric kernel of one set of inputs, "
                          "A:kernel(x, x, kind, {distributed = true}); got " + K.describe());
  if (Y.n_cols != K.n_rows() || Y.n_rows == 0)
    mpi::throw_collective(std::string(kFn) + ": Y is " + std::to_string(Y.n_rows) + " x " +
                          std::to_string(Y.n_cols) + "; expected k x " +
                          std::to_string(K.n_rows()) + " (one column per training example)");
  if (!std::isfinite(ridge) || ridge < 0)
    mpi::throw_collective(std::string(kFn) + ": lambda must be finite and >= 0, got " +
                          std::to_string(ridge));
  if (!Y.is_finite()) mpi::throw_collective(std::string(kFn) + ": Y has a non-finite entry");
  std::uint64_t h = mpi::fingerprint(Y.memptr(), Y.n_elem * sizeof(double));
  h = mpi::fingerprint(&ridge, sizeof ridge, h);
  mpi::check_same(h, kFn, "Y or lambda");
  return K.float32 ? run(K.local32, K, Y, ridge, options) : run(K.local, K, Y, ridge, options);
}

}  // namespace ntk::core::distributed
