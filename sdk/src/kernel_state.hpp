// The state that kernel rules pass from layer to layer (neural-tangents' `Kernel` object):
// the NNGP Σ and NTK Θ between two sets of examples, the variances Σ(x, x) of each set, and
// the facts the next rule needs (is the pre-activation Gaussian, how wide is the layer input).
//
// Rules (sdk/src/layers.hpp) map one state to the next; a network's kernel is a fold of its
// rules over the input state, exactly as stax.serial folds kernel_fn's.
#pragma once

#include <armadillo>
#include <string>

namespace ntk::sdk {

struct KernelState {
  // Σ(a_i, b_j), n1 × n2. When `symmetric`, only the upper triangle (i ≤ j) is kept up to date
  // by the rules; mirror_upper() (layers.hpp) fills the rest once at the end.
  arma::mat nngp;
  // Θ(a_i, b_j), n1 × n2. Empty while `ntk_is_zero` (the input kernel has Θ = 0, as in
  // neural-tangents), so no n × n matrix of zeros is ever allocated.
  arma::mat ntk;
  // Σ(a_i, a_i) and Σ(b_j, b_j): the variances an activation needs (NT's cov1 / cov2).
  // When `symmetric`, diag2 is empty and diag1 serves both sides.
  arma::vec diag1;
  arma::vec diag2;

  bool symmetric = false;  // a and b are the same examples (the caller passed &a == &b)
  bool track_ntk = true;   // compute Θ alongside Σ
  bool ntk_is_zero = true;  // Θ = 0 (no trainable layer applied yet)
  // True after an affine (dense) rule: the closed-form activation rules assume Gaussian
  // pre-activations, so they refuse a state where this is false (NT's `is_gaussian`).
  bool gaussian = false;
  // Width of the current layer's input: d for the input kernel, then the out width of each
  // dense rule. Only the standard parametrisation reads it (its NTK grows with fan-in).
  double width = 0;

  // A common scale (issue 13): the true Σ, Θ and variances are the stored ones times
  // 2^log2_scale. The rules keep the stored variances near 1 by moving exact powers of two
  // into it, so depth and input scale cannot push them out of the double range while the
  // normalised kernel is an ordinary number (ReLU with b = 0 is homogeneous: w_std = 15 gains a
  // factor 112.5 per layer, 1e410 at depth 200, yet its correlations are those of w_std = 1).
  int log2_scale = 0;
  // Whether the caller reads log2_scale. When false, apply_rules() ends with the true values
  // (resolve_scale) or an error naming the layer where they left the double range.
  bool allow_log_scale = false;
  // The rule after which the true values last left the double range ("" while they are in it).
  std::string scale_left_at;
  // The same for float's range (2^-126 .. 2^128): a float32 output names it when its values
  // are not floats.
  std::string float_left_at;

  arma::uword rows() const { return nngp.n_rows; }
  arma::uword cols() const { return nngp.n_cols; }
  // Variances of the second set of examples (diag1 itself when symmetric).
  const arma::vec& second_diag() const { return symmetric ? diag1 : diag2; }
};

}  // namespace ntk::sdk
