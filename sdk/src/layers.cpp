#include "layers.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "layers_fused.hpp"
#include "layers_rule_markers.hpp"
#include "layers_tiled.hpp"
#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::sdk::layers {

std::string Rule::name() const {
  std::ostringstream out;
  if (detail::marker_name(*this, out)) return out.str();
  if (kind == Kind::layer_norm) return "LayerNorm";
  out << "Dense(W_std=" << w_std << ", b_std=" << b_std;
  if (!trainable) out << ", frozen";
  if (parametrization == Parametrization::standard) out << ", standard, width=" << out_width;
  out << ")";
  return out.str();
}

Rule dense(double w_std, double b_std, Parametrization parametrization, double out_width) {
  Rule r;
  r.kind = Rule::Kind::dense;
  r.w_std = w_std;
  r.b_std = b_std;
  r.parametrization = parametrization;
  r.out_width = out_width;
  return r;
}
Rule relu() { return detail::marker<Rule>(Rule::Kind::relu); }
Rule activation(ActivationPtr activation) {
  if (!activation) throw_error("layers::activation(): null activation");
  Rule r = detail::marker<Rule>(Rule::Kind::activation);
  r.activation = std::move(activation);
  return r;
}
Rule layer_norm() { return detail::marker<Rule>(Rule::Kind::layer_norm); }
Rule erf() { return detail::marker<Rule>(Rule::Kind::erf); }
Rule residual_start() { return detail::marker<Rule>(Rule::Kind::residual_start); }
Rule residual_sum(double alpha) {
  return detail::residual_sum_marker<Rule>(alpha, "layers::residual_sum()");
}

namespace {

using fused::exponent_of;
using fused::scale_pow2;

double max_abs_entry(const arma::mat& x) {
  double m = 0;
  const double* p = x.memptr();
  for (arma::uword i = 0; i < x.n_elem; ++i) m = std::max(m, std::fabs(p[i]));
  return m;
}

void check_input_shapes(const arma::mat& a, const arma::mat& b, const std::string& caller) {
  if (a.n_rows != b.n_rows)
    throw_error(caller, ": inputs have ", a.n_rows, " and ", b.n_rows, " rows (", a.n_rows, " x ",
                a.n_cols, " and ", b.n_rows, " x ", b.n_cols, ")");
  if (a.n_rows == 0) throw_error(caller, ": inputs have 0 rows; each example needs d >= 1 values");
}

// A non-zero example whose x·x/d underflowed would pass as a zero input (ρ = 0): refuse it.
void check_underflow(const arma::vec& v, const arma::mat& x, const char* which,
                     const std::string& caller) {
  for (arma::uword i = 0; i < v.n_elem; ++i)
    if (v[i] < std::numeric_limits<double>::min() && arma::any(x.col(i) != 0.0))
      throw_error(caller, ": the mean square x·x/d of ", which, " example ", i + 1, " is ", v[i],
                  ", below the double range (it underflows): rescale the inputs");
}

}  // namespace

int input_prescale(const arma::mat& a, const arma::mat& b, bool symmetric) {
  if (a.n_rows != b.n_rows || a.n_rows == 0) return 0;
  const double m = std::max(max_abs_entry(a), symmetric ? 0.0 : max_abs_entry(b));
  const int e = exponent_of(m, 0);
  return e > 400 || e < -400 ? e : 0;
}

KernelState input_variances(const arma::mat& a, const arma::mat& b, bool symmetric,
                            bool track_ntk, const std::string& caller, int prescale) {
  check_input_shapes(a, b, caller);
  const double d = double(a.n_rows);
  KernelState s;
  s.symmetric = symmetric;
  s.track_ntk = track_ntk;
  s.ntk_is_zero = true;
  s.gaussian = false;
  s.width = d;
  // Σ (x·2^-e)² / d, column by column (no scaled copy of the inputs).
  auto variances = [&](const arma::mat& x) {
    arma::vec v(x.n_cols);
    const double f = std::ldexp(1.0, -prescale);
    for (arma::uword j = 0; j < x.n_cols; ++j) {
      const double* col = x.colptr(j);
      double sum = 0;
      for (arma::uword i = 0; i < x.n_rows; ++i) sum += (col[i] * f) * (col[i] * f);
      v[j] = sum / d;
    }
    return v;
  };
  s.diag1 = variances(a);
  if (!symmetric) s.diag2 = variances(b);
  check_underflow(s.diag1, a, symmetric ? "the" : "the first set's", caller);
  if (!symmetric) check_underflow(s.diag2, b, "the second set's", caller);
  if (prescale != 0) {
    s.log2_scale = 2 * prescale;
    s.allow_log_scale = true;
    fused::track_true_range(s, "the input kernel (x.x'/d)");
  }
  return s;
}

KernelState input_kernel(const arma::mat& a, const arma::mat& b, bool symmetric, bool track_ntk,
                         const std::string& caller, bool allow_scale) {
  if (allow_scale) {
    // Inputs beyond about 2^±400 (1e±120): x·x'/d of copies divided by 2^e, and 2^2e in the
    // common scale, so that inputs × 1e200 still give their (exactly scaled) kernel.
    const int e = input_prescale(a, b, symmetric);
    if (e != 0) {
      check_allocation(caller + ": rescaled copies of the inputs", double(a.n_rows),
                       double(a.n_cols) + (symmetric ? 0.0 : double(b.n_cols)));
      const double f = std::ldexp(1.0, -e);
      const arma::mat as = a * f;
      KernelState s = symmetric ? input_kernel(as, as, true, track_ntk, caller)
                                : input_kernel(as, arma::mat(b * f), false, track_ntk, caller);
      s.log2_scale = 2 * e;
      s.allow_log_scale = true;
      fused::track_true_range(s, "the input kernel (x.x'/d)");
      return s;
    }
  }
  check_input_shapes(a, b, caller);
  const arma::uword n1 = a.n_cols, n2 = symmetric ? a.n_cols : b.n_cols;
  check_allocation(caller + ": the " + std::to_string(n1) + " x " + std::to_string(n2) + " kernel",
                   double(n1), double(n2));
  const double d = double(a.n_rows);
  KernelState s;
  s.symmetric = symmetric;
  s.track_ntk = track_ntk;
  s.ntk_is_zero = true;
  s.gaussian = false;
  s.width = d;
  s.nngp.set_size(n1, n2);
  advise_huge_pages(s.nngp);
  if (symmetric) {
    // Σ = XᵀX/d, upper triangle only. The diagonal is taken from the same product so that
    // Σ(x_i, x_i) and the variance are the same number (their rounding difference would
    // otherwise become √ulp in √(Σ11Σ22 − Σ12²)).
    gram_upper(a, s.nngp);
    s.diag1 = s.nngp.diag();
  } else {
    if (n1 > 0 && n2 > 0) {
      const char t = 'T', n = 'N';
      const arma::blas_int m = arma::blas_int(n1), w = arma::blas_int(n2),
                           k = arma::blas_int(a.n_rows);
      const double alpha = 1.0 / d, beta = 0.0;
      arma::blas::gemm<double>(&t, &n, &m, &w, &k, &alpha, a.memptr(), &k, b.memptr(), &k, &beta,
                               s.nngp.memptr(), &m);
    }
    s.diag1 = arma::sum(arma::square(a), 0).t() / d;
    s.diag2 = arma::sum(arma::square(b), 0).t() / d;
  }
  check_underflow(s.diag1, a, symmetric ? "the" : "the first set's", caller);
  if (!symmetric) check_underflow(s.diag2, b, "the second set's", caller);
  return s;
}

void apply_rules(KernelState& s, const std::vector<Rule>& rules, bool keep_nngp,
                 const ProgressSpan& progress) {
  const bool with_ntk = s.track_ntk;
  if (!with_ntk) keep_nngp = true;
  const fused::PreparedRules prepared = fused::prepare(s, rules);
  if (prepared.any_dense) s.ntk_is_zero = false;

  const arma::uword n1 = s.rows(), n2 = s.cols();
  const bool ntk_zero_in = s.ntk.is_empty();
  // Where the NTK goes: its own matrix, or over the NNGP when the NNGP is not kept.
  double* ntk_out = nullptr;
  if (with_ntk) {
    if (ntk_zero_in && keep_nngp) {
      check_allocation("layers::apply_rules(): the " + std::to_string(n1) + " x " + std::to_string(n2) +
                           " NTK",
                       double(n1), double(n2));
      s.ntk.set_size(n1, n2);
      advise_huge_pages(s.ntk);
    }
    ntk_out = s.ntk.is_empty() ? s.nngp.memptr() : s.ntk.memptr();
  }
  const double* ntk_in = ntk_zero_in ? nullptr : s.ntk.memptr();
  double* nngp_data = s.nngp.memptr();
  const bool symmetric = s.symmetric;
  fused::PassFaults faults;
  // Units: kernel entries, so that the triangle's long last columns weigh what they cost.
  ProgressCounter counter(progress, symmetric ? 0.5 * double(n2) * double(n2 + 1)
                                              : double(n1) * double(n2));

#pragma omp parallel
  {
    fused::ChunkBuffers buffers(prepared.nesting);
    fused::PassFaults mine;
#pragma omp for schedule(dynamic, 8)
    for (arma::uword j = 0; j < n2; ++j) {
      const arma::uword rows = symmetric ? j + 1 : n1;
      for (arma::uword i0 = 0; i0 < rows; i0 += fused::kChunk) {
        const arma::uword len = std::min(fused::kChunk, rows - i0);
        const arma::uword offset = j * n1 + i0;
        auto load = [&] {
          std::copy_n(nngp_data + offset, len, buffers.c.data());
          if (with_ntk) {
            if (ntk_in != nullptr) std::copy_n(ntk_in + offset, len, buffers.t.data());
            else std::fill_n(buffers.t.data(), len, 0.0);
          }
        };
        if (!fused::carry_chunk(prepared, buffers, i0, len, j, symmetric, with_ntk, load, mine))
          continue;
        if (keep_nngp) std::copy_n(buffers.c.data(), len, nngp_data + offset);
        if (with_ntk) std::copy_n(buffers.t.data(), len, ntk_out + offset);
      }
      counter.add(double(rows));
    }
#pragma omp critical(ntk_pass_faults)
    faults.merge(mine);
  }
  faults.throw_if_any(prepared, n1, n2);
  counter.finish();
  if (!keep_nngp) {
    if (s.ntk.is_empty()) s.ntk = std::move(s.nngp);
    s.nngp.reset();
  }
  if (!s.allow_log_scale) resolve_scale(s, "kernel");
}

namespace {

using fused::scale_pow2;

// max |entry| of the part a state keeps up to date (the upper triangle when symmetric).
double max_abs(const arma::mat& m, bool symmetric) {
  double out = 0;
  for (arma::uword j = 0; j < m.n_cols; ++j) {
    const double* col = m.colptr(j);
    const arma::uword rows = symmetric ? std::min(j + 1, m.n_rows) : m.n_rows;
    for (arma::uword i = 0; i < rows; ++i) out = std::max(out, std::fabs(col[i]));
  }
  return out;
}

void scale_kept(arma::mat& m, bool symmetric, int k) {
  for (arma::uword j = 0; j < m.n_cols; ++j)
    scale_pow2(m.colptr(j), symmetric ? std::min(j + 1, m.n_rows) : m.n_rows, k);
}

}  // namespace

void resolve_scale(KernelState& s, const std::string& caller) {
  if (!try_resolve_scale(s, &caller)) throw_error(caller, ": the kernel is out of range");
}

bool try_resolve_scale(KernelState& s, const std::string* caller) {
  const int k = s.log2_scale;
  if (k == 0) return true;
  // The true kernel is a double matrix when its largest entry and every variance are normal
  // doubles once multiplied by 2^k (entries far below the largest may be subnormal, as any
  // near-zero correlation can be).
  int worst = 0;
  bool fits = true;
  auto check = [&](double magnitude) {
    if (!(magnitude > 0)) return;
    const int e = std::ilogb(magnitude) + k;
    if (e > 1022 || e < -1021) {
      fits = false;
      if (std::abs(e) > std::abs(worst)) worst = e;
    }
  };
  check(max_abs(s.nngp, s.symmetric));
  check(max_abs(s.ntk, s.symmetric));
  for (const arma::vec* v : {&s.diag1, &s.diag2})
    for (double x : *v) check(x);
  if (!fits && caller == nullptr) return false;
  if (!fits) {
    std::ostringstream size;
    size << "2^" << worst << " (about 1e" << long(std::floor(worst * 0.30102999566398120)) << ")";
    throw_error(*caller, ": the kernel's values reach ", size.str(), ", ",
                worst > 0 ? "above" : "below", " the double range",
                s.scale_left_at.empty() ? std::string()
                                        : "; they left it at " + s.scale_left_at,
                ". Its normalised values K12/sqrt(K11 K22) are exact: ask for the kernel with a "
                "common scale (in Lua: A:kernel(x1, x2, \"ntk\", {log_scale = true}) returns "
                "K / 2^s and s), or use smaller weight scales (w_std), a shallower network or "
                "rescaled inputs");
  }
  scale_kept(s.nngp, s.symmetric, k);
  scale_kept(s.ntk, s.symmetric, k);
  scale_pow2(s.diag1, k);
  scale_pow2(s.diag2, k);
  s.log2_scale = 0;
  s.scale_left_at.clear();
  return true;
}

void mirror_upper(arma::mat& m) {
  if (m.n_rows != m.n_cols)
    throw_error("mirror_upper(): the matrix is ", m.n_rows, " x ", m.n_cols, ", not square");
  const arma::uword n = m.n_rows;
  constexpr arma::uword block = 64;
  double* data = m.memptr();
#pragma omp parallel for schedule(dynamic)
  for (arma::uword jb = 0; jb < n; jb += block) {
    const arma::uword j_end = std::min(jb + block, n);
    for (arma::uword ib = jb; ib < n; ib += block) {
      const arma::uword i_end = std::min(ib + block, n);
      for (arma::uword j = jb; j < j_end; ++j)
        for (arma::uword i = std::max(ib, j + 1); i < i_end; ++i) data[j * n + i] = data[i * n + j];
    }
  }
}

void finish(KernelState& s) {
  if (!s.symmetric) return;
  if (!s.nngp.is_empty()) mirror_upper(s.nngp);
  if (!s.ntk.is_empty()) mirror_upper(s.ntk);
  s.diag2 = s.diag1;
  s.symmetric = false;
}

}  // namespace ntk::sdk::layers
