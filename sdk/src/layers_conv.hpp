// Convolutional kernel rules over images, in the neural-tangents stax convention
// (Arora et al. 2019's CNTK; neural-tangents' Conv(W_std, b_std, (qh, qw), SAME|CIRCULAR|VALID)).
//
// Between pixel i of image x and pixel j of image x' (C channels, H × W pixels):
//   input   Σ(i, j) = (1/C)·Σ_c x_c(i)·x'_c(j),  Θ = 0
//   conv    Σ ← W²·(1/(qh·qw))·Σ_δ Σ(i+δ, j+δ) + b²,  Θ ← W²·(1/(qh·qw))·Σ_δ Θ(i+δ, j+δ) + Σ_new
//           over the qh × qw offsets δ (both odd); a padded pixel contributes 0 but counts in
//           qh·qw (SAME), or the image is a torus (CIRCULAR), or the output keeps only the
//           pixels whose window lies inside the image (VALID: (H − qh + 1) × (W − qw + 1))
//   relu, erf   the closed forms of layers_elementwise.hpp, pixel pair by pixel pair, with the
//           variances Σ(x, i; x, i) and Σ(x', j; x', j)
//   residual_start, residual_sum(α)   a residual block around the rules between them, pixel
//           pair by pixel pair: Σ ← Σ_saved + α²Σ, Θ ← Θ_saved + α²Θ (as in layers.hpp)
// followed by a spatial readout (layers_pool.hpp) that makes a kernel between feature vectors;
// the Dense readout is then an ordinary rule of layers.hpp:
//
//   using namespace ntk::sdk::layers;
//   KernelState s = image_kernel(a, b, {1, 28, 28}, &a == &b,
//                                {conv(1, 0, 3, Padding::same), image_relu(), ...},
//                                global_average_pool(), /*track_ntk=*/true);
//   apply_rules(s, {dense(readout_w, readout_b)});
//   finish(s);
//
// How it is computed (and why it costs what it costs). A convolution keeps the spatial offset
// j − i of a pixel pair, so for each offset (d, e) the values P(i) = Σ(i, i + (d, e)) form an
// H × W "offset image" that each layer maps independently of the other offsets: a q × q box
// filter (separable, qh + qw additions per pixel) and the activation. A readout needs only the
// offsets where its weight is non-zero:
//   flatten: offset (0, 0) only — O(H·W·q·depth) per kernel entry;
//   average_pool(p): |d|, |e| < p — O(p²·H·W·q·depth);
//   global_average: every offset — O((H·W)²·q·depth), the full pixel-pair covariance.
// A tile is 16 consecutive examples of one set against one example of the other (or against
// themselves, for the variances of a cross kernel): the 16 pairs are the vector lanes of every
// inner loop, the left examples are read from a copy of the set interleaved by 16, the right
// one broadcast. Tiles run in parallel (OpenMP); a symmetric kernel takes the blocks above
// the diagonal only, and each diagonal block against itself in 9 lane rotations (one
// triangle: 144 pairs for a block's 136, where 16 broadcast tiles computed 256). Per-example pixel
// variances are computed once beforehand.
// VALID padding: output pixel o of a VALID conv is the SAME conv's value at the window centre
// o + (half_h, half_w), which reads no padded pixel. So the engine stays on the input's grid
// and keeps an active rectangle, shrunk by (half_h, half_w) on each side by every VALID conv;
// a later SAME conv pads around the active rectangle (the engine zeroes what lies outside it),
// and the readout reads the final rectangle as the output image. VALID does not mix with
// CIRCULAR, nor sits inside a residual branch (the branch would change the image's shape).
// Strides other than 1 are not implemented (a strided conv subsamples the grid: the next box
// filter would be dilated and neural-tangents' SAME padding becomes asymmetric).
// Precision::float32 keeps the per-pixel-pair tensors in float (sums and the readout in
// double); float64 (the default) agrees with neural-tangents to round-off. In float32, rules
// (Conv(SAME), Relu) × L — most CNTKs — take the fused path (layers_conv_fused.hpp): one
// sweep per layer and offset image, the ReLU on the 16 lanes as one vector (the CNTK-GAP of
// issue 14 at under 1 ms per entry on 2 cores; docs/benchmarks.md).
#pragma once

#include <armadillo>
#include <string>
#include <vector>

#include "kernel_state.hpp"
#include "layers_pool.hpp"
#include "progress_counter.hpp"
#include "ntk/sdk/activation.hpp"
#include "ntk/sdk/inputs.hpp"
#include "ntk/sdk/stax.hpp"

namespace ntk::sdk::layers {

using Padding = ntk::sdk::Padding;
using Precision = ntk::sdk::Precision;

struct ImageRule {
  // `activation` (SDK 3) runs any ntk::sdk::Activation's array maps pixel pair by pixel pair.
  enum class Kind { conv, relu, erf, residual_start, residual_sum, activation };
  Kind kind = Kind::conv;
  double w_std = 1, b_std = 0;        // conv only
  double alpha = 1;                   // residual_sum only
  arma::uword filter_height = 3;      // conv only: qh (odd)
  arma::uword filter_width = 3;       // conv only: qw (odd)
  Padding padding = Padding::same;    // conv only
  bool trainable = true;              // conv only: false drops its own NTK term (Θ ← box(W²Θ))
  ActivationPtr activation;           // activation only
  // Where the composition put the rule ("layer 3 (Conv(W_std=15, b_std=0, 3x3, SAME))"), for
  // errors; empty: the engine says "image rule k (name())".
  std::string label;

  std::string name() const;  // "Conv(W_std=1, b_std=0, 3x3, SAME)", "Relu", "Erf", "FanOut(2)"…
};

// A q × q conv. Refuses (ntk::Error) an even or zero filter.
ImageRule conv(double w_std, double b_std, arma::uword filter, Padding padding = Padding::same);
// A qh × qw conv (a 1-D convolution along the width is qh = 1 on images {C, 1, W}).
ImageRule conv(double w_std, double b_std, arma::uword filter_height, arma::uword filter_width,
               Padding padding);
ImageRule image_relu();
ImageRule image_erf();
ImageRule image_activation(ActivationPtr activation);
// A residual block x ↦ x + α·branch(x) around the image rules between the two (blocks may
// nest; they must close within one rule list). residual_sum refuses a non-finite alpha.
ImageRule image_residual_start();
ImageRule image_residual_sum(double alpha);

// The kernel between images a (C·H·W × n1) and b (C·H·W × n2), columns flattened
// channel-major, after `rules` and `readout`: a KernelState with nngp/ntk n1 × n2 (only the
// upper triangle when `symmetric`), diag1/diag2 the readout variances of each image, ntk empty
// when !track_ntk, `gaussian` true when the last rule is a conv (or a residual sum of Gaussian
// parts), `width` = C (the readout's
// feature vectors are C channels × pooled pixels; the NTK parametrisation does not read it).
// Refuses, before any work: a row count other than C·H·W, a zero shape, an even filter, a
// circular or valid filter larger than the image (a valid one: than the image left by the
// VALID convs before it), VALID mixed with CIRCULAR or inside a residual block, an activation
// not preceded by a conv, unbalanced residual rules, non-finite inputs, kernels that would not
// fit in memory.
// Range (issue 13: never silently wrong): a per-pixel variance that leaves the range of the
// precision after the input or after a rule — non-finite or above its largest value, below its
// smallest normal value, or 0 from a positive value under a conv (w_std ≠ 0), relu or erf — is
// refused naming the rule (its label), the example and the pixel; so is a kernel entry that
// is non-finite at the end (a tile whose readout is not finite is replayed rule by rule to
// name where it first appeared). Within the range the maps are right (layers_elementwise.hpp
// rescales by powers of two); float32 refuses what only float64 can hold, and says so.
KernelState image_kernel(const arma::mat& a, const arma::mat& b, const ImageShape& shape,
                         bool symmetric, const std::vector<ImageRule>& rules,
                         const SpatialReadout& readout, bool track_ntk,
                         Precision precision = Precision::float64,
                         const std::string& caller = "image_kernel()",
                         const ProgressSpan& progress = {});

// The per-pixel variances Σ(x, i; x, i) of each image after `rules` (H'·W' × n, row h·W' + w,
// for the H' × W' output image: H × W unless VALID convs shrank it): what a flatten readout
// averages and what each activation reads. Same checks as above.
arma::mat pixel_variances(const arma::mat& x, const ImageShape& shape,
                          const std::vector<ImageRule>& rules,
                          const std::string& caller = "pixel_variances()");

}  // namespace ntk::sdk::layers
