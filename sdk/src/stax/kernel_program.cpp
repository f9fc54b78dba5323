// KernelProgram (stax.hpp): a composition's kernel rules compiled to the two engines — the
// pixel-pair tile engine (layers_conv.hpp) up to a spatial readout, then the fused example-pair
// pass (layers.hpp).
#include <sstream>

#include "float32_engine_tiles.hpp"
#include "kernel_program_steps.hpp"
#include "layers_conv.hpp"
#include "layers_tiled.hpp"
#include "progress_counter.hpp"
#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/stax.hpp"

namespace ntk::sdk {

KernelProgram::KernelProgram(const Shape& input)
    : shape_(input), steps_(std::make_unique<KernelProgramSteps>()) {
  steps_->input = input;
  steps_->on_images = input.is_image();
}
KernelProgram::~KernelProgram() = default;
KernelProgram::KernelProgram(KernelProgram&&) noexcept = default;
KernelProgram& KernelProgram::operator=(KernelProgram&&) noexcept = default;

Shape stax::checked_output_shape(const Layer& layer, const Shape& in, const LayerContext& context,
                           const std::string& position) {
  try {
    return layer.output_shape(in, context);
  } catch (const Error& e) {
    throw Error(position + " (" + layer.name() + "): " + e.what());
  }
}

using layers::check_kernel_memory;

void KernelProgram::apply(const Layer& layer, const LayerContext& context,
                          const std::string& position) {
  const Shape out = stax::checked_output_shape(layer, shape_, context, position);
  const std::string saved_position = position_, saved_label = label_;
  position_ = position;
  label_ = position + " (" + layer.name() + ")";
  try {
    layer.kernel_rule(*this, context);
  } catch (const Error& e) {
    const std::string what = e.what();
    // Errors from nested layers already carry their position.
    if (what.rfind("layer ", 0) == 0) throw;
    throw Error(label_ + ": " + what);
  }
  position_ = saved_position;
  label_ = saved_label;
  shape_ = out;
}

namespace {

// The example-pair engine starts where the images end: an image read as a vector is flattened.
void leave_images(KernelProgramSteps& s) {
  if (!s.on_images) return;
  s.on_images = false;
  if (!s.image_rules.empty()) {  // else: the raw input, read as vectors (x·x'/d)
    s.has_readout = true;
    s.readout = layers::flatten();
  }
}

}  // namespace

namespace {

// After flatten or avg_pool the example-pair kernel is the pixel average of per-pixel kernels:
// exact for a dense layer reading those features, not for a nonlinearity applied to them.
void require_not_after_flatten(const KernelProgramSteps& s, const char* what) {
  if (s.needs_dense)
    throw_error(what, " cannot follow flatten or avg_pool in the analytic kernel (the features "
                "are then pixels with different covariances, which the kernel engine averages "
                "at the readout): put a dense layer first, or use global_avg_pool");
}

}  // namespace

void KernelProgram::dense(double w_std, double b_std, Parametrization parametrization,
                          arma::uword out_width, bool trainable) {
  steps_->needs_dense = false;
  steps_->pooled_image = false;
  if (parametrization == Parametrization::standard && steps_->input.is_image())
    throw_error("the standard parametrisation is supported for vector compositions only "
                "(its fan-in after an image readout is not implemented); use \"ntk\"");
  leave_images(*steps_);
  if (parametrization == Parametrization::standard && out_width == 0)
    throw_error("the standard parametrisation needs the layer's output width: give the "
                "composition standard_width = N (the hidden width the kernel assumes)");
  layers::Rule r = layers::dense(w_std, b_std, parametrization, double(out_width));
  r.trainable = trainable;
  r.label = label_;
  steps_->rules.push_back(std::move(r));
}

void KernelProgram::activation(ActivationPtr activation) {
  if (!activation) throw_error("activation(): null activation");
  KernelProgramSteps& s = *steps_;
  require_not_after_flatten(s, "an activation");
  // relu and erf keep the engines' own vectorised kinds.
  const Activation::Builtin builtin = activation->builtin();
  if (s.on_images) {
    layers::ImageRule r = builtin == Activation::Builtin::relu  ? layers::image_relu()
                          : builtin == Activation::Builtin::erf ? layers::image_erf()
                                          : layers::image_activation(activation);
    r.label = label_;
    s.image_rules.push_back(std::move(r));
    return;
  }
  layers::Rule r = builtin == Activation::Builtin::relu  ? layers::relu()
                   : builtin == Activation::Builtin::erf ? layers::erf()
                                   : layers::activation(activation);
  r.label = label_;
  s.rules.push_back(std::move(r));
}

void KernelProgram::layer_norm() {
  require_not_after_flatten(*steps_, "layer_norm");
  if (steps_->on_images)
    throw_error("layer_norm on images is not supported by the convolutional kernel engine; put "
                "it after flatten, global_avg_pool or avg_pool");
  layers::Rule r = layers::layer_norm();
  r.label = label_;
  steps_->rules.push_back(std::move(r));
}

void KernelProgram::residual_start() {
  KernelProgramSteps& s = *steps_;
  require_not_after_flatten(s, "a residual block");
  if (s.on_images) {
    layers::ImageRule r = layers::image_residual_start();
    r.label = label_;
    s.image_rules.push_back(std::move(r));
  } else {
    layers::Rule r = layers::residual_start();
    r.label = label_;
    s.rules.push_back(std::move(r));
  }
  s.open_blocks.push_back(s.on_images);
}

void KernelProgram::residual_sum(double alpha) {
  KernelProgramSteps& s = *steps_;
  if (s.open_blocks.empty()) throw_error("residual_sum() without residual_start()");
  if (s.open_blocks.back() != s.on_images)
    throw_error("a residual branch must end on the kind of values it started on (images or "
                "vectors); a readout inside a branch is not supported");
  s.open_blocks.pop_back();
  if (s.on_images) {
    layers::ImageRule r = layers::image_residual_sum(alpha);
    r.label = label_;
    s.image_rules.push_back(std::move(r));
  } else {
    layers::Rule r = layers::residual_sum(alpha);
    r.label = label_;
    s.rules.push_back(std::move(r));
  }
}

void KernelProgram::conv(double w_std, double b_std, arma::uword filter, Padding padding,
                         bool trainable) {
  conv(w_std, b_std, filter, filter, padding, trainable);
}

void KernelProgram::conv(double w_std, double b_std, arma::uword filter_height,
                         arma::uword filter_width, Padding padding, bool trainable) {
  KernelProgramSteps& s = *steps_;
  if (!s.on_images)
    throw_error("conv needs images, but the values here are vectors (after a readout or a "
                "dense layer, or vector inputs without input_shape)");
  layers::ImageRule r = layers::conv(w_std, b_std, filter_height, filter_width, padding);
  r.trainable = trainable;
  r.label = label_;
  s.image_rules.push_back(std::move(r));
}

void KernelProgram::spatial_readout(ReadoutKind kind, arma::uword window, arma::uword stride,
                                    const Shape& out_shape) {
  KernelProgramSteps& s = *steps_;
  if (kind == ReadoutKind::flatten && s.pooled_image) {  // avg_pool already flattened
    s.pooled_image = false;
    return;
  }
  if (!s.on_images) throw_error("a spatial readout needs images, but the values here are vectors");
  if (!s.open_blocks.empty())
    throw_error("a spatial readout inside a residual branch is not supported");
  s.on_images = false;
  s.has_readout = true;
  s.readout = kind == ReadoutKind::flatten          ? layers::flatten()
              : kind == ReadoutKind::global_average ? layers::global_average_pool()
                                                    : layers::average_pool(window, stride);
  s.needs_dense = kind != ReadoutKind::global_average;
  s.pooled_image = kind == ReadoutKind::average_pool;
  (void)out_shape;
}

namespace {

// Float32 output of an engine that works in float64 (the conv tile engine, the graph engine):
// the finished double matrices are converted one at a time, each freed after its conversion.
void convert_to_float32(Kernels& k, const std::string& caller) {
  if (!k.nngp.is_empty()) k.nngp32 = layers::to_float32(k.nngp, caller, "NNGP");
  if (!k.ntk.is_empty()) k.ntk32 = layers::to_float32(k.ntk, caller, "NTK");
}

std::string kernel_name(const std::string& caller, arma::uword n1, arma::uword n2,
                        const KernelRequest& what) {
  std::ostringstream name;
  name << caller << ": the " << n1 << " x " << n2 << " "
       << (what.nngp && what.ntk ? "NNGP and NTK" : (what.ntk ? "NTK" : "NNGP"));
  return name.str();
}

}  // namespace

Kernels KernelProgram::run(const Inputs& a, const Inputs& b, KernelRequest what,
                           Precision precision, const std::string& caller) const {
  const KernelProgramSteps& s = *steps_;
  const bool symmetric = &a == &b;
  const bool float32 = what.output == Precision::float32;
  const int matrices = int(what.nngp) + int(what.ntk);
  // The float64 engines (conv, graph) give float32 kernels larger than a tile by tiles, so
  // that no n1 x n2 double matrix exists (float32_engine_tiles.hpp).
  const auto by_tiles = [&](arma::uword n1, arma::uword n2) {
    return float32 && matrices > 0 && !what.log_scale &&
           std::max(n1, n2) > stax_detail::float32_engine_tile();
  };
  const stax_detail::Float64Engine engine = [&](const Inputs& x, const Inputs& y,
                                                const KernelRequest& request) {
    return run(x, y, request, precision, caller);
  };
  if (s.graph.active) {  // graph_kernel.cpp, in float64
    if (by_tiles(a.size(), symmetric ? a.size() : b.size()))
      return stax_detail::float32_by_tiles(a, b, symmetric, what, engine, caller,
                                            stax_detail::float32_engine_tile());
    if (float32 && matrices > 0) {
      // Its peak: the double NNGP (always) and NTK, then one float copy at a time.
      const arma::uword n1 = a.size(), n2 = symmetric ? a.size() : b.size();
      check_kernel_memory(kernel_name(caller, n1, n2, what) + " in float64 and its float32 copy",
                          double(n1), double(n2), 1 + int(what.ntk), 4.0 * double(n1) * double(n2),
                          0);
    }
    Kernels out = run_graph_program(s, a, b, what, caller);
    if (float32) convert_to_float32(out, caller);
    return out;
  }
  Kernels out;
  if (!what.nngp && !what.ntk) return out;
  if (s.on_images && !s.image_rules.empty())
    throw_error(caller, ": the composition ends on images (", shape_.text(),
                "); end it with flatten, global_avg_pool or avg_pool and a dense readout");
  const arma::mat& xa = a.x();
  const arma::mat& xb = symmetric ? xa : b.x();
  check_finite(caller + ", first input", xa);
  if (!symmetric) check_finite(caller + ", second input", xb);
  const arma::uword n1 = xa.n_cols, n2 = symmetric ? xa.n_cols : xb.n_cols;
  const std::string name = kernel_name(caller, n1, n2, what);

  const bool plain_flatten = s.image_rules.empty() && s.readout.kind == layers::SpatialReadout::Kind::flatten;
  const bool conv_engine = s.has_readout && s.input.is_image() && !plain_flatten;
  const ProgressSpan progress{what.progress};
  if (conv_engine && by_tiles(n1, n2))
    return stax_detail::float32_by_tiles(a, b, symmetric, what, engine, caller,
                                            stax_detail::float32_engine_tile());
  if (float32 && !conv_engine) {
    // Vector inputs (and images read as vectors): tiles straight into float32, no n1 x n2
    // double matrix at any time (layers_tiled.hpp).
    layers::Float32Kernels k = layers::tiled_float32_kernels(
        xa, xb, symmetric, s.rules, what.nngp, what.ntk, what.log_scale, caller, progress);
    out.nngp32 = std::move(k.nngp);
    out.ntk32 = std::move(k.ntk);
    out.log2_scale = k.log2_scale;
    return out;
  }
  // The float64 result (also the conv engine's float32 result, converted at the end, one
  // float matrix more at its peak); for vector inputs the message says what float32 would need.
  const double float32_bytes =
      conv_engine ? 0.0
                  : layers::tiled_memory(xa.n_rows, n1, n2, symmetric, s.rules.size(), matrices)
                        .total();
  check_kernel_memory(name + (float32 ? " in float64 and its float32 copy" : ""), double(n1),
                      double(n2), matrices, float32 ? 4.0 * double(n1) * double(n2) : 0.0,
                      float32_bytes);

  KernelState state;
  // The pixel-pair tiles cost far more than the example-pair rules after the readout.
  double rules_start = 0;
  if (conv_engine) {
    const ImageShape shape{s.input.channels, s.input.height, s.input.width};
    rules_start = 0.95;
    state = layers::image_kernel(xa, xb, shape, symmetric, s.image_rules, s.readout, what.ntk,
                                 precision, caller, progress.part(0, rules_start));
  } else {
    state = layers::input_kernel(xa, xb, symmetric, what.ntk, caller, /*allow_scale=*/true);
  }
  // The rules may carry a common scale (kernel_state.hpp); it is resolved once, at the end.
  state.allow_log_scale = true;
  layers::apply_rules(state, s.rules, /*keep_nngp=*/what.nngp, progress.part(rules_start, 1));
  layers::finish(state);
  // With log_scale the scale is returned only where the true values are not doubles.
  if (what.log_scale && !layers::try_resolve_scale(state)) out.log2_scale = state.log2_scale;
  else layers::resolve_scale(state, caller);
  if (what.nngp) out.nngp = std::move(state.nngp);
  if (what.ntk) {
    if (state.ntk.is_empty())  // no trainable layer: Θ = 0
      state.ntk.zeros(state.rows(), state.cols());
    out.ntk = std::move(state.ntk);
  }
  if (float32) convert_to_float32(out, caller);
  return out;
}

}  // namespace ntk::sdk
