// The fused float32 path of the conv tile engine (layers_conv_fused.hpp).
#include "layers_conv_fused.hpp"

#include <algorithm>
#include <atomic>
#include <type_traits>

#include "layers_conv_lanes.hpp"

namespace ntk::sdk::layers::detail {

namespace {
constexpr arma::uword kMaxHalfFilter = 31;
std::atomic<bool> fused_enabled{true};
}  // namespace

void set_fused_enabled(bool enabled) { fused_enabled = enabled; }

bool fused_applies(const ConvPlan& plan) {
  if (!fused_enabled) return false;
  if (plan.circular || plan.rules.empty() || plan.rules.size() % 2 != 0) return false;
  for (std::size_t k = 0; k < plan.rules.size(); k += 2) {
    const ImageRule& conv = plan.rules[k];
    if (conv.kind != ImageRule::Kind::conv || conv.padding != Padding::same) return false;
    if (conv.filter_height > 2 * kMaxHalfFilter + 1) return false;  // conv_relu's row pointers
    if (plan.rules[k + 1].kind != ImageRule::Kind::relu) return false;
  }
  return true;
}

namespace {

// Θ so far: not tracked, identically 0 (no trainable conv yet), or held in the ntk grid.
enum class NtkState { none, zero, live };

// One Conv(SAME) + Relu pair of rules.
struct Layer {
  long long half_h = 0, half_w = 0;
  float scale = 1, shift = 0;  // W²/(qh·qw), b²
  bool trainable = true;
  std::size_t activation = 0;  // which per-pixel roots its ReLU reads
};

// The offset image's geometry: pixel (h, w) of the left example pairs with (h + d, w + e) of
// the right one; the rectangle holds the pixels whose partner is in the image. Outside it
// every value counts as 0 (SAME padding: a window pixel or its partner is a padded pixel).
struct Offset {
  long long d = 0, e = 0;
  Rect r;
  M16 diagonal{};              // lanes pairing an example with itself, at offset (0, 0)
  bool any_diagonal = false;
  std::vector<float> weights;  // the readout's column weights R_w(w, w + e), w ∈ [w0, w1)
};

constexpr long long kL = static_cast<long long>(kLanes);

// Σ₀(i, i + (d, e)) = (1/C)·Σ_c x_c(i)·x'_c(i + (d, e)) on the rectangle, into t.nngp.
void input_offset_image(const ConvPlan& plan, const Offset& o, Tile<float>& t) {
  const long long H = static_cast<long long>(plan.shape.height), W = static_cast<long long>(plan.shape.width);
  const long long C = static_cast<long long>(plan.shape.channels);
  const F16 inv_c = splat(float(1.0 / double(C)));
  for (long long h = o.r.h0; h < o.r.h1; ++h) {
    float* out = t.nngp.data() + t.grid.at(h, 0);
    for (long long w = o.r.w0; w < o.r.w1; ++w) {
      F16 s{};
      for (long long c = 0; c < C; ++c)
        s += load16(t.left.x + ((c * H + h) * W + w) * kL) *
             load16(t.right.x + ((c * H + h + o.d) * W + w + o.e) * kL);
      store16(out + w * kL, C > 1 ? s * inv_c : s);
    }
  }
}

// out(w) = Σ_{|δ| ≤ half_w} row(w + δ) over w ∈ [w0, w1), columns outside [w0, w1) counting 0.
void row_sums(const float* row, float* out, long long w0, long long w1, long long half_w) {
  if (half_w == 1 && w1 - w0 >= 2) {  // 3 × 3 filters: the common case, unrolled
    store16(out + w0 * kL, load16(row + w0 * kL) + load16(row + (w0 + 1) * kL));
    for (long long w = w0 + 1; w < w1 - 1; ++w)
      store16(out + w * kL, load16(row + (w - 1) * kL) + load16(row + w * kL) + load16(row + (w + 1) * kL));
    store16(out + (w1 - 1) * kL, load16(row + (w1 - 2) * kL) + load16(row + (w1 - 1) * kL));
    return;
  }
  for (long long w = w0; w < w1; ++w) {
    const long long lo = std::max(w - half_w, w0), hi = std::min(w + half_w, w1 - 1);
    F16 s = load16(row + lo * kL);
    for (long long k = lo + 1; k <= hi; ++k) s += load16(row + k * kL);
    store16(out + w * kL, s);
  }
}

// Σ_k rows[k][w] for the m ring rows of a column sum.
[[gnu::always_inline]] inline F16 column_sum(const float* const* rows, long long m, long long at) {
  F16 s = load16(rows[0] + at);
  for (long long k = 1; k < m; ++k) s += load16(rows[k] + at);
  return s;
}

// The two grids of a state: Σ and Θ, each H × W × 16 floats on the tile's grid layout.
struct Grids {
  float* nngp;
  float* ntk;
};

// Box sums of any qh × qw filter, in place: each row's sums along the row go into a ring of
// the last qh rows before the row is overwritten; a pixel's box sum adds its column of the ring.
class RingBox {
 public:
  RingBox(const Layer& layer, const Rect& r, long long width, bool ntk_in, const Grids& g, Tile<float>& t)
      : layer_(layer), r_(r), ntk_in_(ntk_in), g_(g), t_(t), ring_(2 * layer.half_h + 1),
        ring_row_(std::size_t(width * kL)) {
    if (t.ring_nngp.size() < std::size_t(ring_) * ring_row_) {
      t.ring_nngp.resize(std::size_t(ring_) * ring_row_);
      t.ring_ntk.resize(std::size_t(ring_) * ring_row_);
    }
    for (long long h = r.h0; h < std::min(r.h0 + layer.half_h, r.h1); ++h) fill(h);
  }
  Grids output() const { return g_; }  // in place
  // Called for every row in order (skipped rows included), before its pixels.
  void row(long long h) {
    const long long hh = layer_.half_h;
    if (h + hh < r_.h1) fill(h + hh);
    const long long lo = std::max(h - hh, r_.h0), hi = std::min(h + hh, r_.h1 - 1);
    m_ = hi - lo + 1;
    for (long long j = 0; j < m_; ++j) {
      const std::size_t slot = std::size_t((lo + j) % ring_) * ring_row_;
      rows_nngp_[j] = t_.ring_nngp.data() + slot;
      rows_ntk_[j] = t_.ring_ntk.data() + slot;
    }
  }
  // The box sums of pixel w of the row (any order).
  F16 nngp(long long w) const { return column_sum(rows_nngp_, m_, w * kL); }
  F16 ntk(long long w) const { return column_sum(rows_ntk_, m_, w * kL); }

 private:
  void fill(long long h) {
    const std::size_t slot = std::size_t(h % ring_) * ring_row_;
    row_sums(g_.nngp + t_.grid.at(h, 0), t_.ring_nngp.data() + slot, r_.w0, r_.w1, layer_.half_w);
    if (ntk_in_) row_sums(g_.ntk + t_.grid.at(h, 0), t_.ring_ntk.data() + slot, r_.w0, r_.w1, layer_.half_w);
  }
  const Layer& layer_;
  const Rect& r_;
  bool ntk_in_;
  Grids g_;
  Tile<float>& t_;
  long long ring_;
  std::size_t ring_row_;
  long long m_ = 0;
  const float* rows_nngp_[2 * kMaxHalfFilter + 1];
  const float* rows_ntk_[2 * kMaxHalfFilter + 1];
};

// Box sums of a 3 × 3 filter into the other pair of grids: per pixel the column of three rows
// is summed as it is loaded, and the row sum slides along in registers (3 loads a pixel and a
// grid, against 6 loads and a store for the ring). Pixels must come in order w0, w0 + 1, ….
class Box3 {
 public:
  Box3(const Rect& r, bool ntk_in, const Grids& in, const Grids& out, const Tile<float>& t)
      : r_(r), ntk_in_(ntk_in), in_(in), out_(out), t_(t) {}
  Grids output() const { return out_; }
  void row(long long h) {
    m_ = 0;
    for (long long j = std::max(h - 1, r_.h0); j <= std::min(h + 1, r_.h1 - 1); ++j) {
      rows_nngp_[m_] = in_.nngp + t_.grid.at(j, 0);
      rows_ntk_[m_++] = in_.ntk + t_.grid.at(j, 0);
    }
    previous_nngp_ = previous_ntk_ = F16{};
    current_nngp_ = column_sum(rows_nngp_, m_, r_.w0 * kL);
    if (ntk_in_) current_ntk_ = column_sum(rows_ntk_, m_, r_.w0 * kL);
  }
  F16 nngp(long long w) {
    const F16 next = w + 1 < r_.w1 ? column_sum(rows_nngp_, m_, (w + 1) * kL) : F16{};
    const F16 sum = previous_nngp_ + current_nngp_ + next;
    previous_nngp_ = current_nngp_;
    current_nngp_ = next;
    return sum;
  }
  F16 ntk(long long w) {
    const F16 next = w + 1 < r_.w1 ? column_sum(rows_ntk_, m_, (w + 1) * kL) : F16{};
    const F16 sum = previous_ntk_ + current_ntk_ + next;
    previous_ntk_ = current_ntk_;
    current_ntk_ = next;
    return sum;
  }

 private:
  const Rect& r_;
  bool ntk_in_;
  Grids in_, out_;
  const Tile<float>& t_;
  long long m_ = 0;
  const float* rows_nngp_[3];
  const float* rows_ntk_[3];
  F16 previous_nngp_{}, current_nngp_{}, previous_ntk_{}, current_ntk_{};
};

// One Conv(SAME) + Relu on the offset image, row by row, the box sums from `box`; after the
// last layer (`last`) the readout's weighted sums instead of the output grids.
template <bool last, bool scalar_right, class Box>
void conv_relu(const ConvPlan& plan, const Layer& layer, const Offset& o, NtkState& state,
               Box& box, Tile<float>& t) {
  const long long W = static_cast<long long>(plan.shape.width);
  const Rect& r = o.r;
  const bool ntk_in = state == NtkState::live;
  const NtkState next = state == NtkState::none ? NtkState::none
                        : layer.trainable       ? NtkState::live
                                                : state;
  const bool ntk_out = next == NtkState::live;
  const F16 scale = splat(layer.scale), shift = splat(layer.shift);
  const std::size_t k = layer.activation;
  const Grids out = box.output();
  for (long long h = r.h0; h < r.h1; ++h) {
    box.row(h);
    double row_weight = 0;
    if constexpr (last) {
      row_weight = plan.readout_h(arma::uword(h), arma::uword(h + o.d));
      if (row_weight == 0) continue;
    }
    const std::size_t left = std::size_t(h * W) * kLanes,
                      right = std::size_t((h + o.d) * W + o.e) * (scalar_right ? 1 : kLanes);
    const float* inv1 = t.left.inv_root[k] + left;
    const float* root1 = t.left.root[k] + left;
    const float* inv2 = t.right.inv_root[k] + right;
    const float* root2 = t.right.root[k] + right;
    float* out_nngp = out.nngp + t.grid.at(h, 0);
    float* out_ntk = out.ntk + t.grid.at(h, 0);
    F16 sum_nngp{}, sum_ntk{};
    for (long long w = r.w0; w < r.w1; ++w) {
      const long long at = w * kL;
      F16 s = box.nngp(w) * scale + shift;
      F16 theta{};
      if (ntk_in) theta = box.ntk(w) * scale + (layer.trainable ? s : F16{});
      else if (ntk_out) theta = s;
      const F16 i1 = load16(inv1 + at), r1 = load16(root1 + at);
      F16 i2, r2;
      if constexpr (scalar_right) {
        i2 = splat(inv2[w]);
        r2 = splat(root2[w]);
      } else {
        i2 = load16(inv2 + at);
        r2 = load16(root2 + at);
      }
      if (o.any_diagonal) {
        if (ntk_out) relu16<true, true>(s, theta, i1, i2, r1, r2, o.diagonal);
        else relu16<false, true>(s, theta, i1, i2, r1, r2, o.diagonal);
      } else {
        if (ntk_out) relu16<true, false>(s, theta, i1, i2, r1, r2, o.diagonal);
        else relu16<false, false>(s, theta, i1, i2, r1, r2, o.diagonal);
      }
      if constexpr (last) {
        const float weight = o.weights[std::size_t(w - r.w0)];
        if (weight == 0) continue;  // as the rule walk: a pixel pair the readout skips is not read
        sum_nngp += splat(weight) * s;
        sum_ntk += splat(weight) * theta;
      } else {
        store16(out_nngp + at, s);
        if (ntk_out) store16(out_ntk + at, theta);
      }
    }
    if constexpr (last) {
      for (std::size_t p = 0; p < kLanes; ++p) {
        t.sum_nngp[p] += row_weight * double(sum_nngp[p]);
        if (ntk_out) t.sum_ntk[p] += row_weight * double(sum_ntk[p]);
      }
    }
  }
  state = next;
}

// One layer on the grids `g` (updated to where its output went).
template <bool last, bool scalar_right>
void layer_sweep(const ConvPlan& plan, const Layer& layer, const Offset& o, NtkState& state,
                 Grids& g, Tile<float>& t) {
  const bool ntk_in = state == NtkState::live;
  if (layer.half_h == 1 && layer.half_w == 1) {
    const Grids other = g.nngp == t.nngp.data() ? Grids{t.tmp.data(), t.ntk_b.data()}
                                                : Grids{t.nngp.data(), t.ntk.data()};
    Box3 box(o.r, ntk_in, g, other, t);
    conv_relu<last, scalar_right>(plan, layer, o, state, box, t);
    g = other;
  } else {
    RingBox box(layer, o.r, static_cast<long long>(plan.shape.width), ntk_in, g, t);
    conv_relu<last, scalar_right>(plan, layer, o, state, box, t);
  }
}

}  // namespace

void run_tile_fused(const ConvPlan& plan, Tile<float>& t) {
  const long long H = static_cast<long long>(plan.shape.height), W = static_cast<long long>(plan.shape.width);
  std::fill(t.sum_nngp.begin(), t.sum_nngp.end(), 0.0);
  std::fill(t.sum_ntk.begin(), t.sum_ntk.end(), 0.0);
  std::vector<Layer> layers;
  for (std::size_t k = 0; k < plan.rules.size(); k += 2) {
    const ImageRule& conv = plan.rules[k];
    Layer l;
    l.half_h = half_height(conv);
    l.half_w = half_width(conv);
    l.scale = float(conv.w_std * conv.w_std / double(conv.filter_height * conv.filter_width));
    l.shift = float(conv.b_std * conv.b_std);
    l.trainable = conv.trainable;
    l.activation = k / 2;
    layers.push_back(l);
  }
  t.ntk_b.resize(t.ntk.size());  // 3 × 3 layers alternate between (nngp, ntk) and (tmp, ntk_b)
  Offset o;
  for (const auto& [d, e] : plan.offsets) {
    o.d = d;
    o.e = e;
    o.r = {std::max(0LL, -d), std::min(H, H - d), std::max(0LL, -e), std::min(W, W - e)};
    if (o.r.empty()) continue;
    o.diagonal = M16{};
    o.any_diagonal = d == 0 && e == 0 && !t.same_lanes.empty();
    if (o.any_diagonal)
      for (std::size_t p : t.same_lanes) o.diagonal[p] = -1;
    o.weights.resize(std::size_t(o.r.w1 - o.r.w0));
    for (long long w = o.r.w0; w < o.r.w1; ++w)
      o.weights[std::size_t(w - o.r.w0)] = float(plan.readout_w(arma::uword(w), arma::uword(w + e)));
    input_offset_image(plan, o, t);
    NtkState state = plan.track_ntk ? NtkState::zero : NtkState::none;
    Grids g{t.nngp.data(), t.ntk.data()};
    auto sweep = [&](auto scalar_right) {
      for (std::size_t l = 0; l + 1 < layers.size(); ++l)
        layer_sweep<false, scalar_right()>(plan, layers[l], o, state, g, t);
      layer_sweep<true, scalar_right()>(plan, layers.back(), o, state, g, t);
    };
    if (t.right.scalar_roots) sweep(std::true_type{});
    else sweep(std::false_type{});
  }
}

}  // namespace ntk::sdk::layers::detail
