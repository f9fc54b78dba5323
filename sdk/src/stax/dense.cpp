// Dense: z = s·W·h + β·b, neural-tangents' Dense(W_std, b_std).
//   NTK parametrisation:      s = W_std/√fan_in, β = b_std, W, b ~ N(0, 1) (stored)
//   standard parametrisation: s = β = 1, W ~ N(0, W_std²/fan_in), b ~ N(0, b_std²) (stored)
// Kernel: Σ ← W²Σ + b²; Θ ← W²Θ + Σ_new (NTK), W²Θ + fan_in·Σ_old + 1 (standard); frozen:
// Θ ← W²Θ. Parameters: W (fan_out × fan_in, column-major) then b (fan_out), drawn in that order.
// An image input is read as its flattened vector (channel-major), as the fc plugin always did.
#include <cmath>
#include <sstream>

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
    arma::mat z = scale_ * (weight(p) * in);
    z.each_col() += bias_scale_ * bias(p);
    if (cache != nullptr) cache->input = in;
    return z;
  }
  arma::mat backward(const double* p, const LayerCache& cache, const arma::mat& delta,
                     arma::uword r, double* grad, bool need_input) const override {
    if (grad != nullptr && o_.trainable) {
      arma::mat gw(grad, fan_out_, fan_in_, false, true);
      arma::vec gb(grad + fan_out_ * fan_in_, fan_out_, false, true);
      if (r == 1) {
        gw += scale_ * (delta * cache.input.t());
      } else {  // each example's input serves its r signals
        gw += scale_ * (delta * arma::repelem(cache.input, 1, r).t());
      }
      gb += bias_scale_ * arma::sum(delta, 1);
    }
    if (!need_input) return {};
    return scale_ * (weight(p).t() * delta);
  }
  arma::mat jvp(const double* p, const double* dp, const LayerCache& cache,
                const arma::mat& din) const override {
    // dz = s·(dW·h + W·dh) + β·db; a frozen layer's parameters do not move.
    arma::mat dz(fan_out_, cache.input.n_cols, arma::fill::zeros);
    if (o_.trainable) {
      dz = scale_ * (weight(dp) * cache.input);
      dz.each_col() += bias_scale_ * bias(dp);
    }
    if (!din.is_empty()) dz += scale_ * (weight(p) * din);
    return dz;
  }
  void ntk_term(const double* p, const LayerCache& ca, const arma::mat& da, const LayerCache& cb,
                const arma::mat& db, arma::uword r, bool symmetric,
                arma::mat& theta) const override {
    (void)p;
    const arma::uword n1 = ca.input.n_cols;
    if (r > 1 && theta.n_rows == n1 * r) {
      // Per output pair: (δ_aᵀδ_b)(i·r+o, j·r+o') times the feature factor of (i, j).
      const arma::mat gram = symmetric ? arma::mat(ca.input.t() * ca.input)
                                       : arma::mat(ca.input.t() * cb.input);
      const arma::mat factor = scale_ * scale_ * gram + bias_scale_ * bias_scale_;
      const arma::mat signal = symmetric ? arma::mat(da.t() * da) : arma::mat(da.t() * db);
      theta += signal % arma::kron(factor, arma::ones(r, r));
      return;
    }
    // Σ_o ⟨δ_o(a_i), δ_o(b_j)⟩: the n·r signal columns viewed as (fan_out·r) × n.
    const arma::mat va(const_cast<double*>(da.memptr()), fan_out_ * r, ca.input.n_cols, false, true);
    arma::mat signal, gram;
    if (symmetric) {
      signal = va.t() * va;
      gram = ca.input.t() * ca.input;
    } else {
      const arma::mat vb(const_cast<double*>(db.memptr()), fan_out_ * r, cb.input.n_cols, false, true);
      signal = va.t() * vb;
      gram = ca.input.t() * cb.input;
    }
    theta += signal % (scale_ * scale_ * gram + bias_scale_ * bias_scale_);
  }

 private:
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
