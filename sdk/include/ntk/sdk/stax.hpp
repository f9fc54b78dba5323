// The layer library (SDK 3): layers, combinators and compositions, as neural-tangents' stax.
//
//   namespace st = ntk::sdk::stax;
//   auto net = st::serial({st::dense(1.5, 0.1), st::activation("gelu"),
//                          st::dense(1.5, 0.1), st::layer_norm(),
//                          st::residual(0.5, {st::activation("relu"), st::dense(1.4)}),
//                          st::activation("relu"), st::dense(1.0)});
//   auto arch = st::composition({net}, {.outputs = 1});   // an sdk::Architecture
//   arch->kernels(x, x, {.nngp = true, .ntk = true});     // one triangle, fused pass
//   arch->network({.width = 512, .seed = 1});             // finite net, structured eNTK
//
// Every composition carries outputs = k (Θ ⊗ I_k), parametrization "ntk" | "standard",
// precision "float64" | "float32" (image kernels' pixel-pair tensors) and frozen layers
// (trainable = false on dense and conv).
//
// Kernels run on two engines, which a composition's layers program through KernelProgram:
// pair-wise rules over the n1 × n2 example-pair state (dense, activations, layer_norm, residual),
// fused so that a whole stack costs one pass over the matrix, and the convolutional tile engine
// over pixel pairs (conv, activations and residual blocks on images), which a spatial readout
// (flatten, global_avg_pool, avg_pool) turns into an example-pair state.
#pragma once

#include <armadillo>
#include <memory>
#include <string>
#include <vector>

#include "ntk/sdk/activation.hpp"
#include "ntk/sdk/architecture.hpp"
#include "ntk/sdk/layer.hpp"
#include "ntk/sdk/options.hpp"

namespace ntk::sdk {

enum class Padding { same, circular, valid };  // valid: the output shrinks by q − 1 per axis
enum class ReadoutKind { flatten, global_average, average_pool };
// Graph layers (stax_graph.hpp): aggregation's neighbourhood scaling and the node readout.
enum class GraphScale { uniform, degree };
enum class GraphReduce { sum, mean };

struct KernelProgramSteps;  // private (sdk/src/stax): the engine's rule lists

// The program a composition's kernel rules compile to. Layers call the emitters below from
// Layer::kernel_rule(); the composition runs it on two sets of inputs.
class KernelProgram {
 public:
  explicit KernelProgram(const Shape& input);
  ~KernelProgram();
  KernelProgram(KernelProgram&&) noexcept;
  KernelProgram& operator=(KernelProgram&&) noexcept;

  // The shape at the current point of the program (the next layer's input).
  const Shape& shape() const { return shape_; }
  // Emits `layer` at `position` ("layer 3", "layer 5, branch layer 2"): checks its shape (an
  // error names the position, the layer and both shapes), labels its steps for NaN/Inf reports,
  // calls layer.kernel_rule(*this, context) and moves the shape on. Combinators call it for
  // their children with position() + ", branch layer i".
  void apply(const Layer& layer, const LayerContext& context, const std::string& position);
  const std::string& position() const { return position_; }

  // Example-pair steps (the shape must be a vector; an image is read as its flattened vector).
  //   Σ ← W²Σ + b²;  NTK parametrisation Θ ← W²Θ + Σ_new, standard Θ ← W²Θ + fan_in·Σ_old + 1;
  //   frozen (trainable = false): Θ ← W²Θ.  `out_width` becomes the next fan-in.
  void dense(double w_std, double b_std, Parametrization parametrization, arma::uword out_width,
             bool trainable);
  // Σ ← E[φ(u)φ(v)], Θ ← Θ·E[φ'(u)φ'(v)] (pixel pair by pixel pair on images).
  void activation(ActivationPtr activation);
  // Σ ← Σ/√(Σ11Σ22), Θ ← Θ/√(Σ11Σ22) (neural-tangents' LayerNorm over features).
  void layer_norm();
  // x ↦ x + α·branch(x) around the steps between the two calls (blocks nest).
  void residual_start();
  void residual_sum(double alpha);

  // Pixel-pair steps (the shape must be an image).
  void conv(double w_std, double b_std, arma::uword filter, Padding padding, bool trainable);
  // A qh × qw filter (both odd).
  void conv(double w_std, double b_std, arma::uword filter_height, arma::uword filter_width,
            Padding padding, bool trainable);
  // Image → vector of `out_shape` (flatten: C·H·W; global_average: C; average_pool: C·H'·W').
  void spatial_readout(ReadoutKind kind, arma::uword window, arma::uword stride,
                       const Shape& out_shape);

  // ---- Graph steps (stax_graph.hpp) -------------------------------------------------------
  // On graph inputs the steps above act, until graph_end(), on the node-pair state of each
  // graph pair (n1 × n2 nodes; per-node variances from each graph paired with itself).
  // graph_start: Σ(u, u') = x_u·x_u' · feature_scale; the shape becomes the node's vector(f).
  void graph_start(double feature_scale);
  // Σ ← M₁ Σ M₂ᵀ, Θ ← M₁ Θ M₂ᵀ with M = C (A + I) (Du et al. 2019, BLOCK).
  void aggregate(GraphScale scale);
  // A readout point: Σ and Θ summed (or averaged) over node pairs. The steps emitted until
  // graph_tap_end() are the tap's own example-pair layers (dense ones); the shape then
  // returns to `node_shape`.
  void graph_tap(GraphReduce reduce);
  void graph_tap_end(const Shape& node_shape);
  // Ends the node program: the example-pair state is the sum of the taps' outputs.
  void graph_end();
  // Kernel families from intermediate outputs: the kernels at every tap (after its own
  // layers, before the sum and the steps after graph_end), from one pass over graph pairs.
  std::vector<Kernels> run_graph_taps(const Inputs& a, const Inputs& b, KernelRequest what,
                                      const std::string& caller) const;

  // Runs the program: the state after every step (one triangle when symmetric; finish()ed).
  // a, b: the two input sets (a == b by address when symmetric).
  Kernels run(const Inputs& a, const Inputs& b, KernelRequest what, Precision precision,
              const std::string& caller) const;

 private:
  Shape shape_;
  std::string position_, label_;
  std::unique_ptr<KernelProgramSteps> steps_;
};

namespace stax {

// ---- layers ---------------------------------------------------------------------------
struct DenseOptions {
  double w_std = 1, b_std = 0;
  arma::uword width = 0;  // out width of a hidden layer; 0 = the network's width
  bool trainable = true;
};
LayerPtr dense(double w_std = 1, double b_std = 0);
LayerPtr dense(const DenseOptions& options);
LayerPtr activation(ActivationPtr activation);
// From the activation catalog: activation("leaky_relu", {{"alpha", 0.1}}).
LayerPtr activation(const std::string& name, const Options& options = {});
LayerPtr layer_norm();

struct ConvOptions {
  double w_std = 1, b_std = 0;
  arma::uword filter = 3;  // q × q, odd
  // same | circular | valid (VALID: the output is (H − qh + 1) × (W − qw + 1)); stride 1.
  Padding padding = Padding::same;
  arma::uword width = 0;   // output channels; 0 = the network's width
  bool trainable = true;
  // A rectangular qh × qw filter (both odd; a 1-D convolution along the width is qh = 1 on
  // images {C, 1, W}); 0 = `filter`.
  arma::uword filter_height = 0, filter_width = 0;
};
LayerPtr conv(const ConvOptions& options);
LayerPtr flatten();
LayerPtr global_avg_pool();
LayerPtr avg_pool(arma::uword window, arma::uword stride);

// ---- combinators ----------------------------------------------------------------------
LayerPtr serial(std::vector<LayerPtr> layers);
// FanOut(2), parallel(branch, Identity), FanInSum with the branch's output scaled by alpha.
LayerPtr residual(double alpha, std::vector<LayerPtr> branch);

// The output shape of `layer` for `in`, with any error prefixed by "<position> (<name>): ".
Shape checked_output_shape(const Layer& layer, const Shape& in, const LayerContext& context,
                           const std::string& position);

// ---- compositions -----------------------------------------------------------------------
struct CompositionOptions {
  std::string name = "stax";     // what describe() and errors call it
  arma::uword outputs = 1;       // k
  Parametrization parametrization = Parametrization::ntk;
  arma::uword standard_width = 0;  // N for the standard parametrisation's analytic kernel
  Precision precision = Precision::float64;
  arma::uword input_dim = 0;     // d of finite networks on vectors; 0 = from the first input
  std::vector<double> input_shape;  // {C, H, W}: dense inputs are read as images of this shape
};

// An Architecture over the serial composition of `layers`: kernels by the engine (one
// triangle when symmetric, fused pass, conv tile engine), finite networks with the structured
// empirical NTK. Checks the shapes against the first input (errors name the layer position).
std::unique_ptr<Architecture> composition(std::vector<LayerPtr> layers,
                                          const CompositionOptions& options);

// ---- layers from specs (Lua: {"dense", w_std = 1.5}) ------------------------------------
struct LayerInfo {
  std::string name;                 // "dense"
  std::vector<OptionSpec> options;  // keys with defaults and docs
  std::string doc;                  // one line
};
// Every layer name a spec may use (activation names included), with keys and docs.
std::vector<LayerInfo> layer_catalog();
// Builds layers from specs; `where` prefixes errors ("stax layers"). A wrong name or key is an
// error naming the position ("layer 3", "layer 5, branch layer 2"), the name and what is
// accepted.
std::vector<LayerPtr> layers_from_specs(const std::vector<LayerSpec>& specs,
                                        const std::string& where = "stax layers");

}  // namespace stax
}  // namespace ntk::sdk
