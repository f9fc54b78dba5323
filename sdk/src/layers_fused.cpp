// The fused example-pair pass (layers_fused.hpp): the rules' preparation — the variance
// recursion with its range checks and the common scale — and one chunk of a kernel column
// carried through every rule.
#include "layers_fused.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "ntk/sdk/error.hpp"

namespace ntk::sdk::layers::fused {
namespace {

bool is_activation(const Rule& r) {
  return r.kind == Rule::Kind::relu || r.kind == Rule::Kind::erf || r.kind == Rule::Kind::activation;
}

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

// What residual_start saves for its residual_sum: the variances, the Gaussian flag, the scale.
struct SavedVariances {
  arma::vec diag1, diag2;
  bool gaussian = false;
  int scale = 0;
};

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

}  // namespace

std::string label_of(const Rule& r) { return r.label.empty() ? r.name() : r.label; }

void scale_pow2(double* x, arma::uword len, int k) {
  if (k == 0) return;
  const double f1 = std::ldexp(1.0, k / 2), f2 = std::ldexp(1.0, k - k / 2);
#pragma omp simd
  for (arma::uword i = 0; i < len; ++i) x[i] = (x[i] * f1) * f2;
}

// The largest stored variance of either set (0 when there is none or none is positive).
double max_variance(const KernelState& s) {
  double m = 0;
  for (const arma::vec* v : {&s.diag1, &s.diag2})
    for (double x : *v) m = std::max(m, x);
  return m;
}
// Binary exponent of a finite positive value; `none` otherwise.
int exponent_of(double x, int none) {
  return std::isfinite(x) && x > 0 ? std::ilogb(x) : none;
}

void track_true_range(KernelState& s, const std::string& where) {
  const double m = max_variance(s);
  if (!(m > 0) || !std::isfinite(m)) return;
  const int e = std::ilogb(m) + s.log2_scale;
  auto track = [&](std::string& left_at, bool out) {
    if (!out) left_at.clear();
    else if (left_at.empty()) left_at = where;
  };
  track(s.scale_left_at, e > kTrueRange || e < -kTrueRange);
  track(s.float_left_at, e > kFloatHigh || e < kFloatLow);
}

PreparedRules prepare(KernelState& s, const std::vector<Rule>& rules) {
  PreparedRules prepared;
  std::vector<PreparedRule>& out = prepared.rules;
  std::size_t& nesting = prepared.nesting;
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
    PreparedRule p{rule, {}, {}, {}, {}, {}};
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
      if (rule.kind == Rule::Kind::relu) {
        auto inverse = [](const arma::vec& v) {
          arma::vec r(v.n_elem);
          inverse_roots(v.memptr(), r.memptr(), v.n_elem);
          return r;
        };
        p.inv_root1 = inverse(p.var1);
        if (!s.symmetric) p.inv_root2 = inverse(p.var2);
      }
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
    if (rule.kind == Rule::Kind::dense) prepared.any_dense = true;
    out.push_back(std::move(p));
  }
  return prepared;
}

bool all_finite(const double* x, arma::uword len) {
  double acc = 0;
#pragma omp simd reduction(+ : acc)
  for (arma::uword i = 0; i < len; ++i) acc += x[i] - x[i];  // NaN for a NaN or an infinity
  return acc == 0;
}

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
      case Rule::Kind::relu: {
        const double var_j = symmetric ? p.var1[j] : p.var2[j];
        const double inv_root_j = symmetric ? p.inv_root1[j] : p.inv_root2[j];
        // On the diagonal Σ12 is the variance: use the recursion's value so the two agree.
        if (has_diagonal) c[j - i0] = var_j;
        relu_column(c, tp, p.var1.memptr() + i0, p.inv_root1.memptr() + i0, var_j, inv_root_j,
                    len);
        break;
      }
      default: {  // the other activations
        const double var_j = symmetric ? p.var1[j] : p.var2[j];
        std::fill_n(b.v2.data(), len, var_j);
        if (has_diagonal) c[j - i0] = var_j;
        const double* v1 = p.var1.memptr() + i0;
        if (p.rule.kind == Rule::Kind::erf && p.erf_linear) {
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

void PassFaults::record_bad(std::size_t rule, arma::uword i, arma::uword j) {
  if (any_bad && rule >= bad_rule) return;
  any_bad = true;
  bad_rule = rule;
  bad_i = i;
  bad_j = j;
}

void PassFaults::merge(const PassFaults& other) {
  if (error.empty()) error = other.error;
  if (other.any_bad) record_bad(other.bad_rule, other.bad_i, other.bad_j);
}

void PassFaults::throw_if_any(const PreparedRules& prepared, arma::uword n1,
                              arma::uword n2) const {
  if (!error.empty()) throw_error("kernel: ", error);
  if (!any_bad) return;
  const std::string where = bad_rule < prepared.rules.size()
                                ? label_of(prepared.rules[bad_rule].rule)
                                : std::string("the kernel these layers received (the input or "
                                              "image layers before them)");
  throw_error("kernel: a non-finite value first appeared at ", where, " (entry ", bad_i + 1, ", ",
              bad_j + 1, " of the ", n1, " x ", n2, " kernel); the inputs or the layers' scales "
              "overflow double precision at this depth");
}

}  // namespace ntk::sdk::layers::fused
