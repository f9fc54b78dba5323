// The tile engine of layers_conv.hpp: example pairs in tiles of kLanes, each tile carried
// through every rule offset image by offset image (see layers_conv.hpp for the method).
#include <algorithm>
#include <cmath>
#include <vector>

#include "layers_conv_detail.hpp"
#include "layers_conv_grid.hpp"
#include "layers_elementwise.hpp"
#include "layers_elementwise_float.hpp"

namespace ntk::sdk::layers::detail {
namespace {

constexpr std::size_t kLanes = 16;  // one AVX-512 register of floats, two of doubles

// Where the right-hand pixel of an offset image lies: column w of the left image pairs with
// column w + e (SAME) or (w + e) mod W (CIRCULAR); likewise rows.
inline long long partner(long long i, long long offset, long long n, bool circular) {
  const long long j = i + offset;
  return circular ? (j >= n ? j - n : j) : j;
}

template <class T>
struct Tile {
  Grid<T, kLanes> grid;
  std::vector<T> nngp, ntk, tmp;          // grids
  std::vector<T> left_x, right_x;         // C·H·W pixels × lanes, no margin
  std::vector<std::vector<T>> left_var, right_var;  // per activation: H·W × lanes
  std::vector<double> sum_nngp, sum_ntk;  // readout accumulators, per lane
  std::vector<std::size_t> same_lanes;    // lanes whose two examples are the same

  Tile(const ConvPlan& plan, std::size_t activations)
      : grid(static_cast<long long>(plan.shape.height), static_cast<long long>(plan.shape.width), static_cast<long long>(plan.margin)),
        nngp(grid.size(), T(0)), ntk(grid.size(), T(0)), tmp(grid.size(), T(0)),
        left_var(activations), right_var(activations), sum_nngp(kLanes), sum_ntk(kLanes) {}
};

template <class T>
void gather(const ConvPlan& plan, const ExampleSet sets[2], const PairItem* items,
            std::size_t count, Tile<T>& t) {
  const arma::uword pixels = plan.shape.size();
  const arma::uword area = plan.shape.height * plan.shape.width;
  t.left_x.resize(pixels * kLanes);
  t.right_x.resize(pixels * kLanes);
  for (auto& v : t.left_var) v.resize(area * kLanes);
  for (auto& v : t.right_var) v.resize(area * kLanes);
  t.same_lanes.clear();
  for (std::size_t p = 0; p < kLanes; ++p) {
    const PairItem& it = items[std::min(p, count - 1)];  // a short tile repeats its last pair
    if (it.same()) t.same_lanes.push_back(p);
    const double* lx = sets[it.left_set].x->colptr(it.left);
    const double* rx = sets[it.right_set].x->colptr(it.right);
    for (arma::uword i = 0; i < pixels; ++i) {
      t.left_x[i * kLanes + p] = T(lx[i]);
      t.right_x[i * kLanes + p] = T(rx[i]);
    }
    for (std::size_t k = 0; k < t.left_var.size(); ++k) {
      const double* lv = sets[it.left_set].variances[k].colptr(it.left);
      const double* rv = sets[it.right_set].variances[k].colptr(it.right);
      for (arma::uword i = 0; i < area; ++i) {
        t.left_var[k][i * kLanes + p] = T(lv[i]);
        t.right_var[k][i * kLanes + p] = T(rv[i]);
      }
    }
  }
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
      const T* lx = t.left_x.data() + (c * H * W + h * W) * kLanes;
      const T* rx = t.right_x.data() + (c * H * W + h2 * W) * kLanes;
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
          t.nngp[t.grid.at(h, w) + p] = t.left_var[k][std::size_t(h * W + w) * kLanes + p];
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
      const T* v1 = t.left_var[k].data() + std::size_t(h * W + w) * kLanes;
      const T* v2 = t.right_var[k].data() + std::size_t(h2 * W + w2) * kLanes;
      if (rule.kind == ImageRule::Kind::relu) relu_entries(s, n, v1, v2, len);
      else erf_entries(s, n, v1, v2, len);
      w = end;
    }
  }
}

template <class T>
void accumulate(const ConvPlan& plan, long long d, long long e, const Rect& r, bool with_ntk,
                Tile<T>& t) {
  const long long H = static_cast<long long>(plan.shape.height), W = static_cast<long long>(plan.shape.width);
  for (long long h = r.h0; h < r.h1; ++h) {
    const double rh = plan.readout_h(arma::uword(h), arma::uword(partner(h, d, H, plan.circular)));
    if (rh == 0) continue;
    for (long long w = r.w0; w < r.w1; ++w) {
      const double weight = rh * plan.readout_w(arma::uword(w), arma::uword(partner(w, e, W, plan.circular)));
      if (weight == 0) continue;
      const std::size_t at = t.grid.at(h, w);
      for (std::size_t p = 0; p < kLanes; ++p) t.sum_nngp[p] += weight * double(t.nngp[at + p]);
      if (with_ntk)
        for (std::size_t p = 0; p < kLanes; ++p) t.sum_ntk[p] += weight * double(t.ntk[at + p]);
    }
  }
}

template <class T>
void run_tile(const ConvPlan& plan, Tile<T>& t) {
  const long long H = static_cast<long long>(plan.shape.height), W = static_cast<long long>(plan.shape.width);
  std::fill(t.sum_nngp.begin(), t.sum_nngp.end(), 0.0);
  std::fill(t.sum_ntk.begin(), t.sum_ntk.end(), 0.0);
  for (const auto& [d, e] : plan.offsets) {
    Rect r;
    if (plan.circular) r = {0, H, 0, W};
    else r = {std::max(0LL, -d), std::min(H, H - d), std::max(0LL, -e), std::min(W, W - e)};
    if (r.empty()) continue;
    input_offset_image(plan, d, e, r, t);
    bool ntk_zero = true;
    std::size_t activation = 0;
    for (const ImageRule& rule : plan.rules) {
      if (rule.kind == ImageRule::Kind::conv) {
        const long long half = static_cast<long long>(rule.filter / 2);
        const T scale = T(rule.w_std * rule.w_std / double(rule.filter * rule.filter));
        const T shift = T(rule.b_std * rule.b_std);
        t.grid.box(t.nngp.data(), t.tmp.data(), r, half, plan.circular, scale, shift, nullptr);
        if (plan.track_ntk) {
          if (ntk_zero) {
            for (long long h = r.h0; h < r.h1; ++h)
              std::copy_n(t.nngp.data() + t.grid.at(h, r.w0), std::size_t(r.w1 - r.w0) * kLanes,
                          t.ntk.data() + t.grid.at(h, r.w0));
          } else {
            t.grid.box(t.ntk.data(), t.tmp.data(), r, half, plan.circular, scale, T(0),
                       t.nngp.data());
          }
          ntk_zero = false;
        }
      } else {
        activate(plan, rule, activation++, d, e, r, plan.track_ntk && !ntk_zero, t);
      }
    }
    // Θ stays 0 when no conv rule ran; accumulate() then reads the zero grid.
    accumulate(plan, d, e, r, plan.track_ntk, t);
    if (!plan.circular) {  // restore the all-zero state SAME padding relies on
      t.grid.clear(t.nngp.data(), r);
      t.grid.clear(t.ntk.data(), r);
      t.grid.clear(t.tmp.data(), r);
    }
  }
}

}  // namespace

template <class T>
void run_pairs(const ConvPlan& plan, const ExampleSet sets[2], const std::vector<PairItem>& items,
               double* nngp, double* ntk) {
  const std::size_t tiles = (items.size() + kLanes - 1) / kLanes;
  std::size_t activations = 0;
  for (const auto& rule : plan.rules) activations += rule.kind != ImageRule::Kind::conv;
#pragma omp parallel
  {
    Tile<T> tile(plan, activations);
#pragma omp for schedule(dynamic, 1)
    for (std::size_t i = 0; i < tiles; ++i) {
      const std::size_t first = i * kLanes, count = std::min(kLanes, items.size() - first);
      gather(plan, sets, items.data() + first, count, tile);
      run_tile(plan, tile);
      for (std::size_t p = 0; p < count; ++p) {
        nngp[first + p] = tile.sum_nngp[p];
        if (ntk != nullptr) ntk[first + p] = tile.sum_ntk[p];
      }
    }
  }
}

template void run_pairs<double>(const ConvPlan&, const ExampleSet[2], const std::vector<PairItem>&,
                                double*, double*);
template void run_pairs<float>(const ConvPlan&, const ExampleSet[2], const std::vector<PairItem>&,
                               double*, double*);

std::vector<arma::mat> variance_recursion(const ConvPlan& plan, const arma::mat& x) {
  const arma::uword H = plan.shape.height, W = plan.shape.width, C = plan.shape.channels;
  const arma::uword n = x.n_cols, area = H * W;
  std::vector<arma::mat> out;
  for (const auto& rule : plan.rules)
    if (rule.kind != ImageRule::Kind::conv) out.emplace_back(area, n);
  out.emplace_back(area, n);
  const Rect full{0, static_cast<long long>(H), 0, static_cast<long long>(W)};
#pragma omp parallel
  {
    Grid<double, 1> grid(static_cast<long long>(H), static_cast<long long>(W), static_cast<long long>(plan.margin));
    std::vector<double> v(grid.size(), 0.0), tmp(grid.size(), 0.0);
#pragma omp for schedule(static)
    for (arma::uword j = 0; j < n; ++j) {
      const double* col = x.colptr(j);
      for (arma::uword i = 0; i < area; ++i) {
        double s = 0;
        for (arma::uword c = 0; c < C; ++c) s += col[c * area + i] * col[c * area + i];
        v[grid.at(static_cast<long long>(i / W), static_cast<long long>(i % W))] = s / double(C);
      }
      std::size_t k = 0;
      for (const auto& rule : plan.rules) {
        if (rule.kind == ImageRule::Kind::conv) {
          grid.box(v.data(), tmp.data(), full, static_cast<long long>(rule.filter / 2), plan.circular,
                   rule.w_std * rule.w_std / double(rule.filter * rule.filter),
                   rule.b_std * rule.b_std, nullptr);
          continue;
        }
        for (arma::uword i = 0; i < area; ++i) {
          double& value = v[grid.at(static_cast<long long>(i / W), static_cast<long long>(i % W))];
          out[k](i, j) = value;
          // The activation rules on the diagonal Σ12 = Σ11 = Σ22 = v (layers_elementwise.hpp).
          if (rule.kind == ImageRule::Kind::relu) relu_variances(&value, 1);
          else erf_variances(&value, 1);
        }
        ++k;
      }
      for (arma::uword i = 0; i < area; ++i) out[k](i, j) = v[grid.at(static_cast<long long>(i / W), static_cast<long long>(i % W))];
    }
  }
  return out;
}

}  // namespace ntk::sdk::layers::detail
