// The fused float32 path of the conv tile engine (layers_conv_fused.hpp).
#include "layers_conv_fused.hpp"

#include <algorithm>
#include <atomic>

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

// One Conv(SAME) + Relu on the offset image, in place, row by row; after the last layer
// (`last`) the readout's weighted sums instead of the grids.
template <bool last>
void conv_relu(const ConvPlan& plan, const Layer& layer, const Offset& o, NtkState& state,
               Tile<float>& t) {
  const long long W = static_cast<long long>(plan.shape.width);
  const Rect& r = o.r;
  const long long hh = layer.half_h, ring = 2 * hh + 1;
  const std::size_t ring_row = std::size_t(W * kL);
  if (t.ring_nngp.size() < std::size_t(ring) * ring_row) {
    t.ring_nngp.resize(std::size_t(ring) * ring_row);
    t.ring_ntk.resize(std::size_t(ring) * ring_row);
  }
  const bool ntk_in = state == NtkState::live;
  const NtkState next = state == NtkState::none ? NtkState::none
                        : layer.trainable       ? NtkState::live
                                                : state;
  const bool ntk_out = next == NtkState::live;
  auto fill_ring = [&](long long h) {
    const std::size_t slot = std::size_t(h % ring) * ring_row;
    row_sums(t.nngp.data() + t.grid.at(h, 0), t.ring_nngp.data() + slot, r.w0, r.w1, layer.half_w);
    if (ntk_in)
      row_sums(t.ntk.data() + t.grid.at(h, 0), t.ring_ntk.data() + slot, r.w0, r.w1, layer.half_w);
  };
  for (long long h = r.h0; h < std::min(r.h0 + hh, r.h1); ++h) fill_ring(h);
  const F16 scale = splat(layer.scale), shift = splat(layer.shift);
  const float* rows_nngp[2 * kMaxHalfFilter + 1];  // the ring rows of one column sum
  const float* rows_ntk[2 * kMaxHalfFilter + 1];
  const std::size_t k = layer.activation;
  for (long long h = r.h0; h < r.h1; ++h) {
    if (h + hh < r.h1) fill_ring(h + hh);
    double row_weight = 0;
    if constexpr (last) {
      row_weight = plan.readout_h(arma::uword(h), arma::uword(h + o.d));
      if (row_weight == 0) continue;
    }
    const long long lo = std::max(h - hh, r.h0), hi = std::min(h + hh, r.h1 - 1), m = hi - lo + 1;
    for (long long j = 0; j < m; ++j) {
      const std::size_t slot = std::size_t((lo + j) % ring) * ring_row;
      rows_nngp[j] = t.ring_nngp.data() + slot;
      rows_ntk[j] = t.ring_ntk.data() + slot;
    }
    const std::size_t left = std::size_t(h * W) * kLanes, right = std::size_t((h + o.d) * W + o.e) * kLanes;
    const float* inv1 = t.left.inv_root[k] + left;
    const float* root1 = t.left.root[k] + left;
    const float* inv2 = t.right.inv_root[k] + right;
    const float* root2 = t.right.root[k] + right;
    float* out_nngp = t.nngp.data() + t.grid.at(h, 0);
    float* out_ntk = t.ntk.data() + t.grid.at(h, 0);
    F16 sum_nngp{}, sum_ntk{};
    for (long long w = r.w0; w < r.w1; ++w) {
      const long long at = w * kL;
      F16 s = column_sum(rows_nngp, m, at) * scale + shift;
      F16 theta{};
      if (ntk_in) theta = column_sum(rows_ntk, m, at) * scale + (layer.trainable ? s : F16{});
      else if (ntk_out) theta = s;
      const F16 i1 = load16(inv1 + at), i2 = load16(inv2 + at);
      const F16 r1 = load16(root1 + at), r2 = load16(root2 + at);
      if (ntk_out) relu16<true>(s, theta, i1, i2, r1, r2, o.diagonal);
      else relu16<false>(s, theta, i1, i2, r1, r2, o.diagonal);
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
  Offset o;
  for (const auto& [d, e] : plan.offsets) {
    o.d = d;
    o.e = e;
    o.r = {std::max(0LL, -d), std::min(H, H - d), std::max(0LL, -e), std::min(W, W - e)};
    if (o.r.empty()) continue;
    o.diagonal = M16{};
    if (d == 0 && e == 0)
      for (std::size_t p : t.same_lanes) o.diagonal[p] = -1;
    o.weights.resize(std::size_t(o.r.w1 - o.r.w0));
    for (long long w = o.r.w0; w < o.r.w1; ++w)
      o.weights[std::size_t(w - o.r.w0)] = float(plan.readout_w(arma::uword(w), arma::uword(w + e)));
    input_offset_image(plan, o, t);
    NtkState state = plan.track_ntk ? NtkState::zero : NtkState::none;
    for (std::size_t l = 0; l + 1 < layers.size(); ++l) conv_relu<false>(plan, layers[l], o, state, t);
    conv_relu<true>(plan, layers.back(), o, state, t);
  }
}

}  // namespace ntk::sdk::layers::detail
