#include "layers.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <sstream>

#include "layers_rule_markers.hpp"
#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::sdk::layers {
namespace {

// Entries carried through all rules at once: three arrays of this many doubles stay in L1.
constexpr arma::uword kChunk = 256;

bool is_activation(const Rule& r) {
  return r.kind == Rule::Kind::relu || r.kind == Rule::Kind::erf || r.kind == Rule::Kind::activation;
}

std::string label_of(const Rule& r) { return r.label.empty() ? r.name() : r.label; }

// Throws if a variance went non-finite after rule `r`, or underflowed: became subnormal (its
// precision is gone), or 0 from a positive value under a rule that keeps variances positive
// (dense, relu, erf). `before` holds the variances the rule received.
void check_variances(const arma::vec& before, const arma::vec& v, const Rule& r,
                     const char* which) {
  const bool keeps_positive =
      r.kind == Rule::Kind::dense || r.kind == Rule::Kind::relu || r.kind == Rule::Kind::erf;
  for (arma::uword i = 0; i < v.n_elem; ++i) {
    if (!std::isfinite(v[i]) && i < before.n_elem && !std::isfinite(before[i]))
      throw_error("kernel: a non-finite variance (", before[i], ") of ", which, " example ", i + 1,
                  " entered ", label_of(r), " from the input kernel: the inputs overflow ",
                  "double precision (x·x/d); rescale the inputs");
    if (!std::isfinite(v[i]))
      throw_error("kernel: a non-finite variance (", v[i], ") of ", which, " example ", i + 1,
                  " first appeared at ", label_of(r),
                  "; the inputs or the layer's scales are too large for this depth (the ",
                  "variances overflow double precision): use smaller weight scales (w_std) or ",
                  "rescale the inputs");
    const bool subnormal = v[i] != 0 && std::fabs(v[i]) < std::numeric_limits<double>::min();
    const bool vanished = keeps_positive && v[i] == 0 && i < before.n_elem && before[i] > 0;
    if (subnormal || vanished)
      throw_error("kernel: the variance of ", which, " example ", i + 1, " underflowed (",
                  before[i], " became ", v[i], ") at ", label_of(r),
                  "; the inputs or the layer's scales are too small for this depth (the ",
                  "variances leave double precision): use larger weight scales (w_std) or ",
                  "rescale the inputs");
  }
}

// The coefficients of a dense rule applied to a state whose layer input has `fan_in` channels.
AffineCoefficients dense_coefficients(const Rule& r, double fan_in) {
  AffineCoefficients k;
  if (!r.trainable) {  // a frozen layer: Θ ← W²Θ, its own parameters add nothing
    k.nngp_scale = r.w_std * r.w_std;
    k.nngp_shift = r.b_std * r.b_std;
    k.ntk_scale = r.w_std * r.w_std;
    k.ntk_from_nngp = 0;
    k.ntk_shift = 0;
    return k;
  }
  k.nngp_scale = r.w_std * r.w_std;
  k.nngp_shift = r.b_std * r.b_std;
  k.ntk_scale = r.w_std * r.w_std;
  if (r.parametrization == Parametrization::ntk) {
    k.ntk_from_nngp = k.nngp_scale;  // Θ ← (W²Σ + b²) + W²Θ = Σ_new + W²Θ
    k.ntk_shift = k.nngp_shift;
  } else {
    k.ntk_from_nngp = fan_in;  // ∂z/∂W = x contributes Σ_j x_j x'_j = fan_in·Σ
    k.ntk_shift = 1.0;         // ∂z/∂b = 1
  }
  return k;
}

// One rule's preparation: its coefficients and the variances entering it.
struct PreparedRule {
  Rule rule;
  AffineCoefficients affine;  // dense: the common scale's shifts are folded in
  arma::vec var1, var2;  // only for activations; var2 empty when symmetric
  // The common scale (KernelState::log2_scale) around the rule, as exact powers of two:
  int scale_in = 0;     // the state's scale entering the rule (erf reads it)
  int pre_shift = 0;    // entries × 2^pre_shift first (a generic activation reads true values)
  int post_shift = 0;   // entries × 2^-post_shift after the rule (moved into the scale)
  bool erf_linear = false;  // erf on true variances below 2^-64: Σ, Θ ← (4/π)Σ, (4/π)Θ exactly
  double saved_factor = 1, branch_factor = 1;  // residual_sum: saved·f_s + branch·f_b
};

// What residual_start saves for its residual_sum: the variances, the Gaussian flag, the scale.
struct SavedVariances {
  arma::vec diag1, diag2;
  bool gaussian = false;
  int scale = 0;
};

// The stored variances are kept within [2^-kScaleLimit, 2^kScaleLimit] (their largest) by
// moving exact powers of two into the common scale; true values whose binary exponent is beyond
// ±kTrueRange have left the double range.
constexpr int kScaleLimit = 256;
constexpr int kTrueRange = 1000;

// x ← x·2^k exactly (two steps, so |k| up to about 2000 needs no representable 2^k).
void scale_pow2(double* x, arma::uword len, int k) {
  if (k == 0) return;
  const double f1 = std::ldexp(1.0, k / 2), f2 = std::ldexp(1.0, k - k / 2);
#pragma omp simd
  for (arma::uword i = 0; i < len; ++i) x[i] = (x[i] * f1) * f2;
}
void scale_pow2(arma::vec& v, int k) { scale_pow2(v.memptr(), v.n_elem, k); }

// The largest stored variance of either set (0 when there is none or none is positive).
double max_variance(const KernelState& s) {
  double m = 0;
  for (const arma::vec* v : {&s.diag1, &s.diag2})
    for (double x : *v) m = std::max(m, x);
  return m;
}
// Binary exponent of a finite positive value; `none` otherwise.
int exponent_of(double x, int none = 0) {
  return std::isfinite(x) && x > 0 ? std::ilogb(x) : none;
}

// Moves 2^k of the variances into the scale when the largest leaves [2^-256, 2^256]; returns k.
int rescale_variances(KernelState& s) {
  const double m = max_variance(s);
  const int e = exponent_of(m);
  if (e >= -kScaleLimit && e <= kScaleLimit) return 0;
  scale_pow2(s.diag1, -e);
  if (!s.symmetric) scale_pow2(s.diag2, -e);
  s.log2_scale += e;
  return e;
}

// Records where the true values left the double range (or clears it when they are back).
void track_true_range(KernelState& s, const std::string& where) {
  const double m = max_variance(s);
  if (!(m > 0) || !std::isfinite(m)) return;
  const int e = std::ilogb(m) + s.log2_scale;
  const bool out = e > kTrueRange || e < -kTrueRange;
  if (!out) s.scale_left_at.clear();
  else if (s.scale_left_at.empty()) s.scale_left_at = where;
}

// The affine coefficients of a rule applied at common scale `scale_in` whose output is stored
// with 2^k more in the scale: multiplicative terms × 2^-k, the additive (true-unit) shifts
// × 2^-(scale_in + k).
void fold_scale(AffineCoefficients& c, int scale_in, int k) {
  c.nngp_scale = std::ldexp(c.nngp_scale, -k);
  c.ntk_from_nngp = std::ldexp(c.ntk_from_nngp, -k);
  c.ntk_scale = std::ldexp(c.ntk_scale, -k);
  c.nngp_shift = std::ldexp(c.nngp_shift, -(scale_in + k));
  c.ntk_shift = std::ldexp(c.ntk_shift, -(scale_in + k));
}

// Checks the sequence, runs the O(n) variance recursion and updates the state's flags.
// `nesting` receives the deepest residual nesting (the number of saved chunks the fused loop
// needs).
std::vector<PreparedRule> prepare(KernelState& s, const std::vector<Rule>& rules,
                                  std::size_t& nesting) {
  std::vector<PreparedRule> out;
  out.reserve(rules.size());
  std::vector<SavedVariances> saved;
  nesting = 0;
  // Balanced residual blocks, checked before the state changes.
  long open = 0;
  for (std::size_t r = 0; r < rules.size(); ++r) {
    if (rules[r].kind == Rule::Kind::residual_start) ++open;
    if (rules[r].kind == Rule::Kind::residual_sum && --open < 0)
      throw_error("layers::apply_rules(): rule ", r + 1, " (", rules[r].name(),
                  ") has no residual_start() before it in the same apply_rules() call");
  }
  if (open > 0)
    throw_error("layers::apply_rules(): ", open, " residual_start() rule(s) without their "
                "residual_sum(alpha); close every block in the same apply_rules() call");
  for (std::size_t r = 0; r < rules.size(); ++r) {
    const Rule& rule = rules[r];
    PreparedRule p{rule, {}, {}, {}};
    p.scale_in = s.log2_scale;
    const arma::vec before1 = s.diag1, before2 = s.diag2;
    if (rule.kind == Rule::Kind::residual_start) {
      saved.push_back({s.diag1, s.diag2, s.gaussian, s.log2_scale});
      nesting = std::max(nesting, saved.size());
    } else if (rule.kind == Rule::Kind::residual_sum) {
      const double a2 = rule.alpha * rule.alpha;
      const SavedVariances& back = saved.back();
      if (back.scale == s.log2_scale) {
        p.branch_factor = a2;
        s.diag1 = back.diag1 + a2 * s.diag1;
        if (!s.symmetric) s.diag2 = back.diag2 + a2 * s.diag2;
      } else {  // the two parts carry different scales: add them at the larger one
        const int common = std::max(back.scale, s.log2_scale);
        p.saved_factor = std::ldexp(1.0, back.scale - common);
        p.branch_factor = a2 * std::ldexp(1.0, s.log2_scale - common);
        s.diag1 = p.saved_factor * back.diag1 + p.branch_factor * s.diag1;
        if (!s.symmetric) s.diag2 = p.saved_factor * back.diag2 + p.branch_factor * s.diag2;
        s.log2_scale = common;
      }
      s.gaussian = s.gaussian && back.gaussian;
      saved.pop_back();
    } else if (rule.kind == Rule::Kind::layer_norm) {
      p.var1 = s.diag1;
      if (!s.symmetric) p.var2 = s.diag2;
      s.diag1.ones();
      if (!s.symmetric) s.diag2.ones();
      s.log2_scale = 0;  // Σ/√(Σ11Σ22) is scale-free
    } else if (is_activation(rule)) {
      if (!s.gaussian)
        throw_error("layers::apply_rules(): rule ", r + 1, " (", label_of(rule),
                    ") needs Gaussian pre-activations: put a dense rule before it");
      if (rule.kind == Rule::Kind::activation) {
        if (!rule.activation)
          throw_error("layers::apply_rules(): rule ", r + 1, " is an activation rule without an "
                      "activation");
        if (s.track_ntk && !rule.activation->has_ntk())
          throw_error("kernel: ", label_of(rule), " has no NTK (its derivative is not a "
                      "function); ask for the NNGP only");
      }
      const int scale = s.log2_scale;
      if (scale != 0 && rule.kind == Rule::Kind::erf) {
        // True variances below 2^-64: 1 + 2Σ is 1 in double, so erf is the linear map 4/π.
        // Otherwise erf reads true values through its scaled form and returns them.
        p.erf_linear = exponent_of(max_variance(s), 0) + scale < -64;
        if (!p.erf_linear) s.log2_scale = 0;
      } else if (scale != 0 && rule.kind == Rule::Kind::activation) {
        // A generic activation reads true values: move the scale back into the entries, if
        // the true values are doubles.
        const int e = exponent_of(max_variance(s), 0) + scale;
        double smallest = std::numeric_limits<double>::infinity();
        for (const arma::vec* v : {&s.diag1, &s.diag2})
          for (double x : *v)
            if (x > 0) smallest = std::min(smallest, x);
        const int e_min = exponent_of(smallest, 0) + scale;
        if (e > kTrueRange || e_min < -kTrueRange)
          throw_error("kernel: the variances entering ", label_of(rule), " are about 2^",
                      e > kTrueRange ? e : e_min, ", beyond the double range (they left it at ",
                      s.scale_left_at.empty() ? std::string("an earlier layer") : s.scale_left_at,
                      "); ", rule.activation->name(), " is evaluated on true values (relu, erf, "
                      "dense, layer_norm and residual layers carry a common scale): use smaller "
                      "weight scales (w_std), a shallower network, or rescale the inputs");
        p.pre_shift = scale;
        scale_pow2(s.diag1, scale);
        if (!s.symmetric) scale_pow2(s.diag2, scale);
        s.log2_scale = 0;
      }
      p.var1 = s.diag1;
      if (!s.symmetric) p.var2 = s.diag2;
      auto map = [&](arma::vec& v) {
        if (rule.kind == Rule::Kind::relu) relu_variances(v.memptr(), v.n_elem);
        else if (rule.kind == Rule::Kind::erf && p.erf_linear) v *= 4 / arma::datum::pi;
        else if (rule.kind == Rule::Kind::erf && scale != 0)
          erf_variances_scaled(v.memptr(), v.n_elem, scale);
        else if (rule.kind == Rule::Kind::erf) erf_variances(v.memptr(), v.n_elem);
        else rule.activation->variances(v.memptr(), v.n_elem);
      };
      try {
        map(s.diag1);
        if (!s.symmetric) map(s.diag2);
      } catch (const Error& e) {
        throw_error("kernel: at ", label_of(rule), ": ", e.what());
      }
      s.gaussian = false;
    } else {
      if (rule.parametrization == Parametrization::standard) {
        if (!(s.width > 0))
          throw_error("layers::apply_rules(): rule ", r + 1, " (", rule.name(),
                      ") in the standard parametrisation needs the layer input width, but the "
                      "state's width is ", s.width, "; start from input_kernel()");
        if (!(rule.out_width > 0))
          throw_error("layers::apply_rules(): rule ", r + 1, " (", rule.name(),
                      ") in the standard parametrisation needs out_width > 0, got ",
                      rule.out_width);
      }
      p.affine = dense_coefficients(rule, s.width);
      // The output's expected binary exponent: max(W²·max Σ, b²) in stored units. When it
      // leaves [2^-256, 2^256], the layer's output is stored with 2^k more in the scale, folded
      // into its coefficients (so not even W²Σ is formed beyond the range).
      const int scale = s.log2_scale;
      fold_scale(p.affine, scale, 0);
      const double m = max_variance(s);
      int k = std::numeric_limits<int>::min();
      if (m > 0 && p.affine.nngp_scale > 0)
        k = exponent_of(m) + exponent_of(p.affine.nngp_scale);
      if (p.affine.nngp_shift > 0) k = std::max(k, exponent_of(p.affine.nngp_shift));
      if (k != std::numeric_limits<int>::min() && (k > kScaleLimit || k < -kScaleLimit)) {
        p.affine = dense_coefficients(rule, s.width);
        fold_scale(p.affine, scale, k);
        s.log2_scale += k;
      }
      affine_variances(s.diag1.memptr(), s.diag1.n_elem, p.affine);
      if (!s.symmetric) affine_variances(s.diag2.memptr(), s.diag2.n_elem, p.affine);
      s.gaussian = true;
      if (rule.out_width > 0) s.width = rule.out_width;
    }
    check_variances(before1, s.diag1, rule, s.symmetric ? "the" : "the first set's");
    if (!s.symmetric) check_variances(before2, s.diag2, rule, "the second set's");
    if (rule.kind != Rule::Kind::residual_start) {
      const int k = rescale_variances(s);
      // Dense folds the extra 2^k into its coefficients instead of a pass over the entries.
      if (rule.kind == Rule::Kind::dense) fold_scale(p.affine, 0, k);
      else p.post_shift = k;
      track_true_range(s, label_of(rule));
    }
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace

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
double max_abs_entry(const arma::mat& x) {
  double m = 0;
  const double* p = x.memptr();
  for (arma::uword i = 0; i < x.n_elem; ++i) m = std::max(m, std::fabs(p[i]));
  return m;
}
}  // namespace

KernelState input_kernel(const arma::mat& a, const arma::mat& b, bool symmetric, bool track_ntk,
                         const std::string& caller, bool allow_scale) {
  if (allow_scale && a.n_rows == b.n_rows && a.n_rows > 0) {
    // Inputs beyond about 2^±400 (1e±120): x·x'/d of copies divided by 2^e, and 2^2e in the
    // common scale, so that inputs × 1e200 still give their (exactly scaled) kernel.
    const double m = std::max(max_abs_entry(a), symmetric ? 0.0 : max_abs_entry(b));
    const int e = exponent_of(m, 0);
    if (e > 400 || e < -400) {
      check_allocation(caller + ": rescaled copies of the inputs", double(a.n_rows),
                       double(a.n_cols) + (symmetric ? 0.0 : double(b.n_cols)));
      const double f = std::ldexp(1.0, -e);
      const arma::mat as = a * f;
      KernelState s = symmetric ? input_kernel(as, as, true, track_ntk, caller)
                                : input_kernel(as, arma::mat(b * f), false, track_ntk, caller);
      s.log2_scale = 2 * e;
      s.allow_log_scale = true;
      track_true_range(s, "the input kernel (x.x'/d)");
      return s;
    }
  }
  if (a.n_rows != b.n_rows)
    throw_error(caller, ": inputs have ", a.n_rows, " and ", b.n_rows, " rows (", a.n_rows, " x ",
                a.n_cols, " and ", b.n_rows, " x ", b.n_cols, ")");
  if (a.n_rows == 0) throw_error(caller, ": inputs have 0 rows; each example needs d >= 1 values");
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
  if (symmetric) {
    // Σ = XᵀX/d, upper triangle only. The diagonal is taken from the same product so that
    // Σ(x_i, x_i) and the variance are the same number (their rounding difference would
    // otherwise become √ulp in √(Σ11Σ22 − Σ12²)).
    s.nngp.set_size(n1, n1);
    if (n1 > 0) {
      const char uplo = 'U', trans = 'T';
      const arma::blas_int n = arma::blas_int(n1), k = arma::blas_int(a.n_rows);
      const double alpha = 1.0 / d, beta = 0.0;
      arma::blas::syrk<double>(&uplo, &trans, &n, &k, &alpha, a.memptr(), &k, &beta,
                               s.nngp.memptr(), &n);
    }
    s.diag1 = s.nngp.diag();
  } else {
    s.nngp = (1.0 / d) * (a.t() * b);
    s.diag1 = arma::sum(arma::square(a), 0).t() / d;
    s.diag2 = arma::sum(arma::square(b), 0).t() / d;
  }
  // A non-zero example whose x·x/d underflowed would pass as a zero input (ρ = 0): refuse it.
  auto check_underflow = [&](const arma::vec& v, const arma::mat& x, const char* which) {
    for (arma::uword i = 0; i < v.n_elem; ++i)
      if (v[i] < std::numeric_limits<double>::min() && arma::any(x.col(i) != 0.0))
        throw_error(caller, ": the mean square x·x/d of ", which, " example ", i + 1, " is ", v[i],
                    ", below the double range (it underflows): rescale the inputs");
  };
  check_underflow(s.diag1, a, symmetric ? "the" : "the first set's");
  if (!symmetric) check_underflow(s.diag2, b, "the second set's");
  return s;
}

namespace {

// One thread's buffers for the fused pass.
struct ChunkBuffers {
  std::array<double, kChunk> c{}, t{}, v2{};
  // The chunks residual_start saved, one pair per open block.
  std::vector<std::array<double, kChunk>> saved_c, saved_t;
  explicit ChunkBuffers(std::size_t nesting) : saved_c(nesting), saved_t(nesting) {}
};

bool all_finite(const double* x, arma::uword len) {
  double acc = 0;
#pragma omp simd reduction(+ : acc)
  for (arma::uword i = 0; i < len; ++i) acc += x[i] - x[i];  // NaN for a NaN or an infinity
  return acc == 0;
}

// Carries the chunk in b.c / b.t (entries i0 .. i0+len of column j) through every rule. With
// `first_bad` not null, checks the chunk after each rule and returns the index of the first
// rule after which it holds a non-finite value (or prepared.size()).
std::size_t run_chunk(const std::vector<PreparedRule>& prepared, ChunkBuffers& b, arma::uword i0,
                      arma::uword len, arma::uword j, bool symmetric, bool with_ntk,
                      bool check) {
  double* c = b.c.data();
  double* tp = with_ntk ? b.t.data() : nullptr;
  // Already non-finite on entry: it came from before these rules.
  if (check && !(all_finite(c, len) && (tp == nullptr || all_finite(tp, len))))
    return prepared.size();
  const bool has_diagonal = symmetric && j >= i0 && j < i0 + len;
  std::size_t level = 0;
  for (std::size_t r = 0; r < prepared.size(); ++r) {
    const PreparedRule& p = prepared[r];
    if (p.pre_shift != 0) {
      scale_pow2(c, len, p.pre_shift);
      if (tp != nullptr) scale_pow2(tp, len, p.pre_shift);
    }
    switch (p.rule.kind) {
      case Rule::Kind::residual_start:
        std::copy_n(c, len, b.saved_c[level].data());
        if (with_ntk) std::copy_n(tp, len, b.saved_t[level].data());
        ++level;
        break;
      case Rule::Kind::residual_sum: {
        --level;
        const double a2 = p.branch_factor;
        const double* sc = b.saved_c[level].data();
        const double* st = with_ntk ? b.saved_t[level].data() : nullptr;
        if (p.saved_factor == 1) {
#pragma omp simd
          for (arma::uword i = 0; i < len; ++i) c[i] = sc[i] + a2 * c[i];
          if (with_ntk) {
#pragma omp simd
            for (arma::uword i = 0; i < len; ++i) tp[i] = st[i] + a2 * tp[i];
          }
        } else {  // the parts carry different common scales (prepare)
          const double f = p.saved_factor;
          for (arma::uword i = 0; i < len; ++i) c[i] = f * sc[i] + a2 * c[i];
          if (with_ntk)
            for (arma::uword i = 0; i < len; ++i) tp[i] = f * st[i] + a2 * tp[i];
        }
        break;
      }
      case Rule::Kind::dense: affine_entries(c, tp, len, p.affine); break;
      case Rule::Kind::layer_norm: {
        const double var_j = symmetric ? p.var1[j] : p.var2[j];
        const double* v1 = p.var1.memptr() + i0;
        if (has_diagonal) c[j - i0] = var_j;
        for (arma::uword i = 0; i < len; ++i) {
          const double scale = 1.0 / std::sqrt(v1[i] * var_j);
          c[i] *= scale;
          if (tp != nullptr) tp[i] *= scale;
        }
        break;
      }
      default: {  // activations
        const double var_j = symmetric ? p.var1[j] : p.var2[j];
        std::fill_n(b.v2.data(), len, var_j);
        // On the diagonal Σ12 is the variance: use the recursion's value so the two agree.
        if (has_diagonal) c[j - i0] = var_j;
        const double* v1 = p.var1.memptr() + i0;
        if (p.rule.kind == Rule::Kind::relu) relu_entries(c, tp, v1, b.v2.data(), len);
        else if (p.rule.kind == Rule::Kind::erf && p.erf_linear) {
          const double f = 4 / arma::datum::pi;
          for (arma::uword i = 0; i < len; ++i) c[i] *= f;
          if (tp != nullptr)
            for (arma::uword i = 0; i < len; ++i) tp[i] *= f;
        } else if (p.rule.kind == Rule::Kind::erf && p.scale_in != 0)
          erf_entries_scaled(c, tp, v1, b.v2.data(), len, p.scale_in);
        else if (p.rule.kind == Rule::Kind::erf) erf_entries(c, tp, v1, b.v2.data(), len);
        else {
          try {
            p.rule.activation->entries(c, tp, v1, b.v2.data(), len);
          } catch (const Error& e) {
            throw Error("at " + label_of(p.rule) + ": " + e.what());
          }
        }
      }
    }
    if (p.post_shift != 0) {
      scale_pow2(c, len, -p.post_shift);
      if (tp != nullptr) scale_pow2(tp, len, -p.post_shift);
    }
    if (check && !(all_finite(c, len) && (tp == nullptr || all_finite(tp, len)))) return r;
  }
  return prepared.size();
}

}  // namespace

void apply_rules(KernelState& s, const std::vector<Rule>& rules, bool keep_nngp,
                 const ProgressSpan& progress) {
  const bool with_ntk = s.track_ntk;
  if (!with_ntk) keep_nngp = true;
  std::size_t nesting = 0;
  std::vector<PreparedRule> prepared = prepare(s, rules, nesting);
  if (std::any_of(rules.begin(), rules.end(), [](const Rule& r) { return r.kind == Rule::Kind::dense; }))
    s.ntk_is_zero = false;

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
    }
    ntk_out = s.ntk.is_empty() ? s.nngp.memptr() : s.ntk.memptr();
  }
  const double* ntk_in = ntk_zero_in ? nullptr : s.ntk.memptr();
  double* nngp_data = s.nngp.memptr();
  const bool symmetric = s.symmetric;
  // The first non-finite entry: the rule where it appeared, and where (column-major order).
  std::size_t bad_rule = prepared.size();
  arma::uword bad_i = 0, bad_j = 0;
  bool any_bad = false;
  std::string chunk_error;
  // Units: kernel entries, so that the triangle's long last columns weigh what they cost.
  ProgressCounter counter(progress, symmetric ? 0.5 * double(n2) * double(n2 + 1)
                                              : double(n1) * double(n2));

#pragma omp parallel
  {
    ChunkBuffers buffers(nesting);
#pragma omp for schedule(dynamic, 8)
    for (arma::uword j = 0; j < n2; ++j) {
      const arma::uword rows = symmetric ? j + 1 : n1;
      for (arma::uword i0 = 0; i0 < rows; i0 += kChunk) {
        const arma::uword len = std::min(kChunk, rows - i0);
        const arma::uword offset = j * n1 + i0;
        auto load = [&] {
          std::copy_n(nngp_data + offset, len, buffers.c.data());
          if (with_ntk) {
            if (ntk_in != nullptr) std::copy_n(ntk_in + offset, len, buffers.t.data());
            else std::fill_n(buffers.t.data(), len, 0.0);
          }
        };
        load();
        try {
          run_chunk(prepared, buffers, i0, len, j, symmetric, with_ntk, false);
        } catch (const std::exception& e) {
          // An exception must not leave the parallel region: keep the first, throw it below.
#pragma omp critical(ntk_chunk_error)
          if (chunk_error.empty()) chunk_error = e.what();
          continue;
        }
        if (!all_finite(buffers.c.data(), len) ||
            (with_ntk && !all_finite(buffers.t.data(), len))) {
          load();  // the input is still in place: replay rule by rule to find where it went bad
          const std::size_t r = run_chunk(prepared, buffers, i0, len, j, symmetric, with_ntk, true);
          arma::uword i = 0;
          while (i + 1 < len && std::isfinite(buffers.c[i]) &&
                 (!with_ntk || std::isfinite(buffers.t[i])))
            ++i;
#pragma omp critical(ntk_nonfinite)
          if (!any_bad || r < bad_rule) {
            any_bad = true;
            bad_rule = r;
            bad_i = i0 + i;
            bad_j = j;
          }
          continue;
        }
        if (keep_nngp) std::copy_n(buffers.c.data(), len, nngp_data + offset);
        if (with_ntk) std::copy_n(buffers.t.data(), len, ntk_out + offset);
      }
      counter.add(double(rows));
    }
  }
  if (!chunk_error.empty()) throw_error("kernel: ", chunk_error);
  if (any_bad) {
    const std::string where = bad_rule < prepared.size() ? label_of(prepared[bad_rule].rule)
                                                         : std::string("the kernel these layers "
                                                                       "received (the input or "
                                                                       "image layers before them)");
    throw_error("kernel: a non-finite value first appeared at ", where, " (entry ", bad_i + 1,
                ", ", bad_j + 1, " of the ", n1, " x ", n2, " kernel); the inputs or the "
                "layers' scales overflow double precision at this depth");
  }
  counter.finish();
  if (!keep_nngp) {
    if (s.ntk.is_empty()) s.ntk = std::move(s.nngp);
    s.nngp.reset();
  }
  if (!s.allow_log_scale) resolve_scale(s, "kernel");
}

namespace {

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
