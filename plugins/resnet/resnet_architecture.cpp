#include "resnet_architecture.hpp"

#include <sstream>

#include "conformance.hpp"
#include "image_shape.hpp"
#include "ntk/sdk/error.hpp"
#include "resnet_network.hpp"

namespace ntk::resnet {

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
              {"input_dim", 0.0,
               "kind = \"mlp\": input dimension d of finite networks (their parameters are then "
               "drawn at once); 0 = the row count of their first input"},
              {"filter", 3.0, "kind = \"conv\": filter size q (odd), q x q"},
              {"padding", std::string("same"), "kind = \"conv\": \"same\" or \"circular\""},
              {"readout", std::string("flatten"),
               "kind = \"conv\": \"flatten\" or \"gap\" (global average pooling)"},
              {"fixed_layers", 0.0,
               "F in 0..1 + blocks*branch_depth: the stem and the next F - 1 branch layers are "
               "not trained (their terms leave the NTK; finite networks give them no gradient)"},
              {"parametrization", std::string("ntk"),
               "kind = \"mlp\": \"ntk\" or \"standard\" (as fc; needs standard_width)"},
              {"standard_width", 0.0,
               "kind = \"mlp\", parametrization = \"standard\": the hidden width N the analytic "
               "kernel assumes"},
              {"precision", std::string("float64"),
               "kind = \"conv\": \"float64\" or \"float32\" (per-pixel-pair tensors in float)"},
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
  c.fixed_layers = int(read.integer("fixed_layers", 0, 1 << 30));
  if (c.fixed_layers > c.hidden_layers())
    throw_error("resnet options: option 'fixed_layers' = ", c.fixed_layers, " must be in 0..",
                c.hidden_layers(), " (the stem and blocks*branch_depth branch layers); the "
                "readout layer is always trained");
  const bool standard = read.choice("parametrization", {"ntk", "standard"}) == "standard";
  c.standard_width = arma::uword(read.integer("standard_width", 0, 1LL << 40));
  if (c.kind == Kind::conv && standard)
    throw_error("resnet options: parametrization = \"standard\" applies to kind = \"mlp\" only; "
                "the convolutional kernel engine has the NTK parametrisation only");
  if (standard && c.standard_width == 0)
    throw_error("resnet options: parametrization = \"standard\" needs standard_width = N, the "
                "hidden width the analytic kernel assumes");
  if (!standard && c.standard_width != 0)
    throw_error("resnet options: standard_width = ", c.standard_width,
                " only applies with parametrization = \"standard\"");
  if (standard) c.parametrization = sdk::Parametrization::standard;
  c.input_dim = arma::uword(read.integer("input_dim", 0, 1LL << 40));
  if (c.kind == Kind::conv && c.input_dim != 0)
    throw_error("resnet options: 'input_dim' applies to kind = \"mlp\" only; convolutional "
                "networks take input_shape = {C, H, W}");
  if (c.kind == Kind::mlp) {
    for (const char* key : {"input_shape", "filter", "padding", "readout", "precision"})
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
  c.padding = read.choice("padding", {"same", "circular"}) == "same" ? sdk::Padding::same
                                                                     : sdk::Padding::circular;
  c.precision = read.choice("precision", {"float64", "float32"}) == "float64"
                    ? sdk::Precision::float64
                    : sdk::Precision::float32;
  c.readout = read.choice("readout", {"flatten", "gap"}) == "flatten" ? Readout::flatten
                                                                      : Readout::gap;
  c.input_shape = sdk::read_input_shape(read, "resnet options");
  if (c.input_shape.size() != 0) {
    if (c.padding == sdk::Padding::circular &&
        (c.filter > c.input_shape.height || c.filter > c.input_shape.width))
      throw_error("resnet options: filter = ", c.filter, " is larger than the ",
                  c.input_shape.height, "x", c.input_shape.width, " image of input_shape; with "
                  "padding = \"circular\" the filter must fit in the image");
  }
  return c;
}

std::vector<sdk::LayerPtr> layers(const ResnetConfig& c) {
  namespace st = sdk::stax;
  int index = 0;  // stem and branch layers in order; the first fixed_layers are frozen
  auto weighted = [&] {
    const bool trainable = index++ >= c.fixed_layers;
    if (c.kind == Kind::mlp) {
      st::DenseOptions dense;
      dense.w_std = c.w_std;
      dense.b_std = c.b_std;
      dense.trainable = trainable;
      return st::dense(dense);
    }
    st::ConvOptions conv;
    conv.w_std = c.w_std;
    conv.b_std = c.b_std;
    conv.filter = c.filter;
    conv.padding = c.padding;
    conv.trainable = trainable;
    return st::conv(conv);
  };
  auto phi = [&] { return st::activation(activation_name(c.activation)); };
  std::vector<sdk::LayerPtr> out{weighted()};
  for (int b = 0; b < c.blocks; ++b) {
    std::vector<sdk::LayerPtr> branch;
    for (int l = 0; l < c.branch_depth; ++l) {
      branch.push_back(phi());
      branch.push_back(weighted());
    }
    out.push_back(st::residual(c.alpha, std::move(branch)));
  }
  out.push_back(phi());
  if (c.kind == Kind::conv)
    out.push_back(c.readout == Readout::flatten ? st::flatten() : st::global_avg_pool());
  out.push_back(st::dense(c.readout_w_std, c.readout_b_std));
  return out;
}

std::unique_ptr<sdk::Architecture> make_architecture(const sdk::Options& options) {
  return std::make_unique<ResnetArchitecture>(read_config(options));
}

ResnetArchitecture::ResnetArchitecture(const ResnetConfig& config) : config_(config) {
  sdk::stax::CompositionOptions o;
  o.name = "resnet";
  o.outputs = config.outputs;
  o.parametrization = config.parametrization;
  o.standard_width = config.standard_width;
  o.precision = config.precision;
  if (config.input_shape.size() != 0)
    o.input_shape = {double(config.input_shape.channels), double(config.input_shape.height),
                     double(config.input_shape.width)};
  o.input_dim = config.input_dim;
  composition_ = sdk::stax::composition(layers(config), o);
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
  // kind = "mlp" reads images as their C·H·W vectors.
  if (config_.kind == Kind::conv ||
      (a.kind() == sdk::Inputs::Kind::dense && b.kind() == sdk::Inputs::Kind::dense))
    return composition_->kernels(a, b, what);
  const sdk::Inputs va = sdk::Inputs::dense(a.x());
  if (symmetric) return composition_->kernels(va, va, what);
  return composition_->kernels(va, sdk::Inputs::dense(b.x()), what);
}

std::unique_ptr<sdk::Network> ResnetArchitecture::network(const sdk::NetworkSpec& spec) const {
  if (spec.width == 0)
    throw_error("resnet network(): width = 0; the width (channels for kind = \"conv\") must be a "
                "positive integer");
  return std::make_unique<ResnetNetwork>(config_, composition_->network(spec));
}

std::string ResnetArchitecture::describe() const {
  std::ostringstream out;
  out << "resnet: kind " << (config_.kind == Kind::mlp ? "mlp" : "conv") << ", " << config_.blocks
      << " block(s) x + " << config_.alpha << "*branch(x), branch_depth " << config_.branch_depth
      << ", activation " << activation_name(config_.activation) << ", " << config_.outputs
      << " output(s)";
  if (config_.fixed_layers > 0) out << ", first " << config_.fixed_layers << " layer(s) fixed";
  if (config_.parametrization == sdk::Parametrization::standard)
    out << ", standard parametrisation (analytic width " << config_.standard_width << ")";
  if (config_.kind == Kind::conv)
    out << ", " << config_.filter << "x" << config_.filter << " filters, "
        << (config_.padding == sdk::Padding::same ? "same" : "circular") << " padding, readout "
        << readout_name(config_.readout) << ", "
        << (config_.precision == sdk::Precision::float64 ? "float64" : "float32") << " kernels";
  // In neural-tangents' words: a block is FanOut(2), the branch, FanInSum(alpha).
  out << "; serial(";
  bool first = true;
  auto item = [&](const sdk::LayerPtr& layer) {
    const std::vector<sdk::LayerPtr> branch = layer->children();
    if (branch.empty() || layer->name().rfind("Residual", 0) != 0) {
      out << (first ? "" : ", ") << layer->name();
    } else {
      out << (first ? "" : ", ") << "FanOut(2)";
      for (const auto& l : branch) out << ", " << l->name();
      out << ", FanInSum(alpha=" << config_.alpha << ")";
    }
    first = false;
  };
  for (const auto& layer : layers(config_)) item(layer);
  out << ")";
  if (config_.input_shape.size() != 0)
    out << ", input_shape {" << config_.input_shape.channels << ", " << config_.input_shape.height
        << ", " << config_.input_shape.width << "}";
  return out.str();
}

}  // namespace ntk::resnet
