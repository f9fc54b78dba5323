#include "resnet_architecture.hpp"

#include <sstream>

#include "conformance.hpp"
#include "image_shape.hpp"
#include "kernel_state.hpp"
#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/error.hpp"
#include "resnet_network.hpp"

namespace ntk::legacy_resnet {

sdk::PluginInfo plugin_info() {
  return {"resnet",
          "1.0.0",
          "Residual network: stem, B blocks x + alpha*branch(x), phi, readout Dense; dense (mlp) "
          "or convolutional (conv) layers; analytic NNGP/NTK and finite networks",
          {
              {"kind", std::string("mlp"),
               "\"mlp\" (Dense layers on d x n vectors) or \"conv\" (q x q convolutions on images)"},
              {"blocks", 2.0, "residual blocks B >= 0 (B = 0: stem, phi, readout)"},
              {"alpha", 1.0, "branch scale: a block is x + alpha*branch(x) (e.g. 1/sqrt(B))"},
              {"branch_depth", 2.0, "(phi, Dense|Conv) pairs per branch, >= 1"},
              {"activation", std::string("relu"), "\"relu\" or \"erf\""},
              {"w_std", 1.0, "stem and branch weight standard deviation > 0"},
              {"b_std", 0.0, "stem and branch bias standard deviation >= 0"},
              {"readout_w_std", 1.0, "readout Dense weight standard deviation > 0"},
              {"readout_b_std", 0.0, "readout Dense bias standard deviation >= 0"},
              {"outputs", 1.0, "number of outputs k; the k-output NTK is Theta (x) I_k"},
              {"input_shape", std::vector<double>{},
               "kind = \"conv\": {C, H, W} of inputs given as plain d x n matrices"},
              {"filter", 3.0, "kind = \"conv\": filter size q (odd), q x q"},
              {"padding", std::string("same"), "kind = \"conv\": \"same\" or \"circular\""},
              {"readout", std::string("flatten"),
               "kind = \"conv\": \"flatten\" or \"gap\" (global average pooling)"},
          }};
}

ResnetConfig read_config(const sdk::Options& options) {
  const sdk::PluginInfo info = plugin_info();
  const sdk::OptionReader read("resnet options", info.options, options);
  ResnetConfig c;
  c.kind = read.choice("kind", {"mlp", "conv"}) == "mlp" ? Kind::mlp : Kind::conv;
  if (read.given("blocks") && read.number("blocks") < 0)
    throw_error("resnet options: blocks = ", read.number("blocks"),
                " is negative; give B >= 0 residual blocks");
  c.blocks = int(read.integer("blocks", 0, 10000));
  c.alpha = read.finite("alpha");
  c.branch_depth = int(read.integer("branch_depth", 1, 1000));
  c.activation = read.choice("activation", {"relu", "erf"}) == "relu" ? Activation::relu
                                                                        : Activation::erf;
  c.w_std = read.finite("w_std", true);
  c.b_std = read.finite("b_std");
  c.readout_w_std = read.finite("readout_w_std", true);
  c.readout_b_std = read.finite("readout_b_std");
  if (c.b_std < 0 || c.readout_b_std < 0)
    throw_error("resnet options: b_std = ", c.b_std, " and readout_b_std = ", c.readout_b_std,
                " must be >= 0");
  c.outputs = arma::uword(read.integer("outputs", 1, 1000000));
  if (c.kind == Kind::mlp) {
    for (const char* key : {"input_shape", "filter", "padding", "readout"})
      if (read.given(key))
        throw_error("resnet options: '", key, "' applies to kind = \"conv\" only; with kind = "
                    "\"mlp\" (the default) the inputs are d x n vectors and the readout is a "
                    "Dense layer. Give kind = \"conv\" for convolutional blocks");
    return c;
  }
  c.filter = arma::uword(read.integer("filter", 1, 1001));
  if (c.filter % 2 == 0)
    throw_error("resnet options: filter = ", c.filter,
                " is even; use an odd filter size (1, 3, 5, ...) so that 'same' padding centres it");
  c.padding = read.choice("padding", {"same", "circular"}) == "same"
                  ? sdk::layers::Padding::same
                  : sdk::layers::Padding::circular;
  c.readout = read.choice("readout", {"flatten", "gap"}) == "flatten" ? Readout::flatten
                                                                      : Readout::gap;
  c.input_shape = sdk::read_input_shape(read, "resnet options");
  if (c.input_shape.size() != 0) {
    if (c.padding == sdk::layers::Padding::circular &&
        (c.filter > c.input_shape.height || c.filter > c.input_shape.width))
      throw_error("resnet options: filter = ", c.filter, " is larger than the ",
                  c.input_shape.height, "x", c.input_shape.width, " image of input_shape; with "
                  "padding = \"circular\" the filter must fit in the image");
  }
  return c;
}

std::unique_ptr<sdk::Architecture> make_architecture(const sdk::Options& options) {
  return std::make_unique<ResnetArchitecture>(read_config(options));
}

sdk::Inputs sample_inputs(const sdk::Options& options, arma::uword n, std::uint64_t seed) {
  const ResnetConfig c = read_config(options);
  if (c.kind == Kind::mlp) return sdk::dense_gaussian_inputs(5, n, seed);
  return sdk::gaussian_images(c.input_shape.size() != 0 ? c.input_shape : sdk::ImageShape{2, 5, 5},
                              n, seed);
}

sdk::ImageShape resolve_shape(const ResnetConfig& config, const sdk::Inputs& in,
                              const std::string& caller) {
  if (in.kind() == sdk::Inputs::Kind::graphs)
    throw_error(caller, ": the input is a list of graphs; resnet takes d x n vectors (kind = "
                "\"mlp\") or images (kind = \"conv\")");
  if (config.kind == Kind::mlp) {
    if (in.dim() == 0) throw_error(caller, ": the input has 0 rows");
    return {in.dim(), 1, 1};
  }
  return sdk::resolve_image_shape(in, config.input_shape, caller);
}

sdk::Kernels ResnetArchitecture::kernels(const sdk::Inputs& a, const sdk::Inputs& b,
                                         sdk::KernelRequest what) const {
  namespace L = sdk::layers;
  const bool symmetric = &a == &b;
  const sdk::ImageShape shape = resolve_shape(config_, a, "resnet kernel(), first input");
  if (!symmetric) {
    const sdk::ImageShape other = resolve_shape(config_, b, "resnet kernel(), second input");
    if (!sdk::same_shape(other, shape)) {
      if (config_.kind == Kind::mlp)
        throw_error("resnet kernel(): inputs have ", a.dim(), " and ", b.dim(), " rows (", a.dim(),
                    " x ", a.size(), " and ", b.dim(), " x ", b.size(), ")");
      throw_error("resnet kernel(): the inputs have shapes {", shape.channels, ", ", shape.height,
                  ", ", shape.width, "} and {", other.channels, ", ", other.height, ", ",
                  other.width, "}");
    }
  }
  sdk::Kernels out;
  if (!what.nngp && !what.ntk) return out;
  const arma::mat& xb = symmetric ? a.x() : b.x();
  sdk::KernelState s;
  if (config_.kind == Kind::mlp) {
    sdk::check_finite("resnet kernel(), first input", a.x());
    if (!symmetric) sdk::check_finite("resnet kernel(), second input", xb);
    s = L::input_kernel(a.x(), xb, symmetric, what.ntk, "resnet kernel()");
    L::apply_rules(s, dense_rules(config_), /*keep_nngp=*/what.nngp);
  } else {
    s = L::image_kernel(a.x(), xb, shape, symmetric, image_rules(config_), spatial_readout(config_),
                        what.ntk, L::Precision::float64, "resnet kernel()");
    L::apply_rules(s, {L::dense(config_.readout_w_std, config_.readout_b_std)}, what.nngp);
  }
  L::finish(s);
  if (what.nngp) out.nngp = std::move(s.nngp);
  if (what.ntk) out.ntk = std::move(s.ntk);
  return out;
}

std::unique_ptr<sdk::Network> ResnetArchitecture::network(const sdk::NetworkSpec& spec) const {
  return std::make_unique<ResnetNetwork>(config_, spec.width, spec.seed);
}

std::string ResnetArchitecture::describe() const {
  std::ostringstream out;
  out << "resnet: kind " << (config_.kind == Kind::mlp ? "mlp" : "conv") << ", " << config_.blocks
      << " block(s) x + " << config_.alpha << "*branch(x), branch_depth " << config_.branch_depth
      << ", activation " << activation_name(config_.activation) << ", " << config_.outputs
      << " output(s)";
  if (config_.kind == Kind::conv)
    out << ", " << config_.filter << "x" << config_.filter << " filters, "
        << (config_.padding == sdk::layers::Padding::same ? "same" : "circular")
        << " padding, readout " << readout_name(config_.readout);
  out << "; serial(";
  bool first = true;
  auto item = [&](const std::string& name) {
    out << (first ? "" : ", ") << name;
    first = false;
  };
  if (config_.kind == Kind::mlp) {
    for (const auto& r : dense_rules(config_)) item(r.name());
  } else {
    for (const auto& r : image_rules(config_)) item(r.name());
    item(spatial_readout(config_).name());
    item(sdk::layers::dense(config_.readout_w_std, config_.readout_b_std).name());
  }
  out << ")";
  if (config_.input_shape.size() != 0)
    out << ", input_shape {" << config_.input_shape.channels << ", " << config_.input_shape.height
        << ", " << config_.input_shape.width << "}";
  return out.str();
}

}  // namespace ntk::legacy_resnet
