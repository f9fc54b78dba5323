// Dense: z = s·W·h + β·b, neural-tangents' Dense(W_std, b_std).
//   NTK parametrisation:      s = W_std/√fan_in, β = b_std, W, b ~ N(0, 1) (stored)
//   standard parametrisation: s = β = 1, W ~ N(0, W_std²/fan_in), b ~ N(0, b_std²) (stored)
// Kernel: Σ ← W²Σ + b²; Θ ← W²Θ + Σ_new (NTK), W²Θ + fan_in·Σ_old + 1 (standard); frozen:
// Θ ← W²Θ. Parameters: W (fan_out × fan_in, column-major) then b (fan_out), drawn in that order.
// An image input is read as its flattened vector (channel-major), as the fc plugin always did.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "finite_blas.hpp"
#include "ntk/sdk/stax.hpp"

namespace ntk::sdk::stax {
namespace {

class FiniteDense : public FiniteLayer {
 public:
  FiniteDense(arma::uword fan_in, arma::uword fan_out, const DenseOptions& o, Parametrization p)
      : fan_in_(fan_in), fan_out_(fan_out), o_(o), standard_(p == Parametrization::standard) {
    scale_ = standard_ ? 1.0 : o.w_std / std::sqrt(double(fan_in));
    bias_scale_ = standard_ ? 1.0 : o.b_std;
  }
  Shape output_shape() const override { return Shape::vector(fan_out_); }
  arma::uword num_params() const override { return fan_out_ * fan_in_ + fan_out_; }
  bool trainable() const override { return o_.trainable; }
  bool full_ntk_terms() const override { return true; }
  void init(double* p, std::mt19937_64& rng) const override {
    std::normal_distribution<double> normal(0.0, 1.0);
    const double w = standard_ ? o_.w_std / std::sqrt(double(fan_in_)) : 1.0;
    const double b = standard_ ? o_.b_std : 1.0;
    const arma::uword nw = fan_out_ * fan_in_;
    for (arma::uword i = 0; i < nw; ++i) p[i] = w * normal(rng);
    for (arma::uword i = 0; i < fan_out_; ++i) p[nw + i] = b * normal(rng);
  }
  arma::mat forward(const double* p, const arma::mat& in, LayerCache* cache) const override {
    arma::mat z(fan_out_, in.n_cols);
    affine(p, in, z);
    if (cache != nullptr) {
      cache->input_ref = nullptr;
      cache->input = in;
    }
    return z;
  }
  const arma::mat& forward_into(const double* p, const arma::mat& in,
                                LayerCache& cache) const override {
    cache.input_ref = &in;
    cache.output.set_size(fan_out_, in.n_cols);
    affine(p, in, cache.output);
    return cache.output;
  }
  arma::mat backward(const double* p, const LayerCache& cache, const arma::mat& delta,
                     arma::uword r, double* grad, bool need_input) const override {
    gradient(cache.layer_input(), delta, r, grad, true);
    if (!need_input) return {};
    arma::mat d(fan_in_, delta.n_cols);
    finite::gemm(scale_, weight(p), true, delta, false, 0.0, d);
    return d;
  }
  const arma::mat& backward_into(const double* p, LayerCache& cache, const arma::mat& delta,
                                 arma::uword r, double* grad, bool need_input) const override {
    gradient(cache.layer_input(), delta, r, grad, false);
    if (!need_input) return finite::no_signal();
    cache.signal.set_size(fan_in_, delta.n_cols);
    finite::gemm(scale_, weight(p), true, delta, false, 0.0, cache.signal);
    return cache.signal;
  }
  arma::mat jvp(const double* p, const double* dp, const LayerCache& cache,
                const arma::mat& din) const override {
    // dz = s·(dW·h + W·dh) + β·db; a frozen layer's parameters do not move.
    const arma::mat& h = cache.layer_input();
    arma::mat dz(fan_out_, h.n_cols, arma::fill::zeros);
    if (o_.trainable) affine(dp, h, dz);
    if (!din.is_empty()) finite::gemm(scale_, weight(p), false, din, false, 1.0, dz);
    return dz;
  }
  void ntk_term(const double* p, const LayerCache& ca, const arma::mat& da, const LayerCache& cb,
                const arma::mat& db, arma::uword r, bool symmetric,
                arma::mat& theta) const override {
    (void)p;
    const arma::mat& ha = ca.layer_input();
    const arma::mat& hb = cb.layer_input();
    const arma::uword n1 = ha.n_cols;
    if (r > 1 && theta.n_rows == n1 * r) {
      // Per output pair: (δ_aᵀδ_b)(i·r+o, j·r+o') times the feature factor of (i, j).
      const arma::mat gram = symmetric ? arma::mat(ha.t() * ha) : arma::mat(ha.t() * hb);
      const arma::mat factor = scale_ * scale_ * gram + bias_scale_ * bias_scale_;
      const arma::mat signal = symmetric ? arma::mat(da.t() * da) : arma::mat(da.t() * db);
      theta += signal % arma::kron(factor, arma::ones(r, r));
      return;
    }
    // Σ_o ⟨δ_o(a_i), δ_o(b_j)⟩: the n·r signal columns viewed as (fan_out·r) × n.
    const arma::mat va(const_cast<double*>(da.memptr()), fan_out_ * r, ha.n_cols, false, true);
    arma::mat signal, gram;
    if (symmetric) {
      signal = va.t() * va;
      gram = ha.t() * ha;
    } else {
      const arma::mat vb(const_cast<double*>(db.memptr()), fan_out_ * r, hb.n_cols, false, true);
      signal = va.t() * vb;
      gram = ha.t() * hb;
    }
    theta += signal % (scale_ * scale_ * gram + bias_scale_ * bias_scale_);
  }

 private:
  // z = s·W·h + β·b into z (fan_out × n, already sized), one dgemm then the bias column.
  void affine(const double* p, const arma::mat& h, arma::mat& z) const {
    finite::gemm(scale_, weight(p), false, h, false, 0.0, z);
    if (bias_scale_ == 0) return;
    const double* b = p + fan_out_ * fan_in_;
    for (arma::uword j = 0; j < z.n_cols; ++j) {
      double* __restrict col = z.colptr(j);
#pragma omp simd  // SIMD only, no threads
      for (arma::uword i = 0; i < fan_out_; ++i) col[i] += bias_scale_ * b[i];
    }
  }
  // grad += (or, unless accumulate, grad =) (s·δ·hᵀ, β·Σ_columns δ); δ has r columns per
  // example. A frozen layer adds nothing (writes zeros).
  void gradient(const arma::mat& h, const arma::mat& delta, arma::uword r, double* grad,
                bool accumulate) const {
    if (grad == nullptr) return;
    if (!o_.trainable) {
      if (!accumulate) std::fill(grad, grad + num_params(), 0.0);
      return;
    }
    arma::mat gw(grad, fan_out_, fan_in_, false, true);
    if (r == 1) {
      finite::gemm(scale_, delta, false, h, true, accumulate ? 1.0 : 0.0, gw);
    } else {  // each example's input serves its r signals
      const arma::mat g = scale_ * (delta * arma::repelem(h, 1, r).t());
      if (accumulate) gw += g;
      else gw = g;
    }
    arma::vec gb(grad + fan_out_ * fan_in_, fan_out_, false, true);
    if (accumulate) gb += bias_scale_ * arma::sum(delta, 1);  // fan_out values: no pages
    else gb = bias_scale_ * arma::sum(delta, 1);
  }
  arma::mat weight(const double* p) const {
    return arma::mat(const_cast<double*>(p), fan_out_, fan_in_, false, true);
  }
  arma::vec bias(const double* p) const {
    return arma::vec(const_cast<double*>(p) + fan_out_ * fan_in_, fan_out_, false, true);
  }

  arma::uword fan_in_, fan_out_;
  DenseOptions o_;
  bool standard_;
  double scale_ = 1, bias_scale_ = 1;
};

class Dense : public Layer {
 public:
  explicit Dense(const DenseOptions& o) : o_(o) {
    if (!std::isfinite(o.w_std) || !(o.w_std > 0))
      throw_error("dense: w_std = ", o.w_std, " must be a finite positive number");
    if (!std::isfinite(o.b_std) || o.b_std < 0)
      throw_error("dense: b_std = ", o.b_std, " must be a finite number >= 0");
  }
  std::string name() const override {
    std::ostringstream out;
    out << "Dense(W_std=" << o_.w_std << ", b_std=" << o_.b_std;
    if (o_.width > 0) out << ", width=" << o_.width;
    if (!o_.trainable) out << ", frozen";
    out << ")";
    return out.str();
  }
  bool parametrised() const override { return true; }
  Shape output_shape(const Shape& in, const LayerContext& c) const override {
    (void)in;
    return Shape::vector(out_width(c));
  }
  void kernel_rule(KernelProgram& program, const LayerContext& c) const override {
    program.dense(o_.w_std, o_.b_std, c.parametrization, out_width(c), o_.trainable);
  }
  std::unique_ptr<FiniteLayer> instantiate(const Shape& in, const LayerContext& c) const override {
    return std::make_unique<FiniteDense>(in.size(), out_width(c), o_, c.parametrization);
  }

 private:
  arma::uword out_width(const LayerContext& c) const {
    if (c.readout) return c.outputs;
    return o_.width > 0 ? o_.width : c.width;
  }
  DenseOptions o_;
};

}  // namespace

LayerPtr dense(const DenseOptions& options) { return std::make_shared<Dense>(options); }
LayerPtr dense(double w_std, double b_std) {
  DenseOptions o;
  o.w_std = w_std;
  o.b_std = b_std;
  return dense(o);
}

}  // namespace ntk::sdk::stax
