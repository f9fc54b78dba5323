// A tile of the conv kernel engine (layers_conv_engine.cpp) and the example sets it reads:
// 16 example pairs carried together through the rules, one pair per vector lane.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include "layers_conv_detail.hpp"
#include "layers_conv_grid.hpp"

namespace ntk::sdk::layers::detail {

constexpr std::size_t kLanes = kTileLanes;

// A set's examples interleaved by blocks of 16 (lane p = example 16·block + p), in T:
// a tile's left side is then a pointer into it, and its right side a block or a broadcast.
// With `roots` (the fused float32 path, layers_conv_fused.hpp) also √v and 1/√v of each
// variance (1/√v = 0 where v = 0), so that the ReLU map needs no square root of Σ11Σ22 and
// no division per pixel pair.
template <class T>
struct Interleaved {
  arma::uword n = 0, pixels = 0, area = 0;
  std::vector<T> x;                     // blocks × C·H·W × 16
  std::vector<std::vector<T>> variances;  // per activation: blocks × H·W × 16
  std::vector<std::vector<T>> roots, inv_roots;  // the same, when asked for

  // The variances before each of the first `activations` activation rules (set.variances also
  // holds those after the last rule, which tiles do not read).
  Interleaved(const ExampleSet& set, arma::uword pixel_count, arma::uword area_count,
              std::size_t activations, bool with_roots)
      : pixels(pixel_count), area(area_count) {
    if (set.x == nullptr) return;
    n = set.x->n_cols;
    x = interleave(*set.x);
    for (std::size_t k = 0; k < activations; ++k) {
      const arma::mat& v = set.variances[k];
      variances.push_back(interleave(v));
      if (!with_roots) continue;
      // In double, then rounded once: √v and 1/√v to half an ulp of T.
      roots.push_back(interleave(arma::sqrt(v)));
      arma::mat inv = v;
      inv.transform([](double s) { return s > 0 ? 1 / std::sqrt(s) : 0.0; });
      inv_roots.push_back(interleave(inv));
    }
  }
  const T* x_block(arma::uword b) const { return x.data() + b * pixels * kLanes; }
  const T* block(const std::vector<T>& of, arma::uword b) const { return of.data() + b * area * kLanes; }
  // Value of example e (< n) at row i of x (k = −1) or of an interleaved per-pixel array.
  T value(const std::vector<T>* of, arma::uword e, arma::uword i) const {
    const arma::uword rows = of == nullptr ? pixels : area;
    const T* base = of == nullptr ? x.data() : of->data();
    return base[((e / kLanes) * rows + i) * kLanes + e % kLanes];
  }

 private:
  std::vector<T> interleave(const arma::mat& m) const {
    const arma::uword rows = m.n_rows, blocks = (n + kLanes - 1) / kLanes;
    std::vector<T> out(blocks * rows * kLanes);
    for (arma::uword b = 0; b < blocks; ++b)
      for (std::size_t p = 0; p < kLanes; ++p) {
        const double* col = m.colptr(std::min<arma::uword>(b * kLanes + p, n - 1));
        T* dst = out.data() + b * rows * kLanes + p;
        for (arma::uword i = 0; i < rows; ++i) dst[i * kLanes] = T(col[i]);
      }
    return out;
  }
};

// One side of a tile's per-pixel arrays (pixel × lane, no margin): pointers into an
// Interleaved set, or into the broadcast buffers of the tile. A broadcast side's root arrays
// hold one value per pixel (`scalar_roots`): the fused path broadcasts them as it loads them,
// which keeps a tile's working set near the L2 cache's size (3 activations × 2 arrays ×
// 784 pixels × 64 bytes would be 600 kB for one 28 × 28 example, 19 kB as scalars).
template <class T>
struct TileSide {
  const T* x = nullptr;
  std::vector<const T*> var, root, inv_root;  // per activation (root arrays: fused path only)
  bool scalar_roots = false;
};

template <class T>
struct Tile {
  Grid<T, kLanes> grid;
  std::vector<T> nngp, ntk, tmp;  // grids
  TileSide<T> left, right;
  std::vector<T> broadcast_x;
  std::vector<std::vector<T>> broadcast_var, broadcast_root, broadcast_inv_root;
  std::vector<double> sum_nngp, sum_ntk;  // readout accumulators, per lane
  std::vector<std::size_t> same_lanes;    // lanes whose two examples are the same
  // The grids residual_start saved, one pair per open residual block (valid on the rectangle).
  std::vector<std::vector<T>> saved_nngp, saved_ntk;
  // The fused path's row sums of the last 2·margin_h + 1 rows (ring buffers, W × 16 each).
  std::vector<T> ring_nngp, ring_ntk;
  std::vector<T> ntk_b;  // the fused path's second Θ grid (its second Σ grid is tmp)

  Tile(const ConvPlan& plan, std::size_t activations)
      : grid(static_cast<long long>(plan.shape.height), static_cast<long long>(plan.shape.width),
             static_cast<long long>(plan.margin_h), static_cast<long long>(plan.margin_w)),
        nngp(grid.size(), T(0)), ntk(grid.size(), T(0)), tmp(grid.size(), T(0)),
        broadcast_var(activations), broadcast_root(activations), broadcast_inv_root(activations),
        sum_nngp(kLanes), sum_ntk(kLanes),
        saved_nngp(plan.nesting, std::vector<T>(grid.size(), T(0))),
        saved_ntk(plan.track_ntk ? plan.nesting : 0, std::vector<T>(grid.size(), T(0))) {}

  // Back to all zeros (the state the generic rule walk relies on for SAME padding).
  void clear_grids() {
    std::fill(nngp.begin(), nngp.end(), T(0));
    std::fill(ntk.begin(), ntk.end(), T(0));
    std::fill(tmp.begin(), tmp.end(), T(0));
  }
};

// Points the tile at its two sides' examples; broadcasts a single right-hand example.
template <class T>
void gather(const Interleaved<T> sets[2], const TileSpec& spec, Tile<T>& t) {
  const Interleaved<T>& left = sets[spec.left_set];
  const Interleaved<T>& right = sets[spec.right_set];
  auto point = [](const Interleaved<T>& set, arma::uword b, TileSide<T>& side) {
    side.x = set.x_block(b);
    auto arrays = [&](const std::vector<std::vector<T>>& of, std::vector<const T*>& to) {
      to.resize(of.size());
      for (std::size_t k = 0; k < of.size(); ++k) to[k] = set.block(of[k], b);
    };
    arrays(set.variances, side.var);
    arrays(set.roots, side.root);
    arrays(set.inv_roots, side.inv_root);
  };
  point(left, spec.left_block, t.left);
  t.right.scalar_roots = false;
  t.same_lanes.clear();
  const bool same_set = spec.left_set == spec.right_set;
  if (spec.right_block && spec.rotation == 0) {
    point(right, spec.right, t.right);
    if (same_set && spec.right == spec.left_block)
      for (std::size_t p = 0; p < kLanes; ++p) t.same_lanes.push_back(p);
    return;
  }
  if (spec.right_block) {  // a rotated block: lane p reads lane (p + rotation) mod 16
    auto rotate = [&](std::vector<T>& buffer, const T* block, arma::uword rows) {
      buffer.resize(rows * kLanes);
      for (arma::uword i = 0; i < rows; ++i)
        for (std::size_t p = 0; p < kLanes; ++p)
          buffer[i * kLanes + p] = block[i * kLanes + (p + spec.rotation) % kLanes];
      return buffer.data();
    };
    auto arrays = [&](const std::vector<std::vector<T>>& of, std::vector<std::vector<T>>& buffers,
                      std::vector<const T*>& to) {
      to.resize(of.size());
      for (std::size_t k = 0; k < of.size(); ++k)
        to[k] = rotate(buffers[k], right.block(of[k], spec.right), right.area);
    };
    t.right.x = rotate(t.broadcast_x, right.x_block(spec.right), right.pixels);
    arrays(right.variances, t.broadcast_var, t.right.var);
    arrays(right.roots, t.broadcast_root, t.right.root);
    arrays(right.inv_roots, t.broadcast_inv_root, t.right.inv_root);
    return;  // no lane pairs an example with itself (lanes past the set's end are not read)
  }
  // One right example for every lane: broadcast it.
  auto fill = [&](std::vector<T>& buffer, const std::vector<T>* of, arma::uword rows) {
    buffer.resize(rows * kLanes);
    for (arma::uword i = 0; i < rows; ++i)
      std::fill_n(buffer.data() + i * kLanes, kLanes, right.value(of, spec.right, i));
    return buffer.data();
  };
  auto arrays = [&](const std::vector<std::vector<T>>& of, std::vector<std::vector<T>>& buffers,
                    std::vector<const T*>& to) {
    to.resize(of.size());
    for (std::size_t k = 0; k < of.size(); ++k) to[k] = fill(buffers[k], &of[k], right.area);
  };
  auto scalars = [&](const std::vector<std::vector<T>>& of, std::vector<std::vector<T>>& buffers,
                     std::vector<const T*>& to) {
    to.resize(of.size());
    for (std::size_t k = 0; k < of.size(); ++k) {
      buffers[k].resize(right.area);
      for (arma::uword i = 0; i < right.area; ++i) buffers[k][i] = right.value(&of[k], spec.right, i);
      to[k] = buffers[k].data();
    }
  };
  t.right.x = fill(t.broadcast_x, nullptr, right.pixels);
  arrays(right.variances, t.broadcast_var, t.right.var);
  scalars(right.roots, t.broadcast_root, t.right.root);
  scalars(right.inv_roots, t.broadcast_inv_root, t.right.inv_root);
  t.right.scalar_roots = true;
  if (same_set && spec.right / kLanes == spec.left_block) t.same_lanes.push_back(spec.right % kLanes);
}

}  // namespace ntk::sdk::layers::detail
