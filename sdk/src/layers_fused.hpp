// The fused example-pair pass behind apply_rules() (layers.hpp), in the pieces an engine needs
// to feed it kernel columns of its own (the float32 block driver, layers_tiled.hpp):
//
//   prepare()       the rules checked and prepared once for a state's variances: the O(n·depth)
//                   variance recursion, the common scale (KernelState::log2_scale) folded into
//                   each rule's coefficients;
//   carry_chunk()   a chunk of up to kChunk entries of one kernel column carried through every
//                   rule while it sits in L1, checked once at the end for NaN/inf and, only if
//                   it went bad, replayed rule by rule to name the rule where it first did.
//
// Chunks only read the prepared rules, so any number of threads may carry chunks at once, each
// with its own ChunkBuffers and its own PassFaults merged at the end.
#pragma once

#include <array>
#include <cstddef>
#include <exception>
#include <string>
#include <vector>

#include "kernel_state.hpp"
#include "layers.hpp"

namespace ntk::sdk::layers::fused {

// Entries carried through all rules at once: three arrays of this many doubles stay in L1.
constexpr arma::uword kChunk = 256;

// The stored variances are kept within [2^-kScaleLimit, 2^kScaleLimit] (their largest) by
// moving exact powers of two into the common scale; true values whose binary exponent is beyond
// ±kTrueRange have left the double range.
constexpr int kScaleLimit = 256;
constexpr int kTrueRange = 1000;
// True values whose binary exponent is outside [kFloatLow, kFloatHigh] are not normal floats
// (float32 outputs; FLT_MIN = 2^-126, FLT_MAX < 2^128).
constexpr int kFloatLow = -126, kFloatHigh = 127;

// The rule's label, or its name when it has none.
std::string label_of(const Rule& r);
// x ← x·2^k exactly (two steps, so |k| up to about 2000 needs no representable 2^k).
void scale_pow2(double* x, arma::uword len, int k);
inline void scale_pow2(arma::vec& v, int k) { scale_pow2(v.memptr(), v.n_elem, k); }
// The largest stored variance of either set (0 when there is none or none is positive).
double max_variance(const KernelState& s);
// Binary exponent of a finite positive value; `none` otherwise.
int exponent_of(double x, int none = 0);
// Records where the true values left the double range (KernelState::scale_left_at) and the
// float range (float_left_at), or clears each when they are back in it.
void track_true_range(KernelState& s, const std::string& where);

// One rule's preparation: its coefficients and the variances entering it.
struct PreparedRule {
  Rule rule;
  AffineCoefficients affine;  // dense: the common scale's shifts are folded in
  arma::vec var1, var2;  // only for activations and layer_norm; var2 empty when symmetric
  arma::vec inv_root1, inv_root2;  // relu: 1/√var (0 for a zero variance), for relu_column()
  // The common scale (KernelState::log2_scale) around the rule, as exact powers of two:
  int scale_in = 0;     // the state's scale entering the rule (erf reads it)
  int pre_shift = 0;    // entries × 2^pre_shift first (a generic activation reads true values)
  int post_shift = 0;   // entries × 2^-post_shift after the rule (moved into the scale)
  bool erf_linear = false;  // erf on true variances below 2^-64: Σ, Θ ← (4/π)Σ, (4/π)Θ exactly
  double saved_factor = 1, branch_factor = 1;  // residual_sum: saved·f_s + branch·f_b
};

struct PreparedRules {
  std::vector<PreparedRule> rules;
  std::size_t nesting = 0;  // the deepest residual nesting: saved chunks a thread needs
  bool any_dense = false;   // a dense rule makes Θ non-zero
};

// Checks the sequence (balanced residual blocks, Gaussian inputs for activations, …), runs the
// variance recursion on s.diag1 / s.diag2 (refusing variances that overflow or underflow,
// naming the rule) and updates the state's flags, width and common scale. s.nngp and s.ntk
// are neither read nor changed.
PreparedRules prepare(KernelState& s, const std::vector<Rule>& rules);

// One thread's buffers: the chunk's Σ (c) and Θ (t), the second variances, and the chunks the
// open residual blocks saved.
struct ChunkBuffers {
  std::array<double, kChunk> c{}, t{}, v2{};
  std::vector<std::array<double, kChunk>> saved_c, saved_t;
  explicit ChunkBuffers(std::size_t nesting) : saved_c(nesting), saved_t(nesting) {}
};

// True when no entry is NaN or infinite (one vectorised pass).
bool all_finite(const double* x, arma::uword len);

// Carries the chunk in b.c / b.t (entries i0 .. i0+len of column j, in the state's indices)
// through every rule. With `check`, tests the chunk after each rule and returns the index of
// the first rule after which it holds a non-finite value (rules.size() when none, or when it
// was already non-finite on entry).
std::size_t run_chunk(const std::vector<PreparedRule>& prepared, ChunkBuffers& b, arma::uword i0,
                      arma::uword len, arma::uword j, bool symmetric, bool with_ntk, bool check);

// The first failure the chunks of a pass met: an exception from a rule, or the first
// non-finite entry (the earliest rule, then any entry). Threads record into their own copy
// (or under a lock) and merge; throw_if_any() throws the message apply_rules() always gave.
struct PassFaults {
  std::string error;             // an exception's message (the first one)
  bool any_bad = false;          // a non-finite entry
  std::size_t bad_rule = 0;      // the rule after which it first appeared
  arma::uword bad_i = 0, bad_j = 0;

  void record_bad(std::size_t rule, arma::uword i, arma::uword j);
  void merge(const PassFaults& other);
  bool any() const { return any_bad || !error.empty(); }
  void throw_if_any(const PreparedRules& prepared, arma::uword n1, arma::uword n2) const;
};

// Runs one chunk: `load()` fills b.c (and b.t when with_ntk) with entries i0 .. i0+len of
// column j. Returns true with the result in b.c / b.t, or false after recording the failure in
// `faults` (the input is loaded again to replay the chunk rule by rule).
template <class Load>
bool carry_chunk(const PreparedRules& p, ChunkBuffers& b, arma::uword i0, arma::uword len,
                 arma::uword j, bool symmetric, bool with_ntk, Load&& load, PassFaults& faults) {
  load();
  try {
    run_chunk(p.rules, b, i0, len, j, symmetric, with_ntk, false);
  } catch (const std::exception& e) {  // an exception must not leave an OpenMP region
    if (faults.error.empty()) faults.error = e.what();
    return false;
  }
  if (all_finite(b.c.data(), len) && (!with_ntk || all_finite(b.t.data(), len))) return true;
  load();
  const std::size_t r = run_chunk(p.rules, b, i0, len, j, symmetric, with_ntk, true);
  arma::uword i = 0;
  while (i + 1 < len && std::isfinite(b.c[i]) && (!with_ntk || std::isfinite(b.t[i]))) ++i;
  faults.record_bad(r, i0 + i, j);
  return false;
}

}  // namespace ntk::sdk::layers::fused
