// Image layers: conv (q × q or qh × qw, SAME, CIRCULAR or VALID padding, stride 1), and the
// spatial readouts flatten, global_avg_pool and avg_pool{window, stride} (VALID), as
// neural-tangents' Conv, Flatten, GlobalAvgPool and AvgPool.
//
// conv, NTK parametrisation: z = (W_std/√(C_in·qh·qw))·W ⋆ h + b_std·b, W (C × C_in·qh·qw,
// column-major, tap-minor: column c_in·qh·qw + a·qw + b) then b (C), all N(0, 1). VALID keeps
// the (H − qh + 1) × (W − qw + 1) outputs whose window lies inside the image.
// Kernel (Arora et al. 2019): Σ ← W²·(1/(qh·qw))·Σ_δ Σ(i+δ, j+δ) + b²,
// Θ ← W²·(1/(qh·qw))·Σ_δ Θ(...) + Σ_new.
//
// Values are per-example columns of C·H·W entries, channel-major (layer.hpp); conv's finite
// part is in finite_conv.cpp.
#include <cmath>
#include <sstream>

#include "finite_blas.hpp"
#include "finite_conv.hpp"
#include "ntk/sdk/stax.hpp"

namespace ntk::sdk::stax {
namespace {

class Conv : public Layer {
 public:
  explicit Conv(const ConvOptions& o) : o_(o) {
    const arma::uword qh = filter_height(o), qw = filter_width(o);
    if (qh == 0 || qh % 2 == 0 || qw == 0 || qw % 2 == 0) {
      if (qh == qw)
        throw_error("conv: filter = ", qh, " must be odd (1, 3, 5, ...) so that SAME padding "
                    "centres it on each pixel");
      throw_error("conv: filter = {", qh, ", ", qw, "} must be odd in both axes (1, 3, 5, ...) "
                  "so that SAME padding centres it on each pixel");
    }
    if (!std::isfinite(o.w_std) || !(o.w_std > 0))
      throw_error("conv: w_std = ", o.w_std, " must be a finite positive number");
    if (!std::isfinite(o.b_std) || o.b_std < 0)
      throw_error("conv: b_std = ", o.b_std, " must be a finite number >= 0");
  }
  std::string name() const override {
    std::ostringstream out;
    out << "Conv(W_std=" << o_.w_std << ", b_std=" << o_.b_std << ", " << filter_height(o_) << "x"
        << filter_width(o_) << ", "
        << (o_.padding == Padding::same       ? "SAME"
            : o_.padding == Padding::circular ? "CIRCULAR"
                                              : "VALID");
    if (o_.width > 0) out << ", width=" << o_.width;
    if (!o_.trainable) out << ", frozen";
    out << ")";
    return out.str();
  }
  bool parametrised() const override { return true; }
  Shape output_shape(const Shape& in, const LayerContext& c) const override {
    if (!in.is_image())
      throw_error("conv takes images, got ", in.text(), " (a conv cannot follow flatten, a "
                  "pooling layer or a dense layer; give image inputs or input_shape = {C, H, W})");
    const arma::uword qh = filter_height(o_), qw = filter_width(o_);
    if (o_.padding != Padding::same && (qh > in.height || qw > in.width))
      throw_error("a ", qh, "x", qw, (o_.padding == Padding::circular ? " circular" : " valid"),
                  " filter is larger than the ", in.height, "x", in.width, " image",
                  (o_.padding == Padding::valid ? " (a valid conv needs the filter to fit in "
                                                  "the image it reads)" : ""));
    return conv_output(in, channels(c), o_);
  }
  void kernel_rule(KernelProgram& program, const LayerContext&) const override {
    program.conv(o_.w_std, o_.b_std, filter_height(o_), filter_width(o_), o_.padding, o_.trainable);
  }
  std::unique_ptr<FiniteLayer> instantiate(const Shape& in, const LayerContext& c) const override {
    return finite_conv(in, channels(c), o_);
  }

 private:
  arma::uword channels(const LayerContext& c) const {
    if (c.readout) return c.outputs;
    return o_.width > 0 ? o_.width : c.width;
  }
  ConvOptions o_;
};

// Readouts: a fixed linear map per example, y = R x (R: pool weights), no parameters.
class FiniteReadout : public FiniteLayer {
 public:
  // An empty map is flatten: the values are already channel-major columns, nothing to do.
  FiniteReadout(const Shape& in, const Shape& out, arma::sp_mat map)
      : in_(in), out_(out), map_(std::move(map)) {}
  Shape output_shape() const override { return out_; }
  arma::mat forward(const double*, const arma::mat& in, LayerCache* cache) const override {
    if (cache != nullptr) {
      cache->input_ref = nullptr;
      cache->input.set_size(0, in.n_cols);  // only the count is needed
    }
    return map_.n_nonzero == 0 ? in : arma::mat(map_ * in);
  }
  arma::mat backward(const double*, const LayerCache&, const arma::mat& delta, arma::uword,
                     double*, bool need_input) const override {
    if (!need_input) return {};
    return map_.n_nonzero == 0 ? delta : arma::mat(map_.t() * delta);
  }
  // Flatten passes its argument on (no copy); pooling runs over the map's non-zeros into the
  // cached buffers.
  const arma::mat& forward_into(const double*, const arma::mat& in,
                                LayerCache& cache) const override {
    cache.input_ref = nullptr;
    cache.input.set_size(0, in.n_cols);
    if (map_.n_nonzero == 0) return in;
    cache.output.zeros(out_.size(), in.n_cols);
    for (arma::uword e = 0; e < in.n_cols; ++e) {
      const double* x = in.colptr(e);
      double* y = cache.output.colptr(e);
      for (arma::uword j = 0; j < map_.n_cols; ++j)  // CSC: column j = input entry j
        for (arma::uword k = map_.col_ptrs[j]; k < map_.col_ptrs[j + 1]; ++k)
          y[map_.row_indices[k]] += map_.values[k] * x[j];
    }
    return cache.output;
  }
  const arma::mat& backward_into(const double*, LayerCache& cache, const arma::mat& delta,
                                 arma::uword, double*, bool need_input) const override {
    if (!need_input) return finite::no_signal();
    if (map_.n_nonzero == 0) return delta;
    cache.signal.set_size(in_.size(), delta.n_cols);
    for (arma::uword e = 0; e < delta.n_cols; ++e) {
      const double* d = delta.colptr(e);
      double* x = cache.signal.colptr(e);
      for (arma::uword j = 0; j < map_.n_cols; ++j) {
        double sum = 0;
        for (arma::uword k = map_.col_ptrs[j]; k < map_.col_ptrs[j + 1]; ++k)
          sum += map_.values[k] * d[map_.row_indices[k]];
        x[j] = sum;
      }
    }
    return cache.signal;
  }
  arma::mat jvp(const double*, const double*, const LayerCache& cache,
                const arma::mat& din) const override {
    if (din.is_empty()) return arma::zeros(out_.size(), cache.input.n_cols);
    return map_.n_nonzero == 0 ? din : arma::mat(map_ * din);
  }

 private:
  Shape in_, out_;
  arma::sp_mat map_;
};

class Readout : public Layer {
 public:
  Readout(ReadoutKind kind, arma::uword window, arma::uword stride)
      : kind_(kind), window_(window), stride_(stride) {
    if (kind == ReadoutKind::average_pool && (window == 0 || stride == 0))
      throw_error("avg_pool: window = ", window, " and stride = ", stride, " must be positive");
  }
  std::string name() const override {
    if (kind_ == ReadoutKind::flatten) return "Flatten";
    if (kind_ == ReadoutKind::global_average) return "GlobalAvgPool";
    std::ostringstream out;
    out << "AvgPool(" << window_ << "x" << window_ << ", stride " << stride_ << ")";
    return out.str();
  }
  Shape output_shape(const Shape& in, const LayerContext&) const override {
    if (!in.is_image())
      throw_error(name(), " takes images, got ", in.text());
    if (kind_ == ReadoutKind::flatten) return Shape::vector(in.size());
    if (kind_ == ReadoutKind::global_average) return Shape::vector(in.channels);
    if (window_ > in.height || window_ > in.width)
      throw_error("the window ", window_, "x", window_, " is larger than the ", in.height, "x",
                  in.width, " image");
    return Shape::image(in.channels, (in.height - window_) / stride_ + 1,
                        (in.width - window_) / stride_ + 1);
  }
  void kernel_rule(KernelProgram& program, const LayerContext& c) const override {
    program.spatial_readout(kind_, window_, stride_, output_shape(program.shape(), c));
  }
  std::unique_ptr<FiniteLayer> instantiate(const Shape& in, const LayerContext& c) const override {
    const Shape out = output_shape(in, c);
    const arma::uword area = in.height * in.width;
    arma::sp_mat map(out.size(), in.size());
    if (kind_ == ReadoutKind::flatten) {
      map.reset();  // the identity (see FiniteReadout)
    } else if (kind_ == ReadoutKind::global_average) {
      for (arma::uword ch = 0; ch < in.channels; ++ch)
        for (arma::uword i = 0; i < area; ++i) map(ch, ch * area + i) = 1.0 / double(area);
    } else {
      const double w = 1.0 / double(window_ * window_);
      for (arma::uword ch = 0; ch < in.channels; ++ch)
        for (arma::uword oh = 0; oh < out.height; ++oh)
          for (arma::uword ow = 0; ow < out.width; ++ow)
            for (arma::uword a = 0; a < window_; ++a)
              for (arma::uword b = 0; b < window_; ++b)
                map(ch * out.height * out.width + oh * out.width + ow,
                    ch * area + (oh * stride_ + a) * in.width + ow * stride_ + b) = w;
    }
    return std::make_unique<FiniteReadout>(in, out, std::move(map));
  }

 private:
  ReadoutKind kind_;
  arma::uword window_, stride_;
};

}  // namespace

LayerPtr conv(const ConvOptions& options) { return std::make_shared<Conv>(options); }
LayerPtr flatten() { return std::make_shared<Readout>(ReadoutKind::flatten, 0, 0); }
LayerPtr global_avg_pool() { return std::make_shared<Readout>(ReadoutKind::global_average, 0, 0); }
LayerPtr avg_pool(arma::uword window, arma::uword stride) {
  return std::make_shared<Readout>(ReadoutKind::average_pool, window, stride);
}

}  // namespace ntk::sdk::stax
