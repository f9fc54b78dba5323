// The tile engine of layers_conv.hpp: example pairs in tiles of kLanes, each tile carried
// through every rule offset image by offset image (see layers_conv.hpp for the method).
#include <algorithm>
#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

#include "layers_conv_detail.hpp"
#include "ntk/sdk/error.hpp"
#include "layers_conv_grid.hpp"
#include "layers_conv_range.hpp"
#include "layers_conv_tile.hpp"
#include "layers_conv_fused.hpp"
#include "layers_elementwise.hpp"
#include "layers_elementwise_float.hpp"

namespace ntk::sdk::layers::detail {
namespace {

// Where the right-hand pixel of an offset image lies: column w of the left image pairs with
// column w + e (SAME) or (w + e) mod W (CIRCULAR); likewise rows.
inline long long partner(long long i, long long offset, long long n, bool circular) {
  const long long j = i + offset;
  return circular ? (j >= n ? j - n : j) : j;
}

// Σ₀(i, i + (d, e)) = (1/C)·Σ_c x_c(i)·x'_c(i + (d, e)) on the rectangle.
template <class T>
void input_offset_image(const ConvPlan& plan, long long d, long long e, const Rect& r, Tile<T>& t) {
  const long long H = static_cast<long long>(plan.shape.height), W = static_cast<long long>(plan.shape.width);
  const arma::uword C = plan.shape.channels;
  const T inv_c = T(1.0 / double(C));
  for (long long h = r.h0; h < r.h1; ++h) {
    const long long h2 = partner(h, d, H, plan.circular);
    T* row = t.nngp.data() + t.grid.at(h, r.w0);
    std::fill_n(row, std::size_t(r.w1 - r.w0) * kLanes, T(0));
    for (arma::uword c = 0; c < C; ++c) {
      const T* lx = t.left.x + (c * H * W + h * W) * kLanes;
      const T* rx = t.right.x + (c * H * W + h2 * W) * kLanes;
      for (long long w = r.w0; w < r.w1; ++w) {
        const long long w2 = partner(w, e, W, plan.circular);
        T* out = row + (w - r.w0) * kLanes;
        const T* a = lx + w * kLanes;
        const T* b = rx + w2 * kLanes;
#pragma omp simd
        for (std::size_t p = 0; p < kLanes; ++p) out[p] += a[p] * b[p];
      }
    }
    if (C > 1)
      for (std::size_t k = 0; k < std::size_t(r.w1 - r.w0) * kLanes; ++k) row[k] *= inv_c;
  }
}

template <class T>
void activate(const ConvPlan& plan, const ImageRule& rule, std::size_t k, long long d, long long e,
              const Rect& r, bool with_ntk, Tile<T>& t) {
  const long long H = static_cast<long long>(plan.shape.height), W = static_cast<long long>(plan.shape.width);
  // On the diagonal pair at offset 0, Σ12 is the variance itself: use the recursion's value
  // so that √(Σ11Σ22 − Σ12²) is exactly 0 there (as layers.cpp does for dense kernels).
  if (d == 0 && e == 0)
    for (std::size_t p : t.same_lanes)
      for (long long h = r.h0; h < r.h1; ++h)
        for (long long w = r.w0; w < r.w1; ++w)
          t.nngp[t.grid.at(h, w) + p] = t.left.var[k][std::size_t(h * W + w) * kLanes + p];
  for (long long h = r.h0; h < r.h1; ++h) {
    const long long h2 = partner(h, d, H, plan.circular);
    // The row splits where the partner column wraps around (CIRCULAR only).
    long long w = r.w0;
    while (w < r.w1) {
      const long long w2 = partner(w, e, W, plan.circular);
      const long long end = plan.circular ? std::min(r.w1, w + (W - w2)) : r.w1;
      const std::size_t at = t.grid.at(h, w), len = std::size_t(end - w) * kLanes;
      T* s = t.nngp.data() + at;
      T* n = with_ntk ? t.ntk.data() + at : nullptr;
      const T* v1 = t.left.var[k] + std::size_t(h * W + w) * kLanes;
      const T* v2 = t.right.var[k] + std::size_t(h2 * W + w2) * kLanes;
      if (rule.kind == ImageRule::Kind::relu) relu_entries(s, n, v1, v2, len);
      else if (rule.kind == ImageRule::Kind::erf) erf_entries(s, n, v1, v2, len);
      else rule.activation->entries(s, n, v1, v2, len);
      w = end;
    }
  }
}

template <class T>
void accumulate(const ConvPlan& plan, long long d, long long e, const Rect& r, bool with_ntk,
                Tile<T>& t) {
  const long long H = static_cast<long long>(plan.shape.height), W = static_cast<long long>(plan.shape.width);
  // The readout's pixels are the output image's (the grid's, less what VALID convs cut off).
  const long long top = plan.output.h0, left = plan.output.w0;
  for (long long h = r.h0; h < r.h1; ++h) {
    const double rh = plan.readout_h(arma::uword(h - top), arma::uword(partner(h, d, H, plan.circular) - top));
    if (rh == 0) continue;
    for (long long w = r.w0; w < r.w1; ++w) {
      const double weight =
          rh * plan.readout_w(arma::uword(w - left), arma::uword(partner(w, e, W, plan.circular) - left));
      if (weight == 0) continue;
      const std::size_t at = t.grid.at(h, w);
      for (std::size_t p = 0; p < kLanes; ++p) t.sum_nngp[p] += weight * double(t.nngp[at + p]);
      if (with_ntk)
        for (std::size_t p = 0; p < kLanes; ++p) t.sum_ntk[p] += weight * double(t.ntk[at + p]);
    }
  }
}

// residual_start: saves the rectangle of `from` into `to`.
template <class T>
void save_rect(const Grid<T, kLanes>& grid, const Rect& r, const T* from, T* to) {
  const std::size_t run = std::size_t(r.w1 - r.w0) * kLanes;
  for (long long h = r.h0; h < r.h1; ++h) std::copy_n(from + grid.at(h, r.w0), run, to + grid.at(h, r.w0));
}

// residual_sum: a ← saved + α²·a on the rectangle (a ← α²·a when saved is null).
template <class T>
void residual_rect(const Grid<T, kLanes>& grid, const Rect& r, const T* saved, T alpha2, T* a) {
  const std::size_t run = std::size_t(r.w1 - r.w0) * kLanes;
  for (long long h = r.h0; h < r.h1; ++h) {
    T* dst = a + grid.at(h, r.w0);
    if (saved == nullptr) {
#pragma omp simd
      for (std::size_t k = 0; k < run; ++k) dst[k] = alpha2 * dst[k];
      continue;
    }
    const T* src = saved + grid.at(h, r.w0);
#pragma omp simd
    for (std::size_t k = 0; k < run; ++k) dst[k] = src[k] + alpha2 * dst[k];
  }
}

// The first non-finite value of grid `a` on the rectangle: true with its pixel and lane.
template <class T>
bool find_nonfinite(const Grid<T, kLanes>& grid, const Rect& r, const T* a, TileFault& f) {
  for (long long h = r.h0; h < r.h1; ++h)
    for (long long w = r.w0; w < r.w1; ++w)
      for (std::size_t p = 0; p < kLanes; ++p)
        if (!std::isfinite(a[grid.at(h, w) + p])) {
          f.h = h, f.w = w, f.lane = p;
          return true;
        }
  return false;
}

bool all_finite(const double* x, std::size_t len) {
  double acc = 0;
#pragma omp simd reduction(+ : acc)
  for (std::size_t i = 0; i < len; ++i) acc += x[i] - x[i];  // NaN for a NaN or an infinity
  return acc == 0;
}

// Carries the tile through the rules for every offset and sums the readout into sum_nngp and
// sum_ntk. With `fault` (a replay of a tile whose sums were not finite), checks the grids after
// the input and after every rule, and the sums after every offset, and records in *fault the
// first step (then the first offset) where a value was not finite.
template <class T>
void run_tile(const ConvPlan& plan, Tile<T>& t, TileFault* fault = nullptr) {
  const long long H = static_cast<long long>(plan.shape.height), W = static_cast<long long>(plan.shape.width);
  std::fill(t.sum_nngp.begin(), t.sum_nngp.end(), 0.0);
  std::fill(t.sum_ntk.begin(), t.sum_ntk.end(), 0.0);
  for (const auto& [d, e] : plan.offsets) {
    // The pixels i whose pair (i, i + (d, e)) lies in the image: all of them on a torus, else
    // those of the image (shrunk by VALID convs as the rules go) with a partner in it.
    Rect r;
    if (plan.circular) r = {0, H, 0, W};
    else r = {std::max(0LL, -d), std::min(H, H - d), std::max(0LL, -e), std::min(W, W - e)};
    if (r.empty()) continue;
    const Rect first = r;  // what the SAME clear-up below must zero
    input_offset_image(plan, d, e, r, t);
    bool ntk_zero = true;
    std::size_t activation = 0, level = 0;
    std::vector<bool> saved_zero(plan.nesting);  // was Θ = 0 when block `level` opened
    // Replay only: whether the state after `step` holds a non-finite value (recorded in *fault
    // when it is the first step seen so far).
    auto went_bad = [&](std::size_t step) {
      if (fault->found && fault->step <= step) return true;  // no earlier step to find here
      TileFault f;
      const bool in_nngp = find_nonfinite(t.grid, r, t.nngp.data(), f);
      f.ntk = !in_nngp;
      if (!in_nngp && !(plan.track_ntk && !ntk_zero && find_nonfinite(t.grid, r, t.ntk.data(), f)))
        return false;
      f.found = true;
      f.step = step;
      f.h2 = partner(f.h, d, H, plan.circular);
      f.w2 = partner(f.w, e, W, plan.circular);
      *fault = f;
      return true;
    };
    bool bad = fault != nullptr && went_bad(0);
    for (std::size_t k = 0; k < plan.rules.size() && !bad; ++k) {
      const ImageRule& rule = plan.rules[k];
      if (fault != nullptr && k > 0 && (bad = went_bad(k))) break;  // the state after rule k − 1
      if (rule.kind == ImageRule::Kind::residual_start) {
        save_rect(t.grid, r, t.nngp.data(), t.saved_nngp[level].data());
        if (plan.track_ntk && !ntk_zero) save_rect(t.grid, r, t.ntk.data(), t.saved_ntk[level].data());
        saved_zero[level++] = ntk_zero;
        continue;
      }
      if (rule.kind == ImageRule::Kind::residual_sum) {
        --level;
        const T alpha2 = T(rule.alpha * rule.alpha);
        residual_rect(t.grid, r, t.saved_nngp[level].data(), alpha2, t.nngp.data());
        // A Θ = 0 part contributes nothing (its grid may hold stale values: CIRCULAR tiles
        // are not cleared between offsets).
        if (plan.track_ntk && !(ntk_zero && saved_zero[level])) {
          if (ntk_zero) save_rect(t.grid, r, t.saved_ntk[level].data(), t.ntk.data());
          else residual_rect(t.grid, r, saved_zero[level] ? nullptr : t.saved_ntk[level].data(),
                             alpha2, t.ntk.data());
          ntk_zero = false;
        }
        continue;
      }
      if (rule.kind == ImageRule::Kind::conv) {
        const long long hh = half_height(rule), hw = half_width(rule);
        const bool valid = rule.padding == Padding::valid;
        const Rect in = r;
        if (valid) r = shrink(r, rule);  // the pixel pairs whose two windows lie in the image
        const T scale = T(rule.w_std * rule.w_std / double(rule.filter_height * rule.filter_width));
        const T shift = T(rule.b_std * rule.b_std);
        t.grid.box(t.nngp.data(), t.tmp.data(), r, hh, hw, plan.circular, scale, shift, nullptr, valid);
        if (plan.track_ntk) {
          if (!rule.trainable) {
            // A frozen conv adds no term of its own: Θ ← box(W²Θ), still 0 while Θ is 0.
            if (!ntk_zero)
              t.grid.box(t.ntk.data(), t.tmp.data(), r, hh, hw, plan.circular, scale, T(0), nullptr,
                         valid);
          } else if (ntk_zero) {
            for (long long h = r.h0; h < r.h1; ++h)
              std::copy_n(t.nngp.data() + t.grid.at(h, r.w0), std::size_t(r.w1 - r.w0) * kLanes,
                          t.ntk.data() + t.grid.at(h, r.w0));
          } else {
            t.grid.box(t.ntk.data(), t.tmp.data(), r, hh, hw, plan.circular, scale, T(0),
                       t.nngp.data(), valid);
          }
          if (rule.trainable) ntk_zero = false;
        }
        if (valid) {  // a later SAME conv pads the shrunk image with zeros
          t.grid.clear_band(t.nngp.data(), in, r);
          t.grid.clear_band(t.ntk.data(), in, r);
          t.grid.clear_band(t.tmp.data(), in, r);
        }
      } else {
        activate(plan, rule, activation++, d, e, r, plan.track_ntk && !ntk_zero, t);
      }
    }
    if (fault != nullptr && !bad) bad = went_bad(plan.rules.size());
    // Θ stays 0 when no conv rule ran; accumulate() then reads the zero grid.
    if (!bad) accumulate(plan, d, e, r, plan.track_ntk, t);
    if (fault != nullptr && !bad && !fault->found &&
        !(all_finite(t.sum_nngp.data(), kLanes) && all_finite(t.sum_ntk.data(), kLanes))) {
      // Every value was finite, their weighted sum is not.
      TileFault f;
      f.found = true;
      f.step = plan.rules.size() + 1;
      f.ntk = all_finite(t.sum_nngp.data(), kLanes);
      const std::vector<double>& sums = f.ntk ? t.sum_ntk : t.sum_nngp;
      while (f.lane + 1 < kLanes && std::isfinite(sums[f.lane])) ++f.lane;
      *fault = f;
    }
    if (!plan.circular) {  // restore the all-zero state SAME padding relies on
      t.grid.clear(t.nngp.data(), first);
      t.grid.clear(t.ntk.data(), first);
      t.grid.clear(t.tmp.data(), first);
    }
  }
}

}  // namespace

template <class T>
void run_tiles(const ConvPlan& plan, const ExampleSet sets[2], const std::vector<TileSpec>& tiles,
               double* nngp, double* ntk, ProgressCounter& progress) {
  std::size_t activations = 0;
  for (const auto& rule : plan.rules) activations += is_activation(rule);
  const arma::uword pixels = plan.shape.size(), area = plan.shape.height * plan.shape.width;
  // float32 (Conv(SAME), Relu) × L networks take the fused path (layers_conv_fused.hpp).
  const bool fused = std::is_same_v<T, float> && fused_applies(plan);
  const Interleaved<T> interleaved[2] = {Interleaved<T>(sets[0], pixels, area, activations, fused),
                                         Interleaved<T>(sets[1], pixels, area, activations, fused)};
  std::string error;  // the first exception of any thread (none may leave the region)
  TileFault first_fault;  // the first non-finite value, in (step, tile) order
#pragma omp parallel if (tiles.size() > 1)
  {
    Tile<T> tile(plan, activations);
#pragma omp for schedule(dynamic, 1)
    for (std::size_t i = 0; i < tiles.size(); ++i) {
      gather(interleaved, tiles[i], tile);
      try {
        if constexpr (std::is_same_v<T, float>) {
          if (fused) run_tile_fused(plan, tile);
          else run_tile(plan, tile);
        } else {
          run_tile(plan, tile);
        }
        // One pass over 2 × 16 sums: the tile is replayed only when they are not finite.
        if (!(all_finite(tile.sum_nngp.data(), kLanes) && all_finite(tile.sum_ntk.data(), kLanes))) {
          TileFault fault;
          if (fused) tile.clear_grids();  // the rule walk relies on zeros around each rectangle
          run_tile(plan, tile, &fault);
          if (!fault.found) {  // cannot happen (the replay repeats the run); never pass it on
            fault.found = true;
            fault.step = plan.rules.size() + 1;
          }
          fault.tile = i;
          const TileSpec& spec = tiles[i];
          fault.left_set = spec.left_set;
          fault.right_set = spec.right_set;
          const arma::uword left_n = interleaved[spec.left_set].n,
                            right_n = interleaved[spec.right_set].n;
          // A lane past the end of its set repeats the set's last example (TileSpec).
          fault.left_example = std::min(spec.left_block * kLanes + fault.lane, left_n - 1);
          fault.right_example =
              spec.right_block ? std::min(right_example(spec, fault.lane), right_n - 1) : spec.right;
#pragma omp critical(ntk_tile_fault)
          if (fault.precedes(first_fault)) first_fault = fault;
          continue;
        }
      } catch (const std::exception& e) {
#pragma omp critical(ntk_tile_error)
        if (error.empty()) error = e.what();
        continue;
      }
      for (std::size_t p = 0; p < kLanes; ++p) {
        nngp[i * kLanes + p] = tile.sum_nngp[p];
        if (ntk != nullptr) ntk[i * kLanes + p] = tile.sum_ntk[p];
      }
      progress.add(1);
    }
  }
  if (!error.empty()) throw_error("image kernel: ", error);
  if (first_fault.found) throw_tile_fault(plan, first_fault, sets[1].x == nullptr);
}

template void run_tiles<double>(const ConvPlan&, const ExampleSet[2], const std::vector<TileSpec>&,
                                double*, double*, ProgressCounter&);
template void run_tiles<float>(const ConvPlan&, const ExampleSet[2], const std::vector<TileSpec>&,
                               double*, double*, ProgressCounter&);

std::vector<arma::mat> variance_recursion(const ConvPlan& plan, const arma::mat& x,
                                          const char* which) {
  const arma::uword H = plan.shape.height, W = plan.shape.width, C = plan.shape.channels;
  const arma::uword n = x.n_cols, area = H * W;
  const Rect& output = plan.output;
  const arma::uword out_width = arma::uword(output.w1 - output.w0);
  const arma::uword out_area = arma::uword(output.h1 - output.h0) * out_width;
  const ValueRange range = value_range(plan.precision);
  std::vector<arma::mat> out;
  for (const auto& rule : plan.rules)
    if (is_activation(rule)) out.emplace_back(area, n, arma::fill::zeros);
  out.emplace_back(out_area, n);
  const Rect full{0, static_cast<long long>(H), 0, static_cast<long long>(W)};
  std::string error;  // the first exception of any thread (none may leave the region)
  VarianceFault first;  // the first variance out of range, in (step, example) order
#pragma omp parallel if (n * area > 4096)
  {
    Grid<double, 1> grid(static_cast<long long>(H), static_cast<long long>(W),
                         static_cast<long long>(plan.margin_h), static_cast<long long>(plan.margin_w));
    std::vector<double> v(grid.size(), 0.0), tmp(grid.size(), 0.0), before(grid.size(), 0.0);
    std::vector<std::vector<double>> saved(plan.nesting, std::vector<double>(grid.size(), 0.0));
#pragma omp for schedule(static)
    for (arma::uword j = 0; j < n; ++j) {
     VarianceFault fault;
     // Whether a variance of the image left the range at `step` (issue 13): O(pixels), as
     // cheap as the rule itself. `before` holds the values the rule received.
     auto left_range = [&](std::size_t step, const Rect& image, bool positive) {
       for (long long h = image.h0; h < image.h1; ++h)
         for (long long w = image.w0; w < image.w1; ++w) {
           const std::size_t at = grid.at(h, w);
           const Trouble trouble = variance_trouble(before[at], v[at], positive, range);
           if (trouble == Trouble::none) continue;
           fault = {trouble, step, j, h, w, before[at], v[at]};
           return true;
         }
       return false;
     };
     // The recursion of example j; returns early with `fault` set when a variance left the range.
     auto recursion = [&] {
      const double* col = x.colptr(j);
      for (arma::uword i = 0; i < area; ++i) {
        double s = 0, largest = 0;
        for (arma::uword c = 0; c < C; ++c) {
          s += col[c * area + i] * col[c * area + i];
          largest = std::max(largest, std::fabs(col[c * area + i]));
        }
        const std::size_t at = grid.at(static_cast<long long>(i / W), static_cast<long long>(i % W));
        v[at] = s / double(C);
        before[at] = largest;  // a non-zero pixel must not have x·x/C = 0
      }
      if (left_range(0, full, true)) return;
      std::size_t k = 0, level = 0, step = 0;
      Rect image = full;  // shrunk by VALID convs
      for (const auto& rule : plan.rules) {
        ++step;
        if (rule.kind == ImageRule::Kind::residual_start) {
          saved[level++] = v;
          continue;
        }
        before = v;
        if (rule.kind == ImageRule::Kind::residual_sum) {
          const double alpha2 = rule.alpha * rule.alpha;
          const std::vector<double>& s = saved[--level];
          for (std::size_t i = 0; i < v.size(); ++i) v[i] = s[i] + alpha2 * v[i];
        } else if (rule.kind == ImageRule::Kind::conv) {
          const bool valid = rule.padding == Padding::valid;
          const Rect in = image;
          if (valid) image = shrink(image, rule);
          grid.box(v.data(), tmp.data(), image, half_height(rule), half_width(rule), plan.circular,
                   rule.w_std * rule.w_std / double(rule.filter_height * rule.filter_width),
                   rule.b_std * rule.b_std, nullptr, valid);
          if (valid) {  // zeros around the shrunk image, for a later SAME conv
            grid.clear_band(v.data(), in, image);
            grid.clear_band(tmp.data(), in, image);
          }
        } else {
          for (long long h = image.h0; h < image.h1; ++h)
            for (long long w = image.w0; w < image.w1; ++w) {
              const arma::uword i = arma::uword(h) * W + arma::uword(w);
              double& value = v[grid.at(h, w)];
              out[k](i, j) = value;
              // The activation rules on the diagonal Σ12 = Σ11 = Σ22 = v (layers_elementwise.hpp).
              if (rule.kind == ImageRule::Kind::relu) relu_variances(&value, 1);
              else if (rule.kind == ImageRule::Kind::erf) erf_variances(&value, 1);
              else rule.activation->variances(&value, 1);
            }
          ++k;
        }
        if (left_range(step, image, keeps_positive(rule))) return;
      }
      for (long long h = output.h0; h < output.h1; ++h)
        for (long long w = output.w0; w < output.w1; ++w)
          out[k](arma::uword(h - output.h0) * out_width + arma::uword(w - output.w0), j) = v[grid.at(h, w)];
     };
     try {
      recursion();
      // The next example starts from zeros where SAME padding reads them (a VALID conv, or a
      // recursion cut short, leaves values about); the input overwrites the image itself.
      grid.clear(tmp.data(), full);
     } catch (const std::exception& e) {
#pragma omp critical(ntk_variance_error)
      if (error.empty()) error = e.what();
     }
     if (fault.found()) {
#pragma omp critical(ntk_variance_fault)
       if (fault.precedes(first)) first = fault;
     }
    }
  }
  if (!error.empty()) throw_error("image kernel, pixel variances: ", error);
  if (first.found()) throw_variance_fault(plan, first, which);
  return out;
}

}  // namespace ntk::sdk::layers::detail
