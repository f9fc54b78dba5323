// Independent long-double references for the resnet kernels, written from the formulas of
// neural-tangents' stax (Dense, Conv SAME, Relu, Erf, FanOut/FanInSum, Flatten,
// GlobalAvgPool), not from the SDK code:
//   dense_pair  one pair of vectors, scalars Σ11, Σ12, Σ22, Θ12 carried through the layers;
//   image_pair  one pair of images, the full pixel-pair matrices Σ(x, x), Σ(x, x'), Σ(x', x')
//               and Θ(x, x') (H·W × H·W each) carried through the layers.
#pragma once

#include <armadillo>
#include <cmath>
#include <vector>

namespace resnet_reference {

using real = long double;
const real kPi = 3.14159265358979323846264338327950288L;

struct Config {
  int blocks = 2, branch_depth = 2;
  real alpha = 1, w = 1, b = 0, readout_w = 1, readout_b = 0;
  bool relu = true;
  // images only
  int filter = 3;
  bool gap = false;
};

// Σ, Θ of one pair: entries (11, 12, 22) and Θ12.
struct Pair {
  real s11, s12, s22, t12;
};

inline void dense(Pair& p, real w, real b) {
  p.s11 = w * w * p.s11 + b * b;
  p.s22 = w * w * p.s22 + b * b;
  p.s12 = w * w * p.s12 + b * b;
  p.t12 = p.s12 + w * w * p.t12;
}

// E[φ(u)φ(v)] for (u, v) ~ N(0, [[s11, s12], [s12, s22]]), and the NTK factor E[φ'(u)φ'(v)].
inline std::pair<real, real> activation_entry(real s11, real s12, real s22, bool relu) {
  if (relu) {
    // θ = atan2(√(Σ11Σ22 − Σ12²), Σ12): exactly 0 for a pair of identical examples (acos of a
    // rounded ρ = 1 − ε would be off by √ε).
    const real norm = std::sqrt(s11 * s22);
    const real theta = std::atan2(std::sqrt(std::fmax(0.0L, s11 * s22 - s12 * s12)), s12);
    return {norm * (std::sin(theta) + (kPi - theta) * std::cos(theta)) / (2 * kPi),
            (kPi - theta) / (2 * kPi)};
  }
  const real d = (1 + 2 * s11) * (1 + 2 * s22);
  return {(2 / kPi) * std::asin(2 * s12 / std::sqrt(d)), (4 / kPi) / std::sqrt(d - 4 * s12 * s12)};
}

// The variances go through the same formula as the covariance (a pair of an example with
// itself), so a pair of identical examples stays exactly on the diagonal.
inline void activation(Pair& p, bool relu) {
  const auto [s12, factor] = activation_entry(p.s11, p.s12, p.s22, relu);
  p.t12 *= factor;
  p.s12 = s12;
  p.s11 = activation_entry(p.s11, p.s11, p.s11, relu).first;
  p.s22 = activation_entry(p.s22, p.s22, p.s22, relu).first;
}

// (NNGP, NTK) of the residual MLP between vectors x and y.
inline std::pair<real, real> dense_pair(const Config& c, const arma::vec& x, const arma::vec& y) {
  const real d = real(x.n_elem);
  Pair p{0, 0, 0, 0};
  for (arma::uword i = 0; i < x.n_elem; ++i) {
    p.s11 += real(x[i]) * real(x[i]) / d;
    p.s12 += real(x[i]) * real(y[i]) / d;
    p.s22 += real(y[i]) * real(y[i]) / d;
  }
  dense(p, c.w, c.b);
  for (int blk = 0; blk < c.blocks; ++blk) {
    Pair branch = p;
    for (int l = 0; l < c.branch_depth; ++l) {
      activation(branch, c.relu);
      dense(branch, c.w, c.b);
    }
    const real a2 = c.alpha * c.alpha;
    p = {p.s11 + a2 * branch.s11, p.s12 + a2 * branch.s12, p.s22 + a2 * branch.s22,
         p.t12 + a2 * branch.t12};
  }
  activation(p, c.relu);
  dense(p, c.readout_w, c.readout_b);
  return {p.s12, p.t12};
}

// Pixel-pair matrices of one pair of images: Σ(x, x), Σ(x, x'), Σ(x', x'), Θ(x, x').
struct ImagePair {
  std::vector<real> s11, s12, s22, t12;  // (H·W)² each, entry i·HW + j
};

// SAME conv: M(i, j) ← w²/q²·Σ_δ M(i + δ, j + δ) + b², out-of-image pixels 0.
inline std::vector<real> conv_map(const std::vector<real>& m, int H, int W, int q, real w, real b) {
  const int A = H * W, half = q / 2;
  std::vector<real> out(m.size(), 0);
  for (int i = 0; i < A; ++i)
    for (int j = 0; j < A; ++j) {
      real sum = 0;
      for (int dh = -half; dh <= half; ++dh)
        for (int dw = -half; dw <= half; ++dw) {
          const int hi = i / W + dh, wi = i % W + dw, hj = j / W + dh, wj = j % W + dw;
          if (hi < 0 || hi >= H || wi < 0 || wi >= W || hj < 0 || hj >= H || wj < 0 || wj >= W) continue;
          sum += m[std::size_t((hi * W + wi) * A + hj * W + wj)];
        }
      out[std::size_t(i * A + j)] = w * w * sum / real(q * q) + b * b;
    }
  return out;
}

inline void conv(ImagePair& p, int H, int W, int q, real w, real b, bool first) {
  p.s11 = conv_map(p.s11, H, W, q, w, b);
  p.s22 = conv_map(p.s22, H, W, q, w, b);
  const std::vector<real> t = first ? std::vector<real>(p.t12.size(), 0) : conv_map(p.t12, H, W, q, w, 0);
  p.s12 = conv_map(p.s12, H, W, q, w, b);
  for (std::size_t k = 0; k < t.size(); ++k) p.t12[k] = t[k] + p.s12[k];
}

inline void image_activation(ImagePair& p, int A, bool relu) {
  const std::vector<real> v1 = p.s11, v2 = p.s22;  // variances: the diagonals
  auto apply = [&](std::vector<real>& s, std::vector<real>* t, const std::vector<real>& va,
                   const std::vector<real>& vb) {
    for (int i = 0; i < A; ++i)
      for (int j = 0; j < A; ++j) {
        const std::size_t k = std::size_t(i * A + j);
        Pair e{va[std::size_t(i * A + i)], s[k], vb[std::size_t(j * A + j)], t ? (*t)[k] : 0};
        activation(e, relu);
        s[k] = e.s12;
        if (t) (*t)[k] = e.t12;
      }
  };
  apply(p.s12, &p.t12, v1, v2);
  apply(p.s11, nullptr, v1, v1);
  apply(p.s22, nullptr, v2, v2);
}

// (NNGP, NTK) of the residual CNN between images x and y of shape {C, H, W} (channel-major).
inline std::pair<real, real> image_pair(const Config& c, const arma::vec& x, const arma::vec& y,
                                        int C, int H, int W) {
  const int A = H * W;
  ImagePair p;
  p.s11.assign(std::size_t(A * A), 0);
  p.s12 = p.s22 = p.t12 = p.s11;
  for (int i = 0; i < A; ++i)
    for (int j = 0; j < A; ++j)
      for (int ch = 0; ch < C; ++ch) {
        const std::size_t k = std::size_t(i * A + j);
        const real xi = x[arma::uword(ch * A + i)], xj = x[arma::uword(ch * A + j)];
        const real yi = y[arma::uword(ch * A + i)], yj = y[arma::uword(ch * A + j)];
        p.s11[k] += xi * xj / C;
        p.s12[k] += xi * yj / C;
        p.s22[k] += yi * yj / C;
      }
  conv(p, H, W, c.filter, c.w, c.b, true);
  for (int blk = 0; blk < c.blocks; ++blk) {
    ImagePair branch = p;
    for (int l = 0; l < c.branch_depth; ++l) {
      image_activation(branch, A, c.relu);
      conv(branch, H, W, c.filter, c.w, c.b, false);
    }
    const real a2 = c.alpha * c.alpha;
    for (std::size_t k = 0; k < p.s12.size(); ++k) {
      p.s11[k] += a2 * branch.s11[k];
      p.s12[k] += a2 * branch.s12[k];
      p.s22[k] += a2 * branch.s22[k];
      p.t12[k] += a2 * branch.t12[k];
    }
  }
  image_activation(p, A, c.relu);
  real s = 0, t = 0;
  for (int i = 0; i < A; ++i)
    for (int j = 0; j < A; ++j) {
      if (!c.gap && i != j) continue;
      s += p.s12[std::size_t(i * A + j)];
      t += p.t12[std::size_t(i * A + j)];
    }
  const real count = c.gap ? real(A) * A : real(A);
  s /= count;
  t /= count;
  const real s_out = c.readout_w * c.readout_w * s + c.readout_b * c.readout_b;
  return {s_out, s_out + c.readout_w * c.readout_w * t};
}

}  // namespace resnet_reference
