#include "core/data/deformations.hpp"

#include <cmath>
#include <string>

#include "core/data/random.hpp"
#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::data {
namespace {

void check_images(const arma::mat& x, const sdk::ImageShape& shape, const char* caller) {
  if (shape.channels == 0 || shape.height == 0 || shape.width == 0)
    throw_error(caller, ": shape {", shape.channels, ", ", shape.height, ", ", shape.width,
                "} must have positive C, H, W");
  if (x.n_rows != shape.size())
    throw_error(caller, ": the images have ", x.n_rows, " rows but shape {", shape.channels, ", ",
                shape.height, ", ", shape.width, "} needs C*H*W = ", shape.size());
  sdk::check_finite(caller, x);
}

// SplitMix64 (Steele et al. 2014): decorrelated per-image seeds from one seed.
std::uint64_t mix(std::uint64_t seed, std::uint64_t index) {
  std::uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (index + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Normalised Gaussian smoothing along rows then columns: Σ g·f / Σ g over the pixels inside
// the image, so the field does not shrink at the border.
arma::mat smooth(const arma::mat& f, double sigma) {
  const long long radius = static_cast<long long>(std::ceil(3 * sigma));
  arma::vec g(2 * radius + 1);
  for (long long k = -radius; k <= radius; ++k) g[k + radius] = std::exp(-0.5 * double(k * k) / (sigma * sigma));
  auto pass = [&](const arma::mat& in, bool along_rows) {
    arma::mat out(in.n_rows, in.n_cols);
    const long long n_r = static_cast<long long>(in.n_rows), n_c = static_cast<long long>(in.n_cols);
    for (long long r = 0; r < n_r; ++r)
      for (long long c = 0; c < n_c; ++c) {
        double s = 0, w = 0;
        for (long long k = -radius; k <= radius; ++k) {
          const long long rr = along_rows ? r + k : r, cc = along_rows ? c : c + k;
          if (rr < 0 || rr >= n_r || cc < 0 || cc >= n_c) continue;
          s += g[k + radius] * in(arma::uword(rr), arma::uword(cc));
          w += g[k + radius];
        }
        out(arma::uword(r), arma::uword(c)) = s / w;
      }
    return out;
  };
  return pass(pass(f, true), false);
}

}  // namespace

arma::mat warp(const arma::mat& x, const sdk::ImageShape& shape, const arma::mat& rows,
               const arma::mat& cols) {
  check_images(x, shape, "warp()");
  const arma::uword H = shape.height, W = shape.width, area = H * W;
  if (rows.n_rows != H || rows.n_cols != W || cols.n_rows != H || cols.n_cols != W)
    throw_error("warp(): the displacement fields are ", rows.n_rows, " x ", rows.n_cols, " and ",
                cols.n_rows, " x ", cols.n_cols, "; the images are ", H, " x ", W);
  if (!rows.is_finite() || !cols.is_finite())
    throw_error("warp(): the displacement field has non-finite values");
  arma::mat out(x.n_rows, x.n_cols, arma::fill::zeros);
  for (arma::uword h = 0; h < H; ++h)
    for (arma::uword w = 0; w < W; ++w) {
      // Source position u − τ(u) and its bilinear weights.
      const double sr = double(h) - rows(h, w), sc = double(w) - cols(h, w);
      const double r0 = std::floor(sr), c0 = std::floor(sc);
      const double fr = sr - r0, fc = sc - c0;
      const double weights[4] = {(1 - fr) * (1 - fc), (1 - fr) * fc, fr * (1 - fc), fr * fc};
      const double pr[4] = {r0, r0, r0 + 1, r0 + 1}, pc[4] = {c0, c0 + 1, c0, c0 + 1};
      for (int k = 0; k < 4; ++k) {
        if (weights[k] == 0 || pr[k] < 0 || pr[k] >= double(H) || pc[k] < 0 || pc[k] >= double(W))
          continue;
        const arma::uword src = arma::uword(pr[k]) * W + arma::uword(pc[k]);
        for (arma::uword ch = 0; ch < shape.channels; ++ch)
          out.row(ch * area + h * W + w) += weights[k] * x.row(ch * area + src);
      }
    }
  return out;
}

arma::mat translate(const arma::mat& x, const sdk::ImageShape& shape, double down, double right) {
  if (!std::isfinite(down) || !std::isfinite(right))
    throw_error("translate(): the shift (", down, ", ", right, ") must be finite");
  check_images(x, shape, "translate()");
  return warp(x, shape, arma::mat(shape.height, shape.width).fill(down),
              arma::mat(shape.height, shape.width).fill(right));
}

DisplacementField random_field(arma::uword height, arma::uword width, double alpha,
                               double smoothness, std::uint64_t seed) {
  if (!(alpha >= 0) || !std::isfinite(alpha))
    throw_error("random_field(): alpha = ", alpha, " must be a finite number >= 0 (pixels)");
  if (!(smoothness > 0) || !std::isfinite(smoothness))
    throw_error("random_field(): smoothness = ", smoothness, " must be a finite number > 0 (pixels)");
  Random rng(seed);
  DisplacementField f{arma::mat(height, width), arma::mat(height, width)};
  for (double& v : f.rows) v = rng.uniform(-1.0, 1.0);
  for (double& v : f.cols) v = rng.uniform(-1.0, 1.0);
  f.rows = smooth(f.rows, smoothness);
  f.cols = smooth(f.cols, smoothness);
  const double largest = arma::sqrt(arma::square(f.rows) + arma::square(f.cols)).max();
  const double scale = largest > 0 ? alpha / largest : 0.0;
  f.rows *= scale;
  f.cols *= scale;
  return f;
}

arma::mat deform(const arma::mat& x, const sdk::ImageShape& shape, double alpha,
                 double smoothness, std::uint64_t seed) {
  check_images(x, shape, "deform()");
  arma::mat out(x.n_rows, x.n_cols);
  for (arma::uword j = 0; j < x.n_cols; ++j) {
    const DisplacementField f = random_field(shape.height, shape.width, alpha, smoothness, mix(seed, j));
    out.col(j) = warp(x.col(j), shape, f.rows, f.cols);
  }
  return out;
}

}  // namespace ntk::core::data
