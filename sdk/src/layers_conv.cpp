#include "layers_conv.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "layers_conv_detail.hpp"
#include "layers_rule_markers.hpp"
#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::sdk::layers {

std::string ImageRule::name() const {
  std::ostringstream out;
  if (detail::marker_name(*this, out)) return out.str();
  out << "Conv(W_std=" << w_std << ", b_std=" << b_std << ", " << filter_height << "x"
      << filter_width << ", "
      << (padding == Padding::same ? "SAME" : padding == Padding::circular ? "CIRCULAR" : "VALID")
      << ")";
  return out.str();
}

ImageRule conv(double w_std, double b_std, arma::uword filter, Padding padding) {
  if (filter == 0 || filter % 2 == 0)
    throw_error("conv(): filter = ", filter, " must be odd (1, 3, 5, ...) so that SAME padding "
                "centres it on each pixel");
  return conv(w_std, b_std, filter, filter, padding);
}

ImageRule conv(double w_std, double b_std, arma::uword filter_height, arma::uword filter_width,
               Padding padding) {
  if (filter_height == 0 || filter_height % 2 == 0 || filter_width == 0 || filter_width % 2 == 0)
    throw_error("conv(): filter = ", filter_height, "x", filter_width, " must be odd in both "
                "axes (1, 3, 5, ...) so that SAME padding centres it on each pixel");
  ImageRule r;
  r.kind = ImageRule::Kind::conv;
  r.w_std = w_std;
  r.b_std = b_std;
  r.filter_height = filter_height;
  r.filter_width = filter_width;
  r.padding = padding;
  return r;
}
ImageRule image_relu() { return detail::marker<ImageRule>(ImageRule::Kind::relu); }
ImageRule image_erf() { return detail::marker<ImageRule>(ImageRule::Kind::erf); }
ImageRule image_activation(ActivationPtr activation) {
  if (!activation) throw_error("image_activation(): null activation");
  ImageRule r = detail::marker<ImageRule>(ImageRule::Kind::activation);
  r.activation = std::move(activation);
  return r;
}
ImageRule image_residual_start() {
  return detail::marker<ImageRule>(ImageRule::Kind::residual_start);
}
ImageRule image_residual_sum(double alpha) {
  return detail::residual_sum_marker<ImageRule>(alpha, "image_residual_sum()");
}

namespace {

using detail::ConvPlan;
using detail::ExampleSet;
using detail::TileSpec;
using detail::kTileLanes;

// Checks the rules and the shape, and lays out what the engine needs.
ConvPlan make_plan(const ImageShape& shape, const std::vector<ImageRule>& rules,
                   const SpatialReadout& readout, bool track_ntk, const std::string& caller) {
  if (shape.channels == 0 || shape.height == 0 || shape.width == 0)
    throw_error(caller, ": image shape {", shape.channels, ", ", shape.height, ", ", shape.width,
                "} must have positive C, H, W");
  ConvPlan plan;
  plan.caller = caller;
  plan.shape = shape;
  plan.rules = rules;
  plan.track_ntk = track_ntk;
  bool gaussian = false, any_circular = false, any_same = false, any_valid = false;
  std::vector<bool> saved_gaussian;  // per open residual block
  // The image the next rule reads, on the input's grid (VALID convs shrink it).
  detail::Rect image{0, static_cast<long long>(shape.height), 0, static_cast<long long>(shape.width)};
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const ImageRule& r = rules[i];
    if (r.kind == ImageRule::Kind::residual_start) {
      saved_gaussian.push_back(gaussian);
      plan.nesting = std::max(plan.nesting, saved_gaussian.size());
    } else if (r.kind == ImageRule::Kind::residual_sum) {
      if (saved_gaussian.empty())
        throw_error(caller, ": rule ", i + 1, " (", r.name(),
                    ") has no residual_start before it");
      gaussian = gaussian && saved_gaussian.back();
      saved_gaussian.pop_back();
    } else if (r.kind == ImageRule::Kind::conv) {
      const arma::uword qh = r.filter_height, qw = r.filter_width;
      if (qh == 0 || qh % 2 == 0 || qw == 0 || qw % 2 == 0)
        throw_error(caller, ": rule ", i + 1, " (", r.name(), ") has an even filter; use an odd one");
      const arma::uword height = arma::uword(image.h1 - image.h0), width = arma::uword(image.w1 - image.w0);
      if (r.padding == Padding::circular && (qh > shape.height || qw > shape.width))
        throw_error(caller, ": rule ", i + 1, " (", r.name(), ") has a ", qh, "x", qw,
                    " filter, larger than the ", shape.height, "x", shape.width,
                    " image; with circular padding the filter must fit in the image");
      if (r.padding == Padding::valid) {
        if (qh > height || qw > width)
          throw_error(caller, ": rule ", i + 1, " (", r.name(), ") has a ", qh, "x", qw,
                      " filter, larger than the ", height, "x", width, " image it reads; with "
                      "valid padding the filter must fit in the image");
        if (!saved_gaussian.empty() && (qh > 1 || qw > 1))
          throw_error(caller, ": rule ", i + 1, " (", r.name(), ") is inside a residual block; "
                      "a VALID conv changes the image's shape, so the branch could not be added "
                      "to its input: use SAME padding in residual branches");
        image = detail::shrink(image, r);
      }
      (r.padding == Padding::circular ? any_circular
       : r.padding == Padding::same   ? any_same
                                      : any_valid) = true;
      plan.margin_h = std::max<arma::uword>(plan.margin_h, qh / 2);
      plan.margin_w = std::max<arma::uword>(plan.margin_w, qw / 2);
      gaussian = true;
    } else {
      if (!gaussian)
        throw_error(caller, ": rule ", i + 1, " (", r.name(),
                    ") needs Gaussian pre-activations: put a conv rule before it");
      if (r.kind == ImageRule::Kind::activation && track_ntk && !r.activation->has_ntk())
        throw_error(caller, ": rule ", i + 1, " (", r.name(), ") has no NTK (its derivative is "
                    "not a function); ask for the NNGP only");
      gaussian = false;
    }
  }
  if (!saved_gaussian.empty())
    throw_error(caller, ": ", saved_gaussian.size(), " residual_start rule(s) without their "
                "residual_sum(alpha)");
  plan.gaussian = gaussian;
  if (any_circular && any_same)
    throw_error(caller, ": the conv rules mix SAME and CIRCULAR padding; use one padding for all");
  if (any_circular && any_valid)
    throw_error(caller, ": the conv rules mix VALID and CIRCULAR padding, which the kernel engine "
                "does not support (a torus has no border to shrink from); use circular for all, "
                "or same and valid");
  plan.circular = any_circular;
  plan.output = image;
  plan.readout_h = axis_weights(readout, arma::uword(image.h1 - image.h0), caller);
  plan.readout_w = axis_weights(readout, arma::uword(image.w1 - image.w0), caller);
  // Offsets with a non-zero readout weight on some pixel pair.
  auto axis_offsets = [&](const arma::mat& weights) {
    const long long n = static_cast<long long>(weights.n_rows);
    std::vector<long long> out;
    for (long long d = plan.circular ? 0 : -(n - 1); d < n; ++d) {
      bool used = false;
      for (long long i = 0; i < n && !used; ++i) {
        long long j = i + d;
        if (plan.circular) j %= n;
        if (j >= 0 && j < n) used = weights(arma::uword(i), arma::uword(j)) != 0;
      }
      if (used) out.push_back(d);
    }
    return out;
  };
  for (long long d : axis_offsets(plan.readout_h))
    for (long long e : axis_offsets(plan.readout_w)) plan.offsets.emplace_back(d, e);
  return plan;
}

void check_images(const arma::mat& x, const ImageShape& shape, const std::string& caller,
                  const char* which) {
  if (x.n_rows != shape.size())
    throw_error(caller, ": the ", which, " input has ", x.n_rows, " rows but images of shape {",
                shape.channels, ", ", shape.height, ", ", shape.width, "} (C, H, W) need C*H*W = ",
                shape.size());
  check_finite(caller + ", " + which + " input", x);
}

}  // namespace

arma::mat pixel_variances(const arma::mat& x, const ImageShape& shape,
                          const std::vector<ImageRule>& rules, const std::string& caller) {
  const ConvPlan plan = make_plan(shape, rules, flatten(), false, caller);
  check_images(x, shape, caller, "first");
  return detail::variance_recursion(plan, x).back();
}

KernelState image_kernel(const arma::mat& a, const arma::mat& b, const ImageShape& shape,
                         bool symmetric, const std::vector<ImageRule>& rules,
                         const SpatialReadout& readout, bool track_ntk, Precision precision,
                         const std::string& caller, const ProgressSpan& progress) {
  ConvPlan plan = make_plan(shape, rules, readout, track_ntk, caller);
  plan.precision = precision;  // the range the variances must stay in (layers_conv_range.hpp)
  check_images(a, shape, caller, "first");
  if (!symmetric) check_images(b, shape, caller, "second");
  const arma::uword n1 = a.n_cols, n2 = symmetric ? a.n_cols : b.n_cols;
  check_allocation(caller + ": the " + std::to_string(n1) + " x " + std::to_string(n2) +
                       " kernel" + (track_ntk ? "s" : ""),
                   double(n1), double(n2) * (track_ntk ? 3.0 : 2.0));

  ExampleSet sets[2];
  sets[0].x = &a;
  sets[0].variances = detail::variance_recursion(plan, a, symmetric ? "" : "the first set's");
  if (!symmetric) {
    sets[1].x = &b;
    sets[1].variances = detail::variance_recursion(plan, b, "the second set's");
  }
  // Tiles of 16 consecutive examples of one set against one example (or a block of 16) of
  // the other. Symmetric: block b against example j for 16·(b + 1) ≤ j, and each block against
  // itself in rotations, the upper triangle. Cross:
  // the larger set in blocks against each example of the other, plus each set's diagonal
  // (blocks against themselves) for the variances.
  auto blocks = [](arma::uword n) { return (n + kTileLanes - 1) / kTileLanes; };
  std::vector<TileSpec> tiles;
  const bool swap = !symmetric && n2 > n1;  // blocks over set 1, examples of set 0
  if (symmetric) {
    for (arma::uword j = 0; j < n1; ++j)
      for (arma::uword blk = 0; blk < j / kTileLanes; ++blk) tiles.push_back({0, 0, blk, false, j});
    // Each diagonal block against itself, rotated (TileSpec): with m examples in the block,
    // rotations 0..min(8, m − 1) hold all its pairs.
    for (arma::uword blk = 0; blk < blocks(n1); ++blk) {
      const arma::uword m = std::min<arma::uword>(kTileLanes, n1 - blk * kTileLanes);
      for (arma::uword s = 0; s <= std::min<arma::uword>(kTileLanes / 2, m - 1); ++s)
        tiles.push_back({0, 0, blk, true, blk, std::uint8_t(s)});
    }
  } else {
    const std::uint8_t block_set = swap ? 1 : 0, other = swap ? 0 : 1;
    const arma::uword nb = swap ? n2 : n1, no = swap ? n1 : n2;
    for (arma::uword j = 0; j < no; ++j)
      for (arma::uword blk = 0; blk < blocks(nb); ++blk) tiles.push_back({block_set, other, blk, false, j});
    for (std::uint8_t set = 0; set < 2; ++set)
      for (arma::uword blk = 0; blk < blocks(set == 0 ? n1 : n2); ++blk)
        tiles.push_back({set, set, blk, true, blk});
  }
  std::vector<double> nngp(tiles.size() * kTileLanes), ntk(track_ntk ? nngp.size() : 0);
  double* ntk_out = track_ntk ? ntk.data() : nullptr;
  ProgressCounter counter(progress, double(tiles.size()));
  if (precision == Precision::float32)
    detail::run_tiles<float>(plan, sets, tiles, nngp.data(), ntk_out, counter);
  else
    detail::run_tiles<double>(plan, sets, tiles, nngp.data(), ntk_out, counter);
  counter.finish();

  KernelState s;
  s.symmetric = symmetric;
  s.track_ntk = track_ntk;
  s.width = double(shape.channels);
  bool any_conv = false;
  for (const auto& r : rules) any_conv = any_conv || r.kind == ImageRule::Kind::conv;
  s.ntk_is_zero = !any_conv;
  s.gaussian = plan.gaussian;
  s.nngp.zeros(n1, n2);
  if (track_ntk) s.ntk.zeros(n1, n2);
  s.diag1.set_size(n1);
  if (!symmetric) s.diag2.set_size(n2);
  const arma::uword sizes[2] = {n1, symmetric ? n1 : n2};
  for (std::size_t t = 0; t < tiles.size(); ++t) {
    const TileSpec& tile = tiles[t];
    for (std::size_t p = 0; p < kTileLanes; ++p) {
      const arma::uword left = tile.left_block * kTileLanes + p;
      const arma::uword right = detail::right_example(tile, p);
      if (left >= sizes[tile.left_set] || right >= sizes[tile.right_set]) continue;
      const double k_nngp = nngp[t * kTileLanes + p];
      bool swap_pair = false;
      if (tile.left_set == tile.right_set) {
        if (left == right) (tile.left_set == 0 ? s.diag1 : s.diag2)[left] = k_nngp;
        if (!symmetric) continue;  // cross: only the diagonal
        // Symmetric: i ≤ j. A broadcast tile's pairs below the diagonal are another tile's;
        // a rotated diagonal block's are its own.
        if (left > right) {
          if (!tile.right_block) continue;
          swap_pair = true;
        }
      }
      const bool set0_left = (tile.left_set == 0) != swap_pair;
      const arma::uword i = set0_left ? left : right, j = set0_left ? right : left;
      s.nngp(i, j) = k_nngp;
      if (track_ntk) s.ntk(i, j) = ntk[t * kTileLanes + p];
    }
  }
  if (s.ntk_is_zero) s.ntk.reset();  // Θ = 0 is kept as an empty matrix (kernel_state.hpp)
  return s;
}

}  // namespace ntk::sdk::layers
