// Activation layers (any ntk::sdk::Activation, activation.hpp) and LayerNorm over features.
//
// LayerNorm, as neural-tangents' LayerNorm(axis=-1, eps=1e-12): per example,
// y = (x − mean(x)) / √(var(x) + ε) over the features (population variance). Its kernel rule
// is Σ ← Σ/√(Σ11Σ22), Θ ← Θ/√(Σ11Σ22): at infinite width the mean over features vanishes and
// the variance is Σ(x, x).
#include <algorithm>
#include <cmath>
#include <string>

#include "conv_patches.hpp"
#include "finite_blas.hpp"
#include "ntk/sdk/stax.hpp"

namespace ntk::sdk::stax {
namespace {

// φ is applied once per forward pass and φ'(z) is kept in the cache (LayerCache::extra), so
// backward (called twice by the structured NTK) and jvp never re-evaluate it. Relu and Erf — the
// catalog's closed forms (Activation::builtin(), also what the kernel program keys on) — take one
// vectorised loop (sdk::relu_or_erf) instead of two virtual calls per entry.
class FiniteActivation : public FiniteLayer {
 public:
  FiniteActivation(Shape shape, ActivationPtr act) : shape_(shape), act_(std::move(act)) {
    const Activation::Builtin b = act_->builtin();
    kind_ = b == Activation::Builtin::relu  ? Kind::relu
            : b == Activation::Builtin::erf ? Kind::erf
                                            : Kind::other;
  }
  Shape output_shape() const override { return shape_; }
  arma::mat forward(const double*, const arma::mat& in, LayerCache* cache) const override {
    arma::mat out = in;
    arma::mat* d = cache != nullptr ? &cache->extra : nullptr;
    if (kind_ != Kind::other) {
      relu_or_erf(out, d, kind_ == Kind::relu);
    } else {
      double* y = out.memptr();
      if (d != nullptr) {
        d->set_size(in.n_rows, in.n_cols);
        for (arma::uword i = 0; i < in.n_elem; ++i) (*d)[i] = act_->derivative(y[i]);
      }
      for (arma::uword i = 0; i < in.n_elem; ++i) y[i] = act_->value(y[i]);
    }
    return out;
  }
  // The workspace form: φ(z) into cache.output and φ'(z) into cache.extra; relu keeps no
  // derivative (extra left empty): relu'(z) = [φ(z) > 0] is read off the output. Relu is one
  // serial loop (memory-bound: an OpenMP region would cost more than it saves next to the
  // GEMMs, and competes with OpenBLAS's threads); erf keeps sdk::relu_or_erf's parallel loop.
  const arma::mat& forward_into(const double*, const arma::mat& in,
                                LayerCache& cache) const override {
    cache.input_ref = nullptr;
    arma::mat& out = cache.output;
    out.set_size(in.n_rows, in.n_cols);
    if (kind_ == Kind::relu) {
      cache.extra.reset();
      const double* __restrict z = in.memptr();
      double* __restrict y = out.memptr();
#pragma omp simd  // SIMD only, no threads (-O2 does not vectorise this loop by itself)
      for (arma::uword i = 0; i < in.n_elem; ++i) y[i] = z[i] > 0 ? z[i] : 0.0;
      return out;
    }
    arma::mat& d = cache.extra;
    d.set_size(in.n_rows, in.n_cols);
    if (kind_ == Kind::erf) {
      std::copy(in.begin(), in.end(), out.begin());
      relu_or_erf(out, &d, false);
    } else {
      for (arma::uword i = 0; i < in.n_elem; ++i) {
        d[i] = act_->derivative(in[i]);
        out[i] = act_->value(in[i]);
      }
    }
    return out;
  }
  arma::mat backward(const double*, const LayerCache& cache, const arma::mat& delta,
                     arma::uword r, double*, bool need_input) const override {
    if (!need_input) return {};
    arma::mat out(delta.n_rows, delta.n_cols);
    times_derivative(cache, delta, r, out);
    return out;
  }
  const arma::mat& backward_into(const double*, LayerCache& cache, const arma::mat& delta,
                                 arma::uword r, double*, bool need_input) const override {
    if (!need_input) return finite::no_signal();
    cache.signal.set_size(delta.n_rows, delta.n_cols);
    times_derivative(cache, delta, r, cache.signal);
    return cache.signal;
  }
  arma::mat jvp(const double*, const double*, const LayerCache& cache,
                const arma::mat& din) const override {
    const arma::mat& y = relu_from_output(cache) ? cache.output : cache.extra;
    if (din.is_empty()) return arma::zeros(y.n_rows, y.n_cols);
    arma::mat out(din.n_rows, din.n_cols);
    times_derivative(cache, din, 1, out);
    return out;
  }

 private:
  // A relu cache from forward_into: the derivative is [output > 0].
  bool relu_from_output(const LayerCache& cache) const {
    return kind_ == Kind::relu && cache.extra.is_empty();
  }
  // out = δ ⊙ φ'(z), column c of δ taking example c / r's derivative.
  void times_derivative(const LayerCache& cache, const arma::mat& delta, arma::uword r,
                        arma::mat& out) const {
    const arma::uword rows = delta.n_rows;
    const bool from_output = relu_from_output(cache);
    for (arma::uword c = 0; c < delta.n_cols; ++c) {
      const double* __restrict in = delta.colptr(c);
      double* __restrict o = out.colptr(c);
      if (from_output) {
        const double* __restrict y = cache.output.colptr(c / r);
#pragma omp simd
        for (arma::uword i = 0; i < rows; ++i) o[i] = y[i] > 0 ? in[i] : 0.0;
      } else {
        const double* __restrict d = cache.extra.colptr(c / r);
#pragma omp simd
        for (arma::uword i = 0; i < rows; ++i) o[i] = in[i] * d[i];
      }
    }
  }
  enum class Kind { relu, erf, other };
  Shape shape_;
  ActivationPtr act_;
  Kind kind_ = Kind::other;
};

class ActivationLayer : public Layer {
 public:
  explicit ActivationLayer(ActivationPtr act) : act_(std::move(act)) {
    if (!act_) throw_error("activation(): null activation");
  }
  std::string name() const override { return act_->name(); }
  Shape output_shape(const Shape& in, const LayerContext&) const override { return in; }
  void kernel_rule(KernelProgram& program, const LayerContext&) const override {
    program.activation(act_);
  }
  std::unique_ptr<FiniteLayer> instantiate(const Shape& in, const LayerContext&) const override {
    return std::make_unique<FiniteActivation>(in, act_);
  }

 private:
  ActivationPtr act_;
};

constexpr double kLayerNormEps = 1e-12;

class FiniteLayerNorm : public FiniteLayer {
 public:
  explicit FiniteLayerNorm(Shape shape) : shape_(shape) {}
  Shape output_shape() const override { return shape_; }
  arma::mat forward(const double*, const arma::mat& in, LayerCache* cache) const override {
    arma::rowvec inv_sigma;
    arma::mat y = normalise(in, inv_sigma);
    if (cache != nullptr) {
      cache->input_ref = nullptr;
      cache->input = in;
      cache->extra = inv_sigma;
    }
    return y;
  }
  // dx = (1/σ)(dy − mean(dy) − y·mean(dy ⊙ y)), per example column.
  arma::mat backward(const double*, const LayerCache& cache, const arma::mat& delta,
                     arma::uword r, double*, bool need_input) const override {
    if (!need_input) return {};
    arma::rowvec inv_sigma;
    const arma::mat y = normalise(cache.layer_input(), inv_sigma);
    arma::mat out(delta.n_rows, delta.n_cols);
    for (arma::uword c = 0; c < delta.n_cols; ++c) {
      const arma::uword e = c / r;
      const arma::vec dy = delta.col(c);
      out.col(c) = inv_sigma[e] * (dy - arma::mean(dy) - y.col(e) * arma::mean(dy % y.col(e)));
    }
    return out;
  }
  arma::mat jvp(const double*, const double*, const LayerCache& cache,
                const arma::mat& din) const override {
    const arma::mat& x = cache.layer_input();
    if (din.is_empty()) return arma::zeros(x.n_rows, x.n_cols);
    arma::rowvec inv_sigma;
    const arma::mat y = normalise(x, inv_sigma);
    arma::mat out(din.n_rows, din.n_cols);
    for (arma::uword c = 0; c < din.n_cols; ++c) {
      const arma::vec dx = din.col(c);
      out.col(c) = inv_sigma[c] * (dx - arma::mean(dx) - y.col(c) * arma::mean(dx % y.col(c)));
    }
    return out;
  }

 private:
  static arma::mat normalise(const arma::mat& x, arma::rowvec& inv_sigma) {
    const arma::rowvec mean = arma::mean(x, 0);
    arma::mat y = x.each_row() - mean;
    const arma::rowvec var = arma::mean(arma::square(y), 0);
    inv_sigma = 1.0 / arma::sqrt(var + kLayerNormEps);
    y.each_row() %= inv_sigma;
    return y;
  }
  Shape shape_;
};

class LayerNorm : public Layer {
 public:
  std::string name() const override { return "LayerNorm"; }
  Shape output_shape(const Shape& in, const LayerContext&) const override {
    if (in.is_image())
      throw_error("layer_norm takes vectors (features), got ", in.text(),
                  "; put flatten or a pooling layer before it");
    return in;
  }
  void kernel_rule(KernelProgram& program, const LayerContext&) const override {
    program.layer_norm();
  }
  std::unique_ptr<FiniteLayer> instantiate(const Shape& in, const LayerContext&) const override {
    return std::make_unique<FiniteLayerNorm>(in);
  }
};

}  // namespace

LayerPtr activation(ActivationPtr act) { return std::make_shared<ActivationLayer>(std::move(act)); }
LayerPtr activation(const std::string& name, const Options& options) {
  return activation(make_activation(name, options));
}
LayerPtr layer_norm() { return std::make_shared<LayerNorm>(); }

}  // namespace ntk::sdk::stax
