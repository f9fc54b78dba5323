// The finite part of conv (image_layers.cpp has the layer, its shape and kernel rules):
// z = (W_std/√(C_in·qh·qw))·W ⋆ h + b_std·b per example, parameters W (C × C_in·qh·qw,
// column-major, tap-minor: column c_in·qh·qw + a·qw + b) then b (C), all N(0, 1).
//
// The SDK 3 forms work on the C × (H·W·n) pixel layout of sdk/src/conv_patches.hpp and convert
// back; the workspace forms (forward_into/backward_into) work per example on the channel-major
// columns directly.
#include "finite_conv.hpp"

#include <algorithm>
#include <cmath>

#include "conv_patches.hpp"
#include "finite_blas.hpp"

namespace ntk::sdk::stax {

arma::uword filter_height(const ConvOptions& o) { return o.filter_height > 0 ? o.filter_height : o.filter; }
arma::uword filter_width(const ConvOptions& o) { return o.filter_width > 0 ? o.filter_width : o.filter; }

Shape conv_output(const Shape& in, arma::uword channels, const ConvOptions& o) {
  if (o.padding != Padding::valid) return Shape::image(channels, in.height, in.width);
  return Shape::image(channels, in.height - filter_height(o) + 1, in.width - filter_width(o) + 1);
}

namespace {

ImageShape image_shape(const Shape& s) { return {s.channels, s.height, s.width}; }

// C × (H·W·n) pixel layout → channel-major columns (the inverse of pixels_by_channel).
arma::mat channel_major(const arma::mat& h, const Shape& s) {
  const arma::uword area = s.height * s.width, c = s.channels, n = h.n_cols / area;
  arma::mat x(c * area, n);
  for (arma::uword e = 0; e < n; ++e)
    for (arma::uword i = 0; i < area; ++i)
      for (arma::uword ch = 0; ch < c; ++ch) x(ch * area + i, e) = h(ch, e * area + i);
  return x;
}

class FiniteConv : public FiniteLayer {
 public:
  FiniteConv(const Shape& in, arma::uword channels, const ConvOptions& o)
      : in_(in), out_(conv_output(in, channels, o)), o_(o),
        taps_(filter_taps(in.height, in.width, filter_height(o), filter_width(o), o.padding)) {
    fan_in_ = in.channels * filter_height(o) * filter_width(o);
    scale_ = o.w_std / std::sqrt(double(fan_in_));
  }
  Shape output_shape() const override { return out_; }
  arma::uword num_params() const override { return out_.channels * fan_in_ + out_.channels; }
  bool trainable() const override { return o_.trainable; }
  bool full_ntk_terms() const override { return true; }
  void init(double* p, std::mt19937_64& rng) const override {
    std::normal_distribution<double> normal(0.0, 1.0);
    for (arma::uword i = 0; i < num_params(); ++i) p[i] = normal(rng);
  }
  arma::mat forward(const double* p, const arma::mat& in, LayerCache* cache) const override {
    arma::mat patches = im2col(pixels_by_channel(in, image_shape(in_)), taps_, in_area());
    arma::mat z = scale_ * (weight(p) * patches);
    z.each_col() += o_.b_std * bias(p);
    if (cache != nullptr) {
      cache->input_ref = nullptr;
      cache->input = in;
      cache->extra = std::move(patches);
    }
    return channel_major(z, out_);
  }
  // The workspace form works per example on the channel-major columns directly: example e's
  // output column, read as an H'W' × C matrix, is Z_e = s·P_e·Wᵀ + β·1bᵀ with P_e the
  // H'W' × (C_in·qh·qw) patches of that example (one dgemm, no layout conversions). P_e is
  // rebuilt in a reused buffer instead of keeping all examples' patches (qh·qw times the input).
  const arma::mat& forward_into(const double* p, const arma::mat& in,
                                LayerCache& cache) const override {
    cache.input_ref = &in;
    const arma::uword area = out_.height * out_.width, c = out_.channels;
    cache.output.set_size(out_.size(), in.n_cols);
    for (arma::uword e = 0; e < in.n_cols; ++e) {
      example_patches(in, e, cache.scratch);
      double* z = cache.output.colptr(e);
      finite::gemm(false, true, area, c, fan_in_, scale_, cache.scratch.memptr(), area, p, c, 0.0,
                   z, area);
      if (o_.b_std == 0) continue;
      const double* b = p + c * fan_in_;
      for (arma::uword ch = 0; ch < c; ++ch)
        for (arma::uword i = 0; i < area; ++i) z[ch * area + i] += o_.b_std * b[ch];
    }
    return cache.output;
  }
  // Per signal column (example e = column / r), δ read as H'W' × C: grad W += s·δᵀP_e,
  // grad b += β·Σ_pixels δ, and the input signal scatters s·δ·W (H'W' × C_in·qh·qw) back onto
  // the input pixels (the adjoint of the patches).
  const arma::mat& backward_into(const double* p, LayerCache& cache, const arma::mat& delta,
                                 arma::uword r, double* grad, bool need_input) const override {
    const arma::mat& in = cache.layer_input();
    const arma::uword area = out_.height * out_.width, c = out_.channels;
    const bool gradient = grad != nullptr && o_.trainable;
    if (grad != nullptr) std::fill(grad, grad + num_params(), 0.0);  // written, not added to
    if (need_input) cache.signal.zeros(in_.size(), delta.n_cols);
    arma::uword built = arma::uword(-1);  // the example whose patches are in scratch
    for (arma::uword col = 0; col < delta.n_cols; ++col) {
      const double* d = delta.colptr(col);
      if (gradient) {
        const arma::uword e = col / r;
        if (e != built) example_patches(in, e, cache.scratch);
        built = e;
        finite::gemm(true, false, c, fan_in_, area, scale_, d, area, cache.scratch.memptr(), area,
                     1.0, grad, c);
        double* gb = grad + c * fan_in_;
        for (arma::uword ch = 0; ch < c; ++ch) {
          double sum = 0;
          for (arma::uword i = 0; i < area; ++i) sum += d[ch * area + i];
          gb[ch] += o_.b_std * sum;
        }
      }
      if (!need_input) continue;
      cache.extra.set_size(area, fan_in_);
      finite::gemm(false, false, area, fan_in_, c, scale_, d, area, p, c, 0.0, cache.extra.memptr(),
                   area);
      scatter_patches(cache.extra, cache.signal.colptr(col));
    }
    return need_input ? cache.signal : finite::no_signal();
  }
  arma::mat backward(const double* p, const LayerCache& cache, const arma::mat& delta,
                     arma::uword r, double* grad, bool need_input) const override {
    const arma::mat dz = pixels_by_channel(delta, image_shape(out_));  // C × (area·n·r)
    const arma::uword area = out_.height * out_.width;
    if (grad != nullptr && o_.trainable) {
      arma::mat gw(grad, out_.channels, fan_in_, false, true);
      arma::vec gb(grad + out_.channels * fan_in_, out_.channels, false, true);
      arma::mat rebuilt;
      const arma::mat& patches = stacked_patches(cache, rebuilt);
      if (r == 1) {
        gw += scale_ * (dz * patches.t());
      } else {
        for (arma::uword c = 0; c < delta.n_cols; ++c) {
          const arma::uword e = c / r;
          gw += scale_ * (dz.cols(c * area, (c + 1) * area - 1) *
                          patches.cols(e * area, (e + 1) * area - 1).t());
        }
      }
      gb += o_.b_std * arma::sum(dz, 1);
    }
    if (!need_input) return {};
    const arma::mat dpatches = scale_ * (weight(p).t() * dz);
    return channel_major(col2im(dpatches, taps_, in_.channels, in_area()), in_);
  }
  arma::mat jvp(const double* p, const double* dp, const LayerCache& cache,
                const arma::mat& din) const override {
    arma::mat rebuilt;
    const arma::mat& patches = stacked_patches(cache, rebuilt);
    arma::mat dz(out_.channels, patches.n_cols, arma::fill::zeros);
    if (o_.trainable) {
      dz = scale_ * (weight(dp) * patches);
      dz.each_col() += o_.b_std * bias(dp);
    }
    if (!din.is_empty())
      dz += scale_ * (weight(p) * im2col(pixels_by_channel(din, image_shape(in_)), taps_, in_area()));
    return channel_major(dz, out_);
  }
  // Per example and output: the gradient of W and b (conv_layer_gradients), then Gₐ G_bᵀ.
  void ntk_term(const double* p, const LayerCache& ca, const arma::mat& da, const LayerCache& cb,
                const arma::mat& db, arma::uword r, bool symmetric,
                arma::mat& theta) const override {
    (void)p;
    const arma::uword area = out_.height * out_.width;
    const arma::mat za = pixels_by_channel(da, image_shape(out_));
    const arma::mat zb = symmetric ? arma::mat() : pixels_by_channel(db, image_shape(out_));
    arma::mat rebuilt_a, rebuilt_b;
    const arma::mat& pa = stacked_patches(ca, rebuilt_a);
    const arma::mat& pb = symmetric ? pa : stacked_patches(cb, rebuilt_b);
    if (r > 1 && theta.n_rows == (pa.n_cols / area) * r) {
      // Per output pair: one gradient row per signal column i·r + o.
      const arma::mat ga = all_gradients(za, pa, r, area);
      if (symmetric) theta += ga * ga.t();
      else theta += ga * all_gradients(zb, pb, r, area).t();
      return;
    }
    for (arma::uword o = 0; o < r; ++o) {
      const arma::mat ga = gradients(za, pa, r, o, area);
      if (symmetric) {
        theta += ga * ga.t();
      } else {
        theta += ga * gradients(zb, pb, r, o, area).t();
      }
    }
  }

 private:
  // Rows = signal columns i·r + o: each with its example's patches.
  arma::mat all_gradients(const arma::mat& dz, const arma::mat& patches, arma::uword r,
                          arma::uword area) const {
    const arma::uword n = patches.n_cols / area;
    arma::mat expanded(patches.n_rows, n * r * area);
    for (arma::uword c = 0; c < n * r; ++c)
      expanded.cols(c * area, (c + 1) * area - 1) = patches.cols((c / r) * area, (c / r + 1) * area - 1);
    return conv_layer_gradients(dz, expanded, area, scale_, o_.b_std);
  }
  // Rows = examples: the gradients of output o (signal columns i·r + o).
  arma::mat gradients(const arma::mat& dz, const arma::mat& patches, arma::uword r, arma::uword o,
                      arma::uword area) const {
    const arma::uword n = patches.n_cols / area;
    arma::mat picked(dz.n_rows, n * area);
    for (arma::uword e = 0; e < n; ++e)
      picked.cols(e * area, (e + 1) * area - 1) = dz.cols((e * r + o) * area, (e * r + o + 1) * area - 1);
    return conv_layer_gradients(picked, patches, area, scale_, o_.b_std);
  }
  // The (C_in·qh·qw) × (H'W'·n) patches of forward(): kept by the old form, rebuilt into
  // `rebuilt` from a cache that forward_into() filled.
  const arma::mat& stacked_patches(const LayerCache& cache, arma::mat& rebuilt) const {
    if (cache.input_ref == nullptr) return cache.extra;
    rebuilt = im2col(pixels_by_channel(*cache.input_ref, image_shape(in_)), taps_, in_area());
    return rebuilt;
  }
  // Example e's patches as H'W' × (C_in·qh·qw): entry (i, c·T + t) is channel c of the pixel
  // that tap t of output pixel i reads (0 in the padding), read from the channel-major column.
  void example_patches(const arma::mat& in, arma::uword e, arma::mat& out) const {
    const arma::uword area = taps_.n_cols, taps = taps_.n_rows, a_in = in_area();
    out.set_size(area, fan_in_);
    const double* x = in.colptr(e);
    for (arma::uword ch = 0; ch < in_.channels; ++ch)
      for (arma::uword t = 0; t < taps; ++t) {
        double* o = out.colptr(ch * taps + t);
        const double* xc = x + ch * a_in;
        for (arma::uword i = 0; i < area; ++i) {
          const arma::uword src = taps_(t, i);
          o[i] = src == 0 ? 0.0 : xc[src - 1];
        }
      }
  }
  // The adjoint of example_patches: adds each patch entry onto the input pixel it was read
  // from, in the channel-major column dx.
  void scatter_patches(const arma::mat& patches, double* dx) const {
    const arma::uword area = taps_.n_cols, taps = taps_.n_rows, a_in = in_area();
    for (arma::uword ch = 0; ch < in_.channels; ++ch)
      for (arma::uword t = 0; t < taps; ++t) {
        const double* pc = patches.colptr(ch * taps + t);
        double* xc = dx + ch * a_in;
        for (arma::uword i = 0; i < area; ++i) {
          const arma::uword src = taps_(t, i);
          if (src != 0) xc[src - 1] += pc[i];
        }
      }
  }
  arma::uword in_area() const { return in_.height * in_.width; }
  arma::mat weight(const double* p) const {
    return arma::mat(const_cast<double*>(p), out_.channels, fan_in_, false, true);
  }
  arma::vec bias(const double* p) const {
    return arma::vec(const_cast<double*>(p) + out_.channels * fan_in_, out_.channels, false, true);
  }

  Shape in_, out_;
  ConvOptions o_;
  arma::umat taps_;
  arma::uword fan_in_ = 0;
  double scale_ = 1;
};

}  // namespace

std::unique_ptr<FiniteLayer> finite_conv(const Shape& in, arma::uword channels,
                                         const ConvOptions& o) {
  return std::make_unique<FiniteConv>(in, channels, o);
}

}  // namespace ntk::sdk::stax
