// The layer contract of the layer library (SDK 3): one bundle per layer, as in neural-tangents'
// stax — its output shape, its kernel rule and its finite-width part.
//
//   Layer        a configured layer (Dense(W_std=1.5, b_std=0.1), Relu, Conv(3x3), ...): shape
//                rule, kernel rule (it emits engine steps into a KernelProgram) and a factory
//                for its finite part at a given width.
//   FiniteLayer  the layer inside one finite network: parameter count and initialisation from
//                the network's random stream, forward, backward (vjp), jvp and its term of the
//                structured empirical NTK. A network is a fold over finite layers; combinators
//                (serial, residual) are finite layers holding children.
//
// Conventions (DESIGN.md): examples are columns. A per-example value of shape `Shape` is one
// column of shape.size() entries (images channel-major C, H, W). Backward signals carry r
// columns per example — column i·r + o is output o of example i — so the same code serves
// vjp (r = 1) and the structured NTK (r = k outputs, one signal per output).
//
// The structured NTK never forms the n × P Jacobian: after a forward pass over both sets, the
// network walks the layers backwards with the signals δ = ∂f_o/∂(layer output) of each set; each
// parametrised layer adds Σ_o ⟨∂f_o(a_i)/∂θ_l, ∂f_o(b_j)/∂θ_l⟩ from its input and its δ (for a
// dense layer (δ_aᵀδ_b) ⊙ (s²·h_aᵀh_b + β²): BLAS-3).
#pragma once

#include <algorithm>
#include <armadillo>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "ntk/sdk/activation.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::sdk {

enum class Parametrization { ntk, standard };
enum class Precision { float64, float32 };

// What flows between layers, per example. A graph(f) is a graph whose nodes carry f features
// (graph layers, stax_graph.hpp, read it node by node).
struct Shape {
  enum class Kind { vector, image, graph };
  Kind kind = Kind::vector;
  arma::uword channels = 0;  // vector: its length d
  arma::uword height = 1, width = 1;

  static Shape vector(arma::uword d) { return {Kind::vector, d, 1, 1}; }
  static Shape image(arma::uword c, arma::uword h, arma::uword w) { return {Kind::image, c, h, w}; }
  static Shape graph(arma::uword f) { return {Kind::graph, f, 1, 1}; }
  arma::uword size() const { return channels * height * width; }
  bool is_image() const { return kind == Kind::image; }
  bool is_graph() const { return kind == Kind::graph; }
  std::string text() const;  // "vector(784)", "image(3x32x32)", "graph(7)"
  bool operator==(const Shape& o) const {
    return kind == o.kind && channels == o.channels && height == o.height && width == o.width;
  }
};

// What every layer of one composition shares (the composition's options).
struct LayerContext {
  Parametrization parametrization = Parametrization::ntk;
  // Finite networks: the hidden width m (channels of a conv). Kernels: the width N that the
  // standard parametrisation's NTK assumes (0 in the NTK parametrisation, where Θ does not
  // depend on it).
  arma::uword width = 0;
  arma::uword outputs = 1;  // k
  // Set by the composition on its last parametrised layer: its output width is `outputs`.
  bool readout = false;
};

class KernelProgram;  // the kernel engine's program (stax.hpp): layers emit steps into it

// What a finite layer keeps from forward() for backward(), jvp() and ntk_term().
//
// SDK 4.0: the cache is also the layer's workspace. The workspace forms forward_into() and
// backward_into() refer to their input instead of copying it (input_ref) and leave their
// results in `output` and `signal`, whose memory is reused from call to call while the batch
// fits (Armadillo keeps an allocation when a matrix shrinks): a network that keeps its caches
// between training steps allocates nothing per step once warm.
struct LayerCache {
  arma::mat input;                   // the layer's input, in.size() × n (forward(): a copy)
  arma::mat extra;                   // layer-specific (e.g. layer_norm's per-column scale)
  std::vector<LayerCache> children;  // combinators: one per child
  // forward_into(): its `in`, which must stay alive and unchanged while the cache is used.
  const arma::mat* input_ref = nullptr;
  arma::mat output;   // forward_into()'s result (layers that return their input leave it empty)
  arma::mat signal;   // backward_into()'s result: ∂/∂input
  arma::mat scratch;  // any other per-call buffer a layer wants to keep

  // The input of the last forward pass, whichever form filled the cache.
  const arma::mat& layer_input() const { return input_ref != nullptr ? *input_ref : input; }
};

class FiniteLayer {
 public:
  virtual ~FiniteLayer() = default;

  virtual Shape output_shape() const = 0;
  virtual arma::uword num_params() const { return 0; }
  // Draws the layer's num_params() parameters into p, in order, from `rng` (one stream for the
  // whole network, so the same seed gives the same network on every thread count).
  virtual void init(double* p, std::mt19937_64& rng) const { (void)p, (void)rng; }
  // False for a frozen (untrained) layer: no gradient, no NTK term.
  virtual bool trainable() const { return true; }
  // Writes num_params() entries: 1 for trained parameters, 0 for frozen ones (combinators: their
  // children's). Default: trainable() for all.
  virtual void trainable_mask(double* mask) const {
    for (arma::uword i = 0; i < num_params(); ++i) mask[i] = trainable() ? 1.0 : 0.0;
  }

  // in: in_size × n. Returns out_size × n; fills *cache when cache is not null.
  virtual arma::mat forward(const double* p, const arma::mat& in, LayerCache* cache) const = 0;
  // delta: out_size × (n·r), ∂/∂output. Returns ∂/∂input (in_size × n·r) when need_input,
  // else an empty matrix; when grad is not null (and the layer is trainable) adds the parameter
  // gradient summed over all n·r columns into grad[0 .. num_params()).
  virtual arma::mat backward(const double* p, const LayerCache& cache, const arma::mat& delta,
                             arma::uword r, double* grad, bool need_input) const = 0;
  // The workspace forms (SDK 4.0, LayerCache): the same values as forward() and backward(),
  // left in cache.output / cache.signal (or the argument itself for layers that pass it on
  // unchanged) and returned by reference, valid until the next call on the same cache. `in`
  // is referred to, not copied: it must outlive the cache's use. backward_into() must follow a
  // forward_into() on the same cache; its empty result when !need_input is a shared empty
  // matrix. Unlike backward(), it WRITES the gradient into grad[0 .. num_params()) (zeros for
  // a frozen layer), so a caller need not clear the P entries first. The defaults call
  // forward()/backward() (a layer written for SDK 3 allocates, as before); the library's
  // layers override them with BLAS calls on the cached buffers.
  virtual const arma::mat& forward_into(const double* p, const arma::mat& in,
                                        LayerCache& cache) const {
    cache.input_ref = nullptr;
    cache.output = forward(p, in, &cache);
    return cache.output;
  }
  virtual const arma::mat& backward_into(const double* p, LayerCache& cache,
                                         const arma::mat& delta, arma::uword r, double* grad,
                                         bool need_input) const {
    if (grad != nullptr) std::fill(grad, grad + num_params(), 0.0);
    cache.signal = backward(p, cache, delta, r, grad, need_input);
    return cache.signal;
  }
  // Forward-mode: the output tangent for input tangent din (in_size × n; empty = 0) and
  // parameter tangent dp (num_params() entries).
  virtual arma::mat jvp(const double* p, const double* dp, const LayerCache& cache,
                        const arma::mat& din) const = 0;
  // Adds Σ_o ⟨∂f_o(a_i)/∂θ, ∂f_o(b_j)/∂θ⟩ over this layer's own parameters into theta (n1 × n2),
  // from the caches and signals (out_size × n·r) of both sets. `symmetric`: a and b are the same
  // examples (cb is ca, db is da) and only theta's upper triangle need be right.
  // Layers without parameters (and frozen ones) add nothing.
  virtual void ntk_term(const double* p, const LayerCache& ca, const arma::mat& da,
                        const LayerCache& cb, const arma::mat& db, arma::uword r, bool symmetric,
                        arma::mat& theta) const {
    (void)p, (void)ca, (void)da, (void)cb, (void)db, (void)r, (void)symmetric, (void)theta;
  }
  // Whether ntk_term() also takes the per-output-pair form: called with theta of
  // (n1·r) × (n2·r) (row i·r + o, column j·r + o'), it adds ⟨∂f_o(a_i)/∂θ, ∂f_o'(b_j)/∂θ⟩ — what
  // Network::ntk_full needs. Layers without parameters have no term and qualify; combinators
  // qualify when all their children do.
  virtual bool full_ntk_terms() const { return num_params() == 0; }
  // The backward walk of the structured NTK: adds this layer's terms (a combinator: its
  // children's) and, when need_input, replaces da (and db, unless symmetric) by the signals at
  // the layer's input. The default is ntk_term() then backward() on each side.
  virtual void ntk_backward(const double* p, const LayerCache& ca, arma::mat& da,
                            const LayerCache& cb, arma::mat& db, arma::uword r, bool symmetric,
                            arma::mat& theta, bool need_input) const;
};

class Layer {
 public:
  virtual ~Layer() = default;

  // "Dense(W_std=1.5, b_std=0.1)", "Relu", "Residual(alpha=0.5, [Relu, Dense(...)])".
  virtual std::string name() const = 0;
  // True when the layer has trainable parameters (dense, conv): the composition makes the last
  // such layer its readout.
  virtual bool parametrised() const { return false; }
  // The shape of the output for an input of shape `in`. Throws ntk::Error saying what the layer
  // accepts when it cannot take `in` (the composition prefixes the layer's position).
  virtual Shape output_shape(const Shape& in, const LayerContext& context) const = 0;
  // Emits the layer's kernel rule into the program (whose current shape is this layer's input).
  virtual void kernel_rule(KernelProgram& program, const LayerContext& context) const = 0;
  // The finite layer for input shape `in` inside a network of context.width.
  virtual std::unique_ptr<FiniteLayer> instantiate(const Shape& in,
                                                   const LayerContext& context) const = 0;
  // Combinators: their children (serial's layers, residual's branch), for readout search and
  // descriptions.
  virtual std::vector<std::shared_ptr<const Layer>> children() const { return {}; }
};

using LayerPtr = std::shared_ptr<const Layer>;

}  // namespace ntk::sdk
