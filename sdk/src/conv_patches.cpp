#include "conv_patches.hpp"

#include <cmath>

#include "ntk/sdk/error.hpp"

namespace ntk::sdk {

std::vector<ConvLayer> conv_layer_layout(arma::uword count, arma::uword in_channels,
                                         arma::uword channels, arma::uword q, double w_std,
                                         double b_std, arma::uword& offset) {
  std::vector<ConvLayer> layers(count);
  for (arma::uword l = 0; l < count; ++l) {
    ConvLayer& layer = layers[l];
    layer.fan_in = l == 0 ? in_channels : channels;
    layer.w_offset = offset;
    layer.b_offset = offset + channels * layer.fan_in * q * q;
    offset = layer.b_offset + channels;
    layer.w_scale = w_std / std::sqrt(double(layer.fan_in * q * q));
    layer.b_scale = b_std;
  }
  return layers;
}

arma::umat filter_taps(arma::uword H, arma::uword W, arma::uword q, bool circular) {
  return filter_taps(H, W, q, q, circular ? Padding::circular : Padding::same);
}

arma::umat filter_taps(arma::uword H, arma::uword W, arma::uword qh, arma::uword qw,
                       Padding padding) {
  if (qh == 0 || qh % 2 == 0 || qw == 0 || qw % 2 == 0)
    throw_error("filter_taps(): filter ", qh, "x", qw, " must be odd in both axes");
  if (padding == Padding::valid && (qh > H || qw > W))
    throw_error("filter_taps(): a ", qh, "x", qw, " valid filter is larger than the ", H, "x", W,
                " image");
  const bool valid = padding == Padding::valid, circular = padding == Padding::circular;
  const arma::uword out_h = valid ? H - qh + 1 : H, out_w = valid ? W - qw + 1 : W;
  const long long half_h = valid ? 0 : static_cast<long long>(qh / 2);
  const long long half_w = valid ? 0 : static_cast<long long>(qw / 2);
  const long long h_max = static_cast<long long>(H), w_max = static_cast<long long>(W);
  arma::umat neighbours(qh * qw, out_h * out_w);
  for (arma::uword o = 0; o < out_h * out_w; ++o)
    for (arma::uword a = 0; a < qh; ++a)
      for (arma::uword b = 0; b < qw; ++b) {
        long long h = static_cast<long long>(o / out_w) + static_cast<long long>(a) - half_h;
        long long w = static_cast<long long>(o % out_w) + static_cast<long long>(b) - half_w;
        if (circular) {
          h = (h + h_max) % h_max;
          w = (w + w_max) % w_max;
        }
        const bool inside = h >= 0 && h < h_max && w >= 0 && w < w_max;
        neighbours(a * qw + b, o) = inside ? arma::uword(h) * W + arma::uword(w) + 1 : 0;
      }
  return neighbours;
}

arma::mat pixels_by_channel(const arma::mat& x, const ImageShape& shape) {
  const arma::uword area = shape.height * shape.width, c = shape.channels, n = x.n_cols;
  if (area == 1) return x;  // vectors: channels × examples already
  arma::mat h(c, area * n);
  for (arma::uword e = 0; e < n; ++e)
    for (arma::uword ch = 0; ch < c; ++ch)
      for (arma::uword i = 0; i < area; ++i) h(ch, e * area + i) = x(ch * area + i, e);
  return h;
}

arma::mat im2col(const arma::mat& h, const arma::umat& taps_of) {
  return im2col(h, taps_of, taps_of.n_cols);
}

arma::mat im2col(const arma::mat& h, const arma::umat& taps_of, arma::uword in_area) {
  const arma::uword area = taps_of.n_cols, taps = taps_of.n_rows, c = h.n_rows;
  if (taps == 1 && area == in_area) return h;  // 1 × 1 filters: tap 0 of pixel i is pixel i
  const arma::uword n = h.n_cols / in_area;
  arma::mat patches(c * taps, n * area);
  // Threads only pay off for large batches (a parallel region costs microseconds, more on a
  // loaded machine).
#pragma omp parallel for schedule(static) if (patches.n_elem > (1u << 18))
  for (arma::uword col = 0; col < patches.n_cols; ++col) {
    const arma::uword e = col / area, i = col % area;
    double* out = patches.colptr(col);
    for (arma::uword ch = 0; ch < c; ++ch)
      for (arma::uword t = 0; t < taps; ++t) {
        const arma::uword src = taps_of(t, i);
        out[ch * taps + t] = src == 0 ? 0.0 : h(ch, e * in_area + src - 1);
      }
  }
  return patches;
}

arma::mat col2im(const arma::mat& patches, const arma::umat& taps_of, arma::uword channels) {
  return col2im(patches, taps_of, channels, taps_of.n_cols);
}

arma::mat col2im(const arma::mat& patches, const arma::umat& taps_of, arma::uword channels,
                 arma::uword in_area) {
  const arma::uword area = taps_of.n_cols, taps = taps_of.n_rows;
  if (taps == 1 && area == in_area) return patches;
  const arma::uword n = patches.n_cols / area;
  arma::mat h(channels, n * in_area, arma::fill::zeros);
#pragma omp parallel for schedule(static) if (patches.n_elem > (1u << 18))
  for (arma::uword e = 0; e < n; ++e)  // examples are independent: no write conflicts
    for (arma::uword i = 0; i < area; ++i) {
      const double* in = patches.colptr(e * area + i);
      for (arma::uword t = 0; t < taps; ++t) {
        const arma::uword src = taps_of(t, i);
        if (src == 0) continue;
        double* out = h.colptr(e * in_area + src - 1);
        for (arma::uword ch = 0; ch < channels; ++ch) out[ch] += in[ch * taps + t];
      }
    }
  return h;
}

arma::mat conv_layer_gradients(const arma::mat& dz, const arma::mat& patches, arma::uword area,
                               double w_scale, double b_scale) {
  const arma::uword n = dz.n_cols / area, C = dz.n_rows, weights = C * patches.n_rows;
  arma::mat out(n, weights + C);
#pragma omp parallel for schedule(static) if (n * weights * area > (1u << 20))
  for (arma::uword e = 0; e < n; ++e) {
    const arma::mat d = dz.cols(e * area, (e + 1) * area - 1);
    const arma::mat g = w_scale * (d * patches.cols(e * area, (e + 1) * area - 1).t());
    for (arma::uword k = 0; k < weights; ++k) out(e, k) = g[k];
    const arma::vec gb = b_scale * arma::sum(d, 1);
    for (arma::uword c = 0; c < C; ++c) out(e, weights + c) = gb[c];
  }
  return out;
}

void relu_or_erf(arma::mat& z, arma::mat* dphi, bool relu) {
  if (dphi != nullptr) dphi->set_size(z.n_rows, z.n_cols);
  double* zp = z.memptr();
  double* dp = dphi != nullptr ? dphi->memptr() : nullptr;
  const arma::uword n = z.n_elem;
  const double two_over_sqrt_pi = 2.0 / std::sqrt(3.14159265358979323846);
#pragma omp parallel for schedule(static) if (n > (1u << 16))
  for (arma::uword i = 0; i < n; ++i) {
    if (relu) {
      if (dp != nullptr) dp[i] = zp[i] > 0 ? 1.0 : 0.0;
      zp[i] = zp[i] > 0 ? zp[i] : 0.0;
    } else {
      if (dp != nullptr) dp[i] = two_over_sqrt_pi * std::exp(-zp[i] * zp[i]);
      zp[i] = std::erf(zp[i]);
    }
  }
}

}  // namespace ntk::sdk
