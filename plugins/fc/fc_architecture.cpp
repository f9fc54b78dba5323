#include "fc_architecture.hpp"

#include <sstream>

#include "fc_network.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::fc {

sdk::PluginInfo plugin_info() {
  return {"fc",
          "1.0.0",
          "Fully connected network Dense, phi, ..., Dense: analytic NNGP/NTK and finite networks",
          {
              {"depth", 1.0,
               "hidden layers L >= 0 (the network has L + 1 dense layers; 0 = linear model)"},
              {"activation", std::string("relu"), "\"relu\" or \"erf\" (closed-form kernels)"},
              {"w_std", 1.0, "weight standard deviation sigma_w > 0"},
              {"b_std", 0.0, "bias standard deviation sigma_b >= 0 (biases are always trainable)"},
              {"parametrization", std::string("ntk"),
               "\"ntk\" or \"standard\" (Sohl-Dickstein et al. 2020; see plugins/fc/README.md)"},
              {"outputs", 1.0, "number of outputs k; the k-output NTK is Theta (x) I_k"},
              {"standard_width", 0.0,
               "hidden width N the analytic kernel assumes; required with parametrization = "
               "\"standard\", not allowed otherwise"},
              {"input_dim", 0.0,
               "input dimension d of finite networks; 0 = the row count of their first input"},
              {"fixed_layers", 0.0,
               "F in 0..depth: the first F dense layers (weights and biases) are not trained, "
               "so their terms leave the NTK (F = depth: only the readout, NTK = its NNGP term)"},
          }};
}

FcConfig read_config(const sdk::Options& options) {
  const sdk::PluginInfo info = plugin_info();
  const sdk::OptionReader read("fc options", info.options, options);
  FcConfig c;
  c.depth = int(read.integer("depth", 0, 1000));
  c.fixed_layers = int(read.integer("fixed_layers", 0, 1000));
  if (c.fixed_layers > c.depth)
    throw_error("fc options: option 'fixed_layers' = ", c.fixed_layers, " must be in 0..depth (",
                c.depth, "); the readout layer is always trained");
  c.activation = read.choice("activation", {"relu", "erf"}) == "relu" ? Activation::relu
                                                                        : Activation::erf;
  c.w_std = read.finite("w_std", /*positive=*/true);
  c.b_std = read.finite("b_std");
  if (c.b_std < 0) throw_error("fc options: option 'b_std' = ", c.b_std, " must be >= 0");
  c.parametrization = read.choice("parametrization", {"ntk", "standard"}) == "ntk"
                          ? sdk::Parametrization::ntk
                          : sdk::Parametrization::standard;
  c.outputs = arma::uword(read.integer("outputs", 1, 1000000));
  c.input_dim = arma::uword(read.integer("input_dim", 0, 1LL << 40));
  c.standard_width = double(read.integer("standard_width", 0, 1LL << 40));
  if (c.parametrization == sdk::Parametrization::standard && c.standard_width == 0)
    throw_error("fc options: parametrization = \"standard\" needs standard_width = N, the hidden "
                "width the analytic kernel assumes (its NTK grows with the fan-in, as in "
                "neural-tangents' Dense(N, parameterization='standard'))");
  if (c.parametrization == sdk::Parametrization::ntk && c.standard_width != 0)
    throw_error("fc options: standard_width = ", c.standard_width,
                " only applies with parametrization = \"standard\"; the NTK parametrisation's "
                "kernel does not depend on the width");
  return c;
}

std::vector<sdk::LayerPtr> layers(const FcConfig& c) {
  namespace st = sdk::stax;
  std::vector<sdk::LayerPtr> out;
  for (int l = 0; l <= c.depth; ++l) {
    st::DenseOptions dense;
    dense.w_std = c.w_std;
    dense.b_std = c.b_std;
    dense.trainable = l >= c.fixed_layers;
    out.push_back(st::dense(dense));
    if (l < c.depth) out.push_back(st::activation(activation_name(c.activation)));
  }
  return out;
}

std::unique_ptr<sdk::Architecture> make_architecture(const sdk::Options& options) {
  return std::make_unique<FcArchitecture>(read_config(options));
}

FcArchitecture::FcArchitecture(const FcConfig& config) : config_(config) {
  sdk::stax::CompositionOptions o;
  o.name = "fc";
  o.outputs = config.outputs;
  o.parametrization = config.parametrization;
  o.standard_width = arma::uword(config.standard_width);
  o.input_dim = config.input_dim;
  composition_ = sdk::stax::composition(layers(config), o);
}

sdk::Kernels FcArchitecture::kernels(const sdk::Inputs& a, const sdk::Inputs& b,
                                     sdk::KernelRequest what) const {
  // fc's own messages for what the composition would also refuse (tests and scripts read them).
  for (const sdk::Inputs* in : {&a, &b})
    if (in->kind() == sdk::Inputs::Kind::graphs)
      throw_error("fc kernel(): the ", in == &a ? "first" : "second", " input is a list of "
                  "graphs; fc takes d x n vectors (or images, read as vectors)");
  if (a.dim() != b.dim())
    throw_error("fc kernel(): inputs have ", a.dim(), " and ", b.dim(), " rows (", a.dim(), " x ",
                a.size(), " and ", b.dim(), " x ", b.size(), ")");
  // Images are read as their C·H·W vectors (in either parametrisation).
  if (a.kind() == sdk::Inputs::Kind::dense && b.kind() == sdk::Inputs::Kind::dense)
    return composition_->kernels(a, b, what);
  const sdk::Inputs va = sdk::Inputs::dense(a.x());
  if (&a == &b) return composition_->kernels(va, va, what);
  return composition_->kernels(va, sdk::Inputs::dense(b.x()), what);
}

std::unique_ptr<sdk::Network> FcArchitecture::network(const sdk::NetworkSpec& spec) const {
  return std::make_unique<FcNetwork>(composition_->network(spec), config_.input_dim);
}

std::string FcArchitecture::describe() const {
  std::ostringstream out;
  out << "fc: fully connected, depth " << config_.depth;
  if (config_.fixed_layers > 0) out << " (first " << config_.fixed_layers << " fixed)";
  out << ", activation " << activation_name(config_.activation) << ", w_std " << config_.w_std
      << ", b_std " << config_.b_std << "; " << composition_->describe();
  return out.str();
}

}  // namespace ntk::fc
