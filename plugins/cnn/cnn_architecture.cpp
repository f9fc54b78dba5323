#include "cnn_architecture.hpp"

#include <sstream>

#include "cnn_network.hpp"
#include "image_shape.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::cnn {

sdk::PluginInfo plugin_info() {
  return {"cnn",
          "1.0.0",
          "Convolutional network Conv, phi, ..., Flatten|GAP|pool, Dense: CNTK and finite CNNs",
          {
              {"depth", 2.0, "conv layers L >= 1, each followed by the activation"},
              {"filter", 3.0, "filter size q (odd), q x q"},
              {"padding", std::string("same"), "\"same\" (zero padding) or \"circular\""},
              {"activation", std::string("relu"), "\"relu\" or \"erf\""},
              {"w_std", 1.0, "conv weight standard deviation > 0"},
              {"b_std", 0.0, "conv bias standard deviation >= 0"},
              {"readout", std::string("flatten"),
               "\"flatten\" (CNTK-V), \"gap\" (global average pooling, CNTK-GAP) or \"pool\" "
               "(average pooling pool_window x pool_window, stride pool_stride, then flatten)"},
              {"pool_window", 2.0, "readout = \"pool\": window p"},
              {"pool_stride", 2.0, "readout = \"pool\": stride s"},
              {"readout_w_std", 1.0, "readout Dense weight standard deviation > 0"},
              {"readout_b_std", 0.0, "readout Dense bias standard deviation >= 0"},
              {"input_shape", std::vector<double>{},
               "{C, H, W} of inputs given as plain d x n matrices (images carry their shape)"},
              {"precision", std::string("float64"),
               "\"float64\" or \"float32\" (per-pixel-pair tensors in float; faster GAP/pool)"},
              {"outputs", 1.0, "number of outputs k; the k-output NTK is Theta (x) I_k"},
              {"fixed_layers", 0.0,
               "F in 0..depth: the first F conv layers are not trained, so their terms leave "
               "the NTK (and finite networks give them no gradient)"},
          }};
}

CnnConfig read_config(const sdk::Options& options) {
  const sdk::PluginInfo info = plugin_info();
  const sdk::OptionReader read("cnn options", info.options, options);
  CnnConfig c;
  c.depth = int(read.integer("depth", 1, 1000));
  c.fixed_layers = int(read.integer("fixed_layers", 0, 1000));
  if (c.fixed_layers > c.depth)
    throw_error("cnn options: option 'fixed_layers' = ", c.fixed_layers, " must be in 0..depth (",
                c.depth, "); the readout layer is always trained");
  c.filter = arma::uword(read.integer("filter", 1, 1001));
  if (c.filter % 2 == 0)
    throw_error("cnn options: filter = ", c.filter, " is even; use an odd filter size (1, 3, 5, ...)");
  c.padding = read.choice("padding", {"same", "circular"}) == "same" ? sdk::Padding::same
                                                                     : sdk::Padding::circular;
  c.activation = read.choice("activation", {"relu", "erf"}) == "relu" ? Activation::relu
                                                                        : Activation::erf;
  c.w_std = read.finite("w_std", true);
  c.b_std = read.finite("b_std");
  c.readout_w_std = read.finite("readout_w_std", true);
  c.readout_b_std = read.finite("readout_b_std");
  if (c.b_std < 0 || c.readout_b_std < 0)
    throw_error("cnn options: b_std = ", c.b_std, " and readout_b_std = ", c.readout_b_std,
                " must be >= 0");
  const std::string readout = read.choice("readout", {"flatten", "gap", "pool"});
  c.readout = readout == "flatten" ? Readout::flatten : (readout == "gap" ? Readout::gap : Readout::pool);
  c.pool_window = arma::uword(read.integer("pool_window", 1, 1 << 20));
  c.pool_stride = arma::uword(read.integer("pool_stride", 1, 1 << 20));
  c.precision = read.choice("precision", {"float64", "float32"}) == "float64"
                    ? sdk::Precision::float64
                    : sdk::Precision::float32;
  c.outputs = arma::uword(read.integer("outputs", 1, 1000000));
  c.input_shape = sdk::read_input_shape(read, "cnn options");
  if (c.input_shape.size() != 0) {
    if (c.padding == sdk::Padding::circular &&
        (c.filter > c.input_shape.height || c.filter > c.input_shape.width))
      throw_error("cnn options: filter = ", c.filter, " is larger than the ", c.input_shape.height,
                  "x", c.input_shape.width, " image of input_shape; with padding = \"circular\" "
                  "the filter must fit in the image");
    if (c.readout == Readout::pool &&
        (c.pool_window > c.input_shape.height || c.pool_window > c.input_shape.width))
      throw_error("cnn options: pool_window = ", c.pool_window, " is larger than the ",
                  c.input_shape.height, "x", c.input_shape.width, " image of input_shape");
  }
  return c;
}

std::vector<sdk::LayerPtr> layers(const CnnConfig& c) {
  namespace st = sdk::stax;
  std::vector<sdk::LayerPtr> out;
  for (int l = 0; l < c.depth; ++l) {
    st::ConvOptions conv;
    conv.w_std = c.w_std;
    conv.b_std = c.b_std;
    conv.filter = c.filter;
    conv.padding = c.padding;
    conv.trainable = l >= c.fixed_layers;
    out.push_back(st::conv(conv));
    out.push_back(st::activation(activation_name(c.activation)));
  }
  out.push_back(c.readout == Readout::flatten ? st::flatten()
                : c.readout == Readout::gap   ? st::global_avg_pool()
                                              : st::avg_pool(c.pool_window, c.pool_stride));
  out.push_back(st::dense(c.readout_w_std, c.readout_b_std));
  return out;
}

std::unique_ptr<sdk::Architecture> make_architecture(const sdk::Options& options) {
  return std::make_unique<CnnArchitecture>(read_config(options));
}

sdk::Inputs sample_images(const sdk::Options& options, arma::uword n, std::uint64_t seed) {
  const CnnConfig c = read_config(options);
  return sdk::gaussian_images(c.input_shape.size() != 0 ? c.input_shape : sdk::ImageShape{2, 5, 5},
                              n, seed);
}

sdk::ImageShape resolve_shape(const CnnConfig& config, const sdk::Inputs& in,
                              const std::string& caller) {
  if (in.kind() == sdk::Inputs::Kind::graphs)
    throw_error(caller, ": the input is a list of graphs; cnn takes images (C*H*W x n, "
                "channel-major) with a shape or the option input_shape = {C, H, W}");
  const sdk::ImageShape s = sdk::resolve_image_shape(in, config.input_shape, caller);
  if (config.padding == sdk::Padding::circular && (config.filter > s.height || config.filter > s.width))
    throw_error(caller, ": a ", config.filter, "x", config.filter, " filter, larger than the ",
                s.height, "x", s.width, " image; with padding = \"circular\" the filter must fit "
                "in the image");
  if (config.readout == Readout::pool && (config.pool_window > s.height || config.pool_window > s.width))
    throw_error(caller, ": pool_window = ", config.pool_window, " is larger than the ", s.height,
                "x", s.width, " image");
  return s;
}

CnnArchitecture::CnnArchitecture(const CnnConfig& config) : config_(config) {
  sdk::stax::CompositionOptions o;
  o.name = "cnn";
  o.outputs = config.outputs;
  o.precision = config.precision;
  if (config.input_shape.size() != 0)
    o.input_shape = {double(config.input_shape.channels), double(config.input_shape.height),
                     double(config.input_shape.width)};
  composition_ = sdk::stax::composition(layers(config), o);
}

sdk::Kernels CnnArchitecture::kernels(const sdk::Inputs& a, const sdk::Inputs& b,
                                      sdk::KernelRequest what) const {
  const sdk::ImageShape shape = resolve_shape(config_, a, "cnn kernel(), first input");
  if (&a != &b) {
    const sdk::ImageShape other = resolve_shape(config_, b, "cnn kernel(), second input");
    if (!sdk::same_shape(other, shape))
      throw_error("cnn kernel(): the inputs have shapes {", shape.channels, ", ", shape.height,
                  ", ", shape.width, "} and {", other.channels, ", ", other.height, ", ",
                  other.width, "}");
  }
  return composition_->kernels(a, b, what);
}

std::unique_ptr<sdk::Network> CnnArchitecture::network(const sdk::NetworkSpec& spec) const {
  if (spec.width == 0)
    throw_error("cnn network(): width = 0; the channel count C must be a positive integer");
  return std::make_unique<CnnNetwork>(config_, composition_->network(spec));
}

std::string CnnArchitecture::describe() const {
  std::ostringstream out;
  out << "cnn: depth " << config_.depth;
  if (config_.fixed_layers > 0) out << " (first " << config_.fixed_layers << " fixed)";
  out << ", " << config_.filter << "x" << config_.filter << " filters, "
      << (config_.padding == sdk::Padding::same ? "same" : "circular") << " padding, activation "
      << activation_name(config_.activation) << ", readout " << readout_name(config_.readout)
      << ", " << (config_.precision == sdk::Precision::float64 ? "float64" : "float32")
      << " kernels; " << composition_->describe();
  if (config_.input_shape.size() != 0)
    out << ", input_shape {" << config_.input_shape.channels << ", " << config_.input_shape.height
        << ", " << config_.input_shape.width << "}";
  return out.str();
}

}  // namespace ntk::cnn
