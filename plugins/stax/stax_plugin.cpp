// The stax plugin: an architecture written as a list of SDK layers in Lua,
//
//   ntk.arch("stax", {layers = {{"dense", w_std = 1.5, b_std = 0.1}, {"gelu"},
//                               {"residual", alpha = 0.5, branch = {{"relu"}, {"dense"}}},
//                               {"relu"}, {"dense"}}, outputs = 1})
//
// Each layer is {"name", key = value, ...} with the names and keys of the SDK's layer catalog
// (sdk/include/ntk/sdk/stax.hpp, activation.hpp); `ntklab plugins` lists them.
#include <iomanip>
#include <sstream>

#include "ntk/sdk/plugin.hpp"
#include "ntk/sdk/stax.hpp"

namespace {

namespace sdk = ntk::sdk;

std::string layer_docs() {
  std::ostringstream out;
  out << "  layers ({\"name\", key = value, ...}; the last dense layer is the readout):\n";
  for (const sdk::stax::LayerInfo& l : sdk::stax::layer_catalog()) {
    out << "    " << l.name;
    if (!l.options.empty()) {
      out << " {";
      for (std::size_t i = 0; i < l.options.size(); ++i)
        out << (i ? ", " : "") << l.options[i].name << " = "
            << sdk::option_value_text(l.options[i].default_value);
      out << "}";
    }
    out << "\n      " << l.doc << "\n";
    for (const auto& o : l.options) out << "      " << o.name << ": " << o.doc << "\n";
  }
  return out.str();
}

sdk::PluginInfo stax_info() {
  return {"stax",
          "1.0.0",
          "Any composition of SDK layers, written in Lua: {layers = {{\"dense\"}, {\"relu\"}, ...}}",
          {
              {"layers", std::vector<sdk::LayerSpec>{},
               "the layers, in order: a list of tables {\"name\", key = value, ...}"},
              {"outputs", 1.0, "number of outputs k; the k-output NTK is Theta (x) I_k"},
              {"parametrization", std::string("ntk"), "\"ntk\" or \"standard\""},
              {"standard_width", 0.0,
               "hidden width N the analytic kernel assumes; required with parametrization = "
               "\"standard\""},
              {"precision", std::string("float64"),
               "\"float64\" or \"float32\" (the pixel-pair tensors of image kernels)"},
              {"input_dim", 0.0, "input dimension d of finite networks; 0 = from the first input"},
              {"input_shape", std::vector<double>{},
               "{C, H, W}: read d x n matrices as images of this shape"},
          },
          layer_docs()};
}

std::unique_ptr<sdk::Architecture> make_stax(const sdk::Options& options) {
  const sdk::PluginInfo info = stax_info();
  const sdk::OptionReader read("stax options", info.options, options);
  if (!read.given("layers"))
    throw ntk::Error("stax options: 'layers' is required, e.g. layers = {{\"dense\"}, {\"relu\"}, "
                     "{\"dense\"}}");
  const std::vector<sdk::LayerSpec> specs = read.tables("layers");
  if (specs.empty()) throw ntk::Error("stax options: 'layers' is empty; give at least one layer");
  sdk::stax::CompositionOptions o;
  o.name = "stax";
  o.outputs = arma::uword(read.integer("outputs", 1, 1000000));
  o.parametrization = read.choice("parametrization", {"ntk", "standard"}) == "ntk"
                          ? sdk::Parametrization::ntk
                          : sdk::Parametrization::standard;
  o.standard_width = arma::uword(read.integer("standard_width", 0, 1LL << 40));
  o.precision = read.choice("precision", {"float64", "float32"}) == "float64"
                    ? sdk::Precision::float64
                    : sdk::Precision::float32;
  o.input_dim = arma::uword(read.integer("input_dim", 0, 1LL << 40));
  o.input_shape = read.list("input_shape");
  if (!o.input_shape.empty() && o.input_shape.size() != 3)
    throw ntk::Error("stax options: input_shape must be {C, H, W}");
  return sdk::stax::composition(sdk::stax::layers_from_specs(specs, "stax layers"), o);
}

}  // namespace

#ifndef NTK_PLUGIN_NO_REGISTER
NTK_REGISTER_PLUGIN(stax_info, make_stax)
#endif
