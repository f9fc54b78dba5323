// serial and residual: layers made of layers (neural-tangents' stax.serial, and
// FanOut(2) >> parallel(branch, Identity) >> FanInSum with the branch scaled by alpha).
//
// Finite parts: a chain of finite layers over consecutive slices of the parameter vector.
// Residual: y = x + α·branch(x), so ∂/∂x = δ + branch.backward(α·δ), jvp = dx + α·branch.jvp,
// and the branch's NTK terms are taken with the signals α·δ.
#include <sstream>

#include "finite_blas.hpp"
#include "finite_chain.hpp"
#include "ntk/sdk/stax.hpp"

namespace ntk::sdk {

FiniteChain::FiniteChain(std::vector<std::unique_ptr<FiniteLayer>> layers, Shape input)
    : layers_(std::move(layers)), input_(input) {
  arma::uword offset = 0;
  for (const auto& l : layers_) {
    offsets_.push_back(offset);
    offset += l->num_params();
  }
  params_ = offset;
}

Shape FiniteChain::output_shape() const {
  return layers_.empty() ? input_ : layers_.back()->output_shape();
}

void FiniteChain::init(double* p, std::mt19937_64& rng) const {
  for (std::size_t i = 0; i < layers_.size(); ++i) layers_[i]->init(p + offsets_[i], rng);
}

arma::mat FiniteChain::forward(const double* p, const arma::mat& in, LayerCache* cache) const {
  if (cache != nullptr) cache->children.resize(layers_.size());
  if (layers_.empty()) return in;
  arma::mat h = layers_[0]->forward(p + offsets_[0], in, cache ? &cache->children[0] : nullptr);
  for (std::size_t i = 1; i < layers_.size(); ++i)
    h = layers_[i]->forward(p + offsets_[i], h, cache ? &cache->children[i] : nullptr);
  return h;
}

arma::mat FiniteChain::backward(const double* p, const LayerCache& cache, const arma::mat& delta,
                                arma::uword r, double* grad, bool need_input) const {
  arma::mat d = delta;
  for (std::size_t i = layers_.size(); i-- > 0;) {
    // The first layer's input signal is needed only if the caller needs it.
    const bool need = i > 0 || need_input;
    // A layer whose input signal is not needed and that has no gradient to give is skipped.
    if (!need && (grad == nullptr || layers_[i]->num_params() == 0)) break;
    d = layers_[i]->backward(p + offsets_[i], cache.children[i], d, r,
                             grad ? grad + offsets_[i] : nullptr, need);
  }
  return need_input ? d : arma::mat();
}

const arma::mat& FiniteChain::forward_into(const double* p, const arma::mat& in,
                                           LayerCache& cache) const {
  cache.input_ref = nullptr;
  // Resized only when the structure changes: the children's buffers are kept between calls.
  if (cache.children.size() != layers_.size()) cache.children.resize(layers_.size());
  const arma::mat* h = &in;
  for (std::size_t i = 0; i < layers_.size(); ++i)
    h = &layers_[i]->forward_into(p + offsets_[i], *h, cache.children[i]);
  return *h;
}

const arma::mat& FiniteChain::backward_into(const double* p, LayerCache& cache,
                                            const arma::mat& delta, arma::uword r, double* grad,
                                            bool need_input) const {
  const arma::mat* d = &delta;
  for (std::size_t i = layers_.size(); i-- > 0;) {
    const bool need = i > 0 || need_input;
    if (!need && (grad == nullptr || layers_[i]->num_params() == 0)) break;
    d = &layers_[i]->backward_into(p + offsets_[i], cache.children[i], *d, r,
                                   grad ? grad + offsets_[i] : nullptr, need);
  }
  return need_input ? *d : finite::no_signal();
}

arma::mat FiniteChain::jvp(const double* p, const double* dp, const LayerCache& cache,
                           const arma::mat& din) const {
  arma::mat d = din;
  for (std::size_t i = 0; i < layers_.size(); ++i)
    d = layers_[i]->jvp(p + offsets_[i], dp + offsets_[i], cache.children[i], d);
  return d;
}

void FiniteChain::ntk_backward(const double* p, const LayerCache& ca, arma::mat& da,
                               const LayerCache& cb, arma::mat& db, arma::uword r, bool symmetric,
                               arma::mat& theta, bool need_input) const {
  // The lowest layer that still has parameters: below it only the input signal matters.
  std::size_t lowest = layers_.size();
  for (std::size_t i = 0; i < layers_.size(); ++i)
    if (layers_[i]->num_params() > 0) {
      lowest = i;
      break;
    }
  for (std::size_t i = layers_.size(); i-- > 0;) {
    const bool need = i > lowest || need_input;
    if (i < lowest && !need_input) break;
    layers_[i]->ntk_backward(p + offsets_[i], ca.children[i], da, symmetric ? ca.children[i] : cb.children[i],
                             db, r, symmetric, theta, need);
  }
}

namespace stax {
namespace {

class Serial : public Layer {
 public:
  explicit Serial(std::vector<LayerPtr> layers) : layers_(std::move(layers)) {
    for (std::size_t i = 0; i < layers_.size(); ++i)
      if (!layers_[i]) throw_error("serial(): layer ", i + 1, " is null");
  }
  std::string name() const override { return "serial" + list_text(layers_); }
  bool parametrised() const override {
    for (const auto& l : layers_)
      if (l->parametrised()) return true;
    return false;
  }
  Shape output_shape(const Shape& in, const LayerContext& c) const override {
    Shape s = in;
    for (std::size_t i = 0; i < layers_.size(); ++i)
      s = checked_output_shape(*layers_[i], s, inner(c), "layer " + std::to_string(i + 1));
    return s;
  }
  void kernel_rule(KernelProgram& program, const LayerContext& c) const override {
    const std::string base = program.position();
    for (std::size_t i = 0; i < layers_.size(); ++i)
      program.apply(*layers_[i], inner(c), base + ", layer " + std::to_string(i + 1));
  }
  std::unique_ptr<FiniteLayer> instantiate(const Shape& in, const LayerContext& c) const override {
    std::vector<std::unique_ptr<FiniteLayer>> finite;
    Shape s = in;
    for (const auto& l : layers_) {
      finite.push_back(l->instantiate(s, inner(c)));
      s = finite.back()->output_shape();
    }
    return std::make_unique<FiniteChain>(std::move(finite), in);
  }
  std::vector<LayerPtr> children() const override { return layers_; }

  static std::string list_text(const std::vector<LayerPtr>& layers) {
    std::ostringstream out;
    out << "(";
    for (std::size_t i = 0; i < layers.size(); ++i) out << (i ? ", " : "") << layers[i]->name();
    out << ")";
    return out.str();
  }

 private:
  // Inside a combinator no layer is the network's readout.
  static LayerContext inner(LayerContext c) {
    c.readout = false;
    return c;
  }
  std::vector<LayerPtr> layers_;
};

class FiniteResidual : public FiniteLayer {
 public:
  FiniteResidual(double alpha, std::unique_ptr<FiniteChain> branch)
      : alpha_(alpha), branch_(std::move(branch)) {}
  Shape output_shape() const override { return branch_->output_shape(); }
  arma::uword num_params() const override { return branch_->num_params(); }
  void init(double* p, std::mt19937_64& rng) const override { branch_->init(p, rng); }
  bool full_ntk_terms() const override { return branch_->full_ntk_terms(); }
  void trainable_mask(double* mask) const override { branch_->trainable_mask(mask); }
  arma::mat forward(const double* p, const arma::mat& in, LayerCache* cache) const override {
    if (cache != nullptr) cache->children.resize(1);
    return in + alpha_ * branch_->forward(p, in, cache ? &cache->children[0] : nullptr);
  }
  arma::mat backward(const double* p, const LayerCache& cache, const arma::mat& delta,
                     arma::uword r, double* grad, bool need_input) const override {
    arma::mat d = branch_->backward(p, cache.children[0], alpha_ * delta, r, grad, need_input);
    if (!need_input) return {};
    return delta + d;
  }
  const arma::mat& forward_into(const double* p, const arma::mat& in,
                                LayerCache& cache) const override {
    cache.input_ref = nullptr;
    if (cache.children.size() != 1) cache.children.resize(1);
    const arma::mat& branch = branch_->forward_into(p, in, cache.children[0]);
    arma::mat& out = cache.output;
    out.set_size(in.n_rows, in.n_cols);
    const double* __restrict x = in.memptr();
    const double* __restrict b = branch.memptr();
    double* __restrict y = out.memptr();
#pragma omp simd  // SIMD only, no threads
    for (arma::uword i = 0; i < in.n_elem; ++i) y[i] = x[i] + alpha_ * b[i];
    return out;
  }
  const arma::mat& backward_into(const double* p, LayerCache& cache, const arma::mat& delta,
                                 arma::uword r, double* grad, bool need_input) const override {
    arma::mat& scaled = cache.scratch;  // α·δ, the branch's output signal
    scaled.set_size(delta.n_rows, delta.n_cols);
    {
      const double* __restrict d = delta.memptr();
      double* __restrict y = scaled.memptr();
#pragma omp simd
      for (arma::uword i = 0; i < delta.n_elem; ++i) y[i] = alpha_ * d[i];
    }
    const arma::mat& d = branch_->backward_into(p, cache.children[0], scaled, r, grad, need_input);
    if (!need_input) return finite::no_signal();
    arma::mat& out = cache.signal;
    out.set_size(delta.n_rows, delta.n_cols);
    const double* __restrict a = delta.memptr();
    const double* __restrict b = d.memptr();
    double* __restrict y = out.memptr();
#pragma omp simd
    for (arma::uword i = 0; i < delta.n_elem; ++i) y[i] = a[i] + b[i];
    return out;
  }
  arma::mat jvp(const double* p, const double* dp, const LayerCache& cache,
                const arma::mat& din) const override {
    arma::mat out = alpha_ * branch_->jvp(p, dp, cache.children[0], din);
    if (!din.is_empty()) out += din;
    return out;
  }
  void ntk_backward(const double* p, const LayerCache& ca, arma::mat& da, const LayerCache& cb,
                    arma::mat& db, arma::uword r, bool symmetric, arma::mat& theta,
                    bool need_input) const override {
    arma::mat ba = alpha_ * da, bb = symmetric ? arma::mat() : arma::mat(alpha_ * db);
    branch_->ntk_backward(p, ca.children[0], ba, symmetric ? ca.children[0] : cb.children[0], bb,
                          r, symmetric, theta, need_input);
    if (!need_input) return;
    da += ba;
    if (!symmetric) db += bb;
  }

 private:
  double alpha_;
  std::unique_ptr<FiniteChain> branch_;
};

class Residual : public Layer {
 public:
  Residual(double alpha, std::vector<LayerPtr> branch) : alpha_(alpha), branch_(std::move(branch)) {
    if (!std::isfinite(alpha)) throw_error("residual: alpha = ", alpha, " must be a finite number");
    for (std::size_t i = 0; i < branch_.size(); ++i)
      if (!branch_[i]) throw_error("residual(): branch layer ", i + 1, " is null");
  }
  std::string name() const override {
    std::ostringstream out;
    out << "Residual(alpha=" << alpha_ << ", " << Serial::list_text(branch_) << ")";
    return out.str();
  }
  bool parametrised() const override { return false; }  // never the readout
  Shape output_shape(const Shape& in, const LayerContext& c) const override {
    Shape s = in;
    for (std::size_t i = 0; i < branch_.size(); ++i)
      s = checked_output_shape(*branch_[i], s, inner(c), "branch layer " + std::to_string(i + 1));
    if (!(s == in))
      throw_error("the branch maps ", in.text(), " to ", s.text(),
                  "; a residual branch must keep the shape of its input");
    return in;
  }
  void kernel_rule(KernelProgram& program, const LayerContext& c) const override {
    const std::string base = program.position();
    program.residual_start();
    for (std::size_t i = 0; i < branch_.size(); ++i)
      program.apply(*branch_[i], inner(c), base + ", branch layer " + std::to_string(i + 1));
    program.residual_sum(alpha_);
  }
  std::unique_ptr<FiniteLayer> instantiate(const Shape& in, const LayerContext& c) const override {
    std::vector<std::unique_ptr<FiniteLayer>> finite;
    Shape s = in;
    for (const auto& l : branch_) {
      finite.push_back(l->instantiate(s, inner(c)));
      s = finite.back()->output_shape();
    }
    return std::make_unique<FiniteResidual>(alpha_, std::make_unique<FiniteChain>(std::move(finite), in));
  }
  std::vector<LayerPtr> children() const override { return branch_; }

 private:
  static LayerContext inner(LayerContext c) {
    c.readout = false;
    return c;
  }
  double alpha_;
  std::vector<LayerPtr> branch_;
};

}  // namespace

LayerPtr serial(std::vector<LayerPtr> layers) { return std::make_shared<Serial>(std::move(layers)); }
LayerPtr residual(double alpha, std::vector<LayerPtr> branch) {
  return std::make_shared<Residual>(alpha, std::move(branch));
}

}  // namespace stax
}  // namespace ntk::sdk
