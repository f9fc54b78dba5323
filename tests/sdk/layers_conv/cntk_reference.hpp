// An independent CNTK for tests: explicit loops over all pixel pairs in long double, straight
// from the formulas of issue 5 / neural-tangents' stax (Conv with qh × qw filters, SAME, CIRCULAR
// or VALID padding, Relu / Erf closed forms, Flatten / GlobalAvgPool / AvgPool(VALID)+Flatten,
// Dense readout). Full (H·W)² tensors, no offsets, no tiles, no float: slow and simple on
// purpose. VALID is computed as neural-tangents (and XLA) define it, on tensors that shrink:
// output pixel (u, v) reads the window whose top-left corner is input pixel (u, v).
#pragma once

#include <cmath>
#include <string>
#include <utility>
#include <vector>

namespace cntk_reference {

using real = long double;

struct Config {
  unsigned channels = 1, height = 4, width = 4;
  int depth = 2;
  unsigned filter = 3;
  unsigned filter_height = 0, filter_width = 0;  // a qh × qw filter; 0 = `filter`
  bool circular = false;
  bool valid = false;  // VALID padding (overrides `circular`)
  std::string paddings;  // per layer 's' SAME, 'c' CIRCULAR, 'v' VALID (empty: the flags above)
  bool relu = true;
  real w_std = 1, b_std = 0;
  int readout = 0;  // 0 flatten, 1 gap, 2 pool
  unsigned pool_window = 2, pool_stride = 2;
  real readout_w_std = 1, readout_b_std = 0;
};

// Σ(x, i; y, j) as a (HW × HW) matrix, row-major in (i, j).
using Tensor = std::vector<real>;

inline real pi() { return 3.14159265358979323846264338327950288L; }

inline char padding(const Config& c, int layer) {
  if (!c.paddings.empty()) return c.paddings[std::size_t(layer)];
  return c.valid ? 'v' : (c.circular ? 'c' : 's');
}
inline unsigned qh(const Config& c) { return c.filter_height ? c.filter_height : c.filter; }
inline unsigned qw(const Config& c) { return c.filter_width ? c.filter_width : c.filter; }

// One conv on H × W tensors: out(i, j) = w²/(qh·qw) Σ_δ in(i+δ, j+δ) + shift, padded pixels 0 or
// wrapped (output H × W), or VALID (output (H − qh + 1) × (W − qw + 1), δ from the corner).
inline Tensor conv(const Config& c, char pad, int H, int W, const Tensor& in, real scale,
                   real shift, const Tensor* add) {
  const int fh = int(qh(c)), fw = int(qw(c));
  const bool valid = pad == 'v';
  const int oh = valid ? H - fh + 1 : H, ow = valid ? W - fw + 1 : W, n = H * W, m = oh * ow;
  const int from_h = valid ? 0 : -(fh / 2), from_w = valid ? 0 : -(fw / 2);
  Tensor out(std::size_t(m) * m);
  auto pixel = [&](int h, int w) -> int {
    if (pad == 'c') return ((h + H) % H) * W + (w + W) % W;
    return (h < 0 || h >= H || w < 0 || w >= W) ? -1 : h * W + w;
  };
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < m; ++j) {
      real s = 0;
      for (int dh = from_h; dh < from_h + fh; ++dh)
        for (int dw = from_w; dw < from_w + fw; ++dw) {
          const int a = pixel(i / ow + dh, i % ow + dw), b = pixel(j / ow + dh, j % ow + dw);
          if (a >= 0 && b >= 0) s += in[std::size_t(a) * n + b];
        }
      out[std::size_t(i) * m + j] = scale * s + shift + (add ? (*add)[std::size_t(i) * m + j] : 0);
    }
  return out;
}

// Readout weights R(i, j) summing to the feature kernel.
inline real readout(const Config& c, unsigned H, unsigned W, const Tensor& k) {
  const unsigned n = H * W;
  real total = 0;
  if (c.readout == 0) {
    for (unsigned i = 0; i < n; ++i) total += k[std::size_t(i) * n + i];
    return total / n;
  }
  if (c.readout == 1) {
    for (real v : k) total += v;
    return total / (real(n) * n);
  }
  const unsigned p = c.pool_window, s = c.pool_stride;
  const unsigned oh = (H - p) / s + 1, ow = (W - p) / s + 1;
  for (unsigned u = 0; u < oh; ++u)
    for (unsigned v = 0; v < ow; ++v) {
      real sum = 0;
      for (unsigned a = 0; a < p * p; ++a)
        for (unsigned b = 0; b < p * p; ++b) {
          const unsigned i = (u * s + a / p) * W + v * s + a % p;
          const unsigned j = (u * s + b / p) * W + v * s + b % p;
          sum += k[std::size_t(i) * n + j];
        }
      total += sum / (real(p) * p * p * p);
    }
  return total / (real(oh) * ow);
}

// {NNGP, NTK} between images x and y (channel-major C·H·W values). `same`: x and y are the
// same image (the diagonal pairs then use Σ12 = Σ11 exactly, as the engine does).
inline std::pair<real, real> kernel(const Config& c, const double* x, const double* y, bool same) {
  unsigned n = c.height * c.width;
  Tensor xy(std::size_t(n) * n), xx(xy.size()), yy(xy.size()), ntk(xy.size(), 0);
  for (unsigned i = 0; i < n; ++i)
    for (unsigned j = 0; j < n; ++j) {
      real a = 0, b = 0, d = 0;
      for (unsigned ch = 0; ch < c.channels; ++ch) {
        a += real(x[ch * n + i]) * y[ch * n + j];
        b += real(x[ch * n + i]) * x[ch * n + j];
        d += real(y[ch * n + i]) * y[ch * n + j];
      }
      xy[std::size_t(i) * n + j] = a / c.channels;
      xx[std::size_t(i) * n + j] = b / c.channels;
      yy[std::size_t(i) * n + j] = d / c.channels;
    }
  const real scale = c.w_std * c.w_std / (real(qh(c)) * qw(c)), shift = c.b_std * c.b_std;
  int H = int(c.height), W = int(c.width);
  for (int l = 0; l < c.depth; ++l) {
    const char pad = padding(c, l);
    xy = conv(c, pad, H, W, xy, scale, shift, nullptr);
    xx = conv(c, pad, H, W, xx, scale, shift, nullptr);
    yy = conv(c, pad, H, W, yy, scale, shift, nullptr);
    ntk = conv(c, pad, H, W, ntk, scale, 0, &xy);
    if (pad == 'v') {
      H -= int(qh(c)) - 1;
      W -= int(qw(c)) - 1;
      n = unsigned(H * W);
    }
    Tensor nxy(xy.size()), nxx(xy.size()), nyy(xy.size());
    for (int pass = 0; pass < 3; ++pass) {
      const Tensor& v1 = pass == 2 ? yy : xx;
      const Tensor& v2 = pass == 1 ? xx : yy;
      const Tensor& cov = pass == 0 ? xy : (pass == 1 ? xx : yy);
      Tensor& out = pass == 0 ? nxy : (pass == 1 ? nxx : nyy);
      for (unsigned i = 0; i < n; ++i)
        for (unsigned j = 0; j < n; ++j) {
          const real s1 = v1[std::size_t(i) * n + i], s2 = v2[std::size_t(j) * n + j];
          real s12 = cov[std::size_t(i) * n + j];
          if (i == j && (pass > 0 || same)) s12 = s1;
          real value, derivative;
          if (c.relu) {
            const real prod = s1 * s2;
            const real rho = prod > 0 ? std::fmax(-1.0L, std::fmin(1.0L, s12 / std::sqrt(prod))) : 0;
            const real theta = std::acos(rho);
            value = (std::sqrt(std::fmax(prod - s12 * s12, 0.0L)) + (pi() - theta) * s12) / (2 * pi());
            derivative = (pi() - theta) / (2 * pi());
          } else {
            const real prod = (1 + 2 * s1) * (1 + 2 * s2);
            value = 2 / pi() * std::asin(2 * s12 / std::sqrt(prod));
            derivative = 4 / pi() / std::sqrt(prod - 4 * s12 * s12);
          }
          out[std::size_t(i) * n + j] = value;
          if (pass == 0) ntk[std::size_t(i) * n + j] *= derivative;
        }
    }
    xy = nxy;
    xx = nxx;
    yy = nyy;
  }
  const real rw2 = c.readout_w_std * c.readout_w_std, rb2 = c.readout_b_std * c.readout_b_std;
  const real nngp = rw2 * readout(c, unsigned(H), unsigned(W), xy) + rb2;
  return {nngp, rw2 * readout(c, unsigned(H), unsigned(W), ntk) + nngp};
}

}  // namespace cntk_reference
