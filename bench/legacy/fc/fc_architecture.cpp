#include "fc_architecture.hpp"

#include <sstream>

#include "fc_network.hpp"
#include "kernel_state.hpp"
#include "layers.hpp"
#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::legacy_fc {

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

std::unique_ptr<sdk::Architecture> make_architecture(const sdk::Options& options) {
  return std::make_unique<FcArchitecture>(read_config(options));
}

namespace {

const arma::mat& vectors(const sdk::Inputs& in, const char* which) {
  if (in.kind() == sdk::Inputs::Kind::graphs)
    throw_error("fc kernel(): the ", which, " input is a list of graphs; fc takes d x n vectors "
                "(or images, read as vectors)");
  return in.x();
}

}  // namespace

sdk::Kernels FcArchitecture::kernels(const sdk::Inputs& a, const sdk::Inputs& b,
                                     sdk::KernelRequest what) const {
  const bool symmetric = &a == &b;
  const arma::mat& xa = vectors(a, "first");
  const arma::mat& xb = symmetric ? xa : vectors(b, "second");
  if (xa.n_rows != xb.n_rows)
    throw_error("fc kernel(): inputs have ", xa.n_rows, " and ", xb.n_rows, " rows (", xa.n_rows,
                " x ", xa.n_cols, " and ", xb.n_rows, " x ", xb.n_cols, ")");
  sdk::check_finite("fc kernel(), first input", xa);
  if (!symmetric) sdk::check_finite("fc kernel(), second input", xb);
  sdk::Kernels out;
  if (!what.nngp && !what.ntk) return out;
  const double n1 = double(xa.n_cols), n2 = double(xb.n_cols);
  const int matrices = int(what.nngp) + int(what.ntk);
  std::ostringstream name;
  name << "fc kernel(): the " << xa.n_cols << " x " << xb.n_cols << " "
       << (matrices == 2 ? "NNGP and NTK" : (what.ntk ? "NTK" : "NNGP"));
  sdk::check_allocation(name.str(), n1, n2 * matrices);

  const std::vector<sdk::layers::Rule> rules = kernel_rules(config_);
  // Fixed layers: the first F (Dense, φ) pairs run without the NTK, which then starts from 0 at
  // the first trained layer, so the frozen layers' terms are absent from the sum.
  const std::size_t frozen = what.ntk ? 2 * std::size_t(config_.fixed_layers) : 0;
  sdk::KernelState s =
      sdk::layers::input_kernel(xa, xb, symmetric, what.ntk && frozen == 0, "fc kernel()");
  if (frozen > 0) {
    sdk::layers::apply_rules(s, {rules.begin(), rules.begin() + std::ptrdiff_t(frozen)});
    s.track_ntk = true;
    s.ntk_is_zero = true;
  }
  sdk::layers::apply_rules(s, {rules.begin() + std::ptrdiff_t(frozen), rules.end()},
                           /*keep_nngp=*/what.nngp);
  sdk::layers::finish(s);
  if (what.nngp) out.nngp = std::move(s.nngp);
  if (what.ntk) out.ntk = std::move(s.ntk);
  return out;
}

std::unique_ptr<sdk::Network> FcArchitecture::network(const sdk::NetworkSpec& spec) const {
  return std::make_unique<FcNetwork>(config_, spec.width, spec.seed);
}

std::string FcArchitecture::describe() const {
  std::ostringstream out;
  out << "fc: fully connected, depth " << config_.depth;
  if (config_.fixed_layers > 0) out << " (first " << config_.fixed_layers << " fixed)";
  out << ", activation "
      << activation_name(config_.activation) << ", w_std " << config_.w_std << ", b_std "
      << config_.b_std << ", "
      << (config_.parametrization == sdk::Parametrization::ntk ? "NTK" : "standard")
      << " parametrisation";
  if (config_.parametrization == sdk::Parametrization::standard)
    out << " (analytic width " << config_.standard_width << ")";
  out << ", " << config_.outputs << " output(s); serial(";
  const auto rules = kernel_rules(config_);
  for (std::size_t i = 0; i < rules.size(); ++i) out << (i ? ", " : "") << rules[i].name();
  out << ")";
  return out.str();
}

}  // namespace ntk::legacy_fc
