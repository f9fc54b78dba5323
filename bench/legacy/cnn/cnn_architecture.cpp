#include "cnn_architecture.hpp"

#include <sstream>

#include "cnn_network.hpp"
#include "image_shape.hpp"
#include "kernel_state.hpp"
#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::legacy_cnn {

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
          }};
}

CnnConfig read_config(const sdk::Options& options) {
  const sdk::PluginInfo info = plugin_info();
  const sdk::OptionReader read("cnn options", info.options, options);
  CnnConfig c;
  c.depth = int(read.integer("depth", 1, 1000));
  c.filter = arma::uword(read.integer("filter", 1, 1001));
  if (c.filter % 2 == 0)
    throw_error("cnn options: filter = ", c.filter, " is even; use an odd filter size (1, 3, 5, ...)");
  c.padding = read.choice("padding", {"same", "circular"}) == "same" ? sdk::layers::Padding::same
                                                                     : sdk::layers::Padding::circular;
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
                    ? sdk::layers::Precision::float64
                    : sdk::layers::Precision::float32;
  c.input_shape = sdk::read_input_shape(read, "cnn options");
  if (c.input_shape.size() != 0) {
    if (c.padding == sdk::layers::Padding::circular &&
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
  return sdk::resolve_image_shape(in, config.input_shape, caller);
}

sdk::Kernels CnnArchitecture::kernels(const sdk::Inputs& a, const sdk::Inputs& b,
                                      sdk::KernelRequest what) const {
  const bool symmetric = &a == &b;
  const sdk::ImageShape shape = resolve_shape(config_, a, "cnn kernel(), first input");
  if (!symmetric) {
    const sdk::ImageShape other = resolve_shape(config_, b, "cnn kernel(), second input");
    if (!sdk::same_shape(other, shape))
      throw_error("cnn kernel(): the inputs have shapes {", shape.channels, ", ", shape.height,
                  ", ", shape.width, "} and {", other.channels, ", ", other.height, ", ",
                  other.width, "}");
  }
  sdk::Kernels out;
  if (!what.nngp && !what.ntk) return out;
  namespace L = sdk::layers;
  sdk::KernelState s = L::image_kernel(a.x(), symmetric ? a.x() : b.x(), shape, symmetric,
                                       conv_rules(config_), spatial_readout(config_), what.ntk,
                                       config_.precision, "cnn kernel()");
  L::apply_rules(s, {L::dense(config_.readout_w_std, config_.readout_b_std)}, what.nngp);
  L::finish(s);
  if (what.nngp) out.nngp = std::move(s.nngp);
  if (what.ntk) out.ntk = std::move(s.ntk);
  return out;
}

std::unique_ptr<sdk::Network> CnnArchitecture::network(const sdk::NetworkSpec& spec) const {
  return std::make_unique<CnnNetwork>(config_, spec.width, spec.seed);
}

std::string CnnArchitecture::describe() const {
  std::ostringstream out;
  out << "cnn: depth " << config_.depth << ", " << config_.filter << "x" << config_.filter
      << " filters, " << (config_.padding == sdk::layers::Padding::same ? "same" : "circular")
      << " padding, activation " << activation_name(config_.activation) << ", readout "
      << readout_name(config_.readout) << ", "
      << (config_.precision == sdk::layers::Precision::float64 ? "float64" : "float32")
      << " kernels; serial(";
  const auto rules = conv_rules(config_);
  for (const auto& r : rules) out << r.name() << ", ";
  out << spatial_readout(config_).name() << ", Dense(W_std=" << config_.readout_w_std
      << ", b_std=" << config_.readout_b_std << "))";
  if (config_.input_shape.size() != 0)
    out << ", input_shape {" << config_.input_shape.channels << ", " << config_.input_shape.height
        << ", " << config_.input_shape.width << "}";
  return out.str();
}

}  // namespace ntk::legacy_cnn
