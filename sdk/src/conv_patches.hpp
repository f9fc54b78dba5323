// Building blocks of finite convolutional networks (cnn, resnet kind = "conv"): activations
// are channels × (H·W·n) matrices, column e·H·W + i for pixel i of example e, and a q × q
// convolution is W·im2col(h) (q × q or qh × qw; SAME, CIRCULAR or VALID). The analytic
// counterparts are in layers_conv.hpp.
#pragma once

#include <armadillo>
#include <vector>

#include "ntk/sdk/inputs.hpp"
#include "ntk/sdk/stax.hpp"  // Padding

namespace ntk::sdk {

// A q × q conv layer with `channels` outputs in a flat parameter vector (NTK
// parametrisation): W (channels × fan_in·q², column-major) at w_offset, then b (channels) at
// b_offset; z = w_scale·W·im2col(h) + b_scale·b.
struct ConvLayer {
  arma::uword fan_in = 0;  // input channels C_in
  arma::uword w_offset = 0, b_offset = 0;
  double w_scale = 1, b_scale = 1;
};

// `count` such layers laid out one after another from `offset` (advanced past them): the first
// reads `in_channels` channels, the others `channels`; w_scale = w_std/√(fan_in·q²),
// b_scale = b_std.
std::vector<ConvLayer> conv_layer_layout(arma::uword count, arma::uword in_channels,
                                         arma::uword channels, arma::uword q, double w_std,
                                         double b_std, arma::uword& offset);

// q² × H·W table of filter taps: entry (a·q + b, i) is 1 + the source pixel of tap (a, b)
// (offset (a − (q−1)/2, b − (q−1)/2)) at pixel i, or 0 where the tap reads zero padding
// (padding "same"); with `circular` the offsets wrap around instead. q = 1 gives 1 + i.
arma::umat filter_taps(arma::uword height, arma::uword width, arma::uword q, bool circular);

// The same for a qh × qw filter: (qh·qw) × H'·W', entry (a·qw + b, o) for tap (a, b) of output
// pixel o. SAME and CIRCULAR: H' × W' = H × W, the tap reads offset (a − (qh−1)/2, b − (qw−1)/2);
// VALID: H' = H − qh + 1, W' = W − qw + 1 and output pixel (u, v) reads (u + a, v + b)
// (neural-tangents' and XLA's VALID convolution). Refuses an even filter, or a VALID one larger
// than the image.
arma::umat filter_taps(arma::uword height, arma::uword width, arma::uword filter_height,
                       arma::uword filter_width, Padding padding);

// C*H*W × n channel-major image columns → C × (H·W·n) (a copy-free return when H·W = 1).
arma::mat pixels_by_channel(const arma::mat& x, const ImageShape& shape);

// (C·q²) × (H·W·n) patches: row c·q² + t of column (e, i) is channel c at tap t of pixel i.
// With one tap (q = 1) the patches are h itself.
arma::mat im2col(const arma::mat& h, const arma::umat& taps);
// The same when the output image differs from the input (VALID): h is C × (in_area·n), the
// patches (C·taps) × (H'·W'·n) for the taps.n_cols = H'·W' output pixels.
arma::mat im2col(const arma::mat& h, const arma::umat& taps, arma::uword in_area);

// The adjoint of im2col: scatters patches back onto a `channels` × (H·W·n) image.
arma::mat col2im(const arma::mat& patches, const arma::umat& taps, arma::uword channels);
// ... onto a `channels` × (in_area·n) image (the adjoint of the in_area im2col).
arma::mat col2im(const arma::mat& patches, const arma::umat& taps, arma::uword channels,
                 arma::uword in_area);

// One conv layer's per-example gradients, rows = examples, columns = the layer's W
// (C × C_in·q², column-major) then b (C): s·Σ_i δ(i)·P(i)ᵀ and β·Σ_i δ(i) over the `area`
// pixels i of each example, with δ = dz (C × area·n) and P = patches (C_in·q² × area·n).
arma::mat conv_layer_gradients(const arma::mat& dz, const arma::mat& patches, arma::uword area,
                               double w_scale, double b_scale);

// z ← φ(z) in place and, when dphi is given, dphi ← φ'(z), for φ = relu (`relu`) or erf.
void relu_or_erf(arma::mat& z, arma::mat* dphi, bool relu);

}  // namespace ntk::sdk
