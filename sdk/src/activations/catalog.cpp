// The activation catalog: names, keys (neural-tangents' parameter names and defaults), one-line
// docs, and make_activation.
#include <cmath>
#include <sstream>

#include "activations/closed_forms.hpp"
#include "ntk/sdk/activation.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::sdk {

namespace {

using activations::number_text;

ActivationInfo entry(std::string name, std::vector<OptionSpec> specs, std::string doc,
                     std::function<ActivationPtr(const OptionReader&)> build) {
  ActivationInfo info{name, specs, std::move(doc), nullptr};
  info.make = [name, specs, build](const Options& given) {
    const OptionReader reader("activation \"" + name + "\"", specs, given);
    return build(reader);
  };
  return info;
}

double sigmoid(double z) {
  // Never exp of a large positive number.
  if (z >= 0) return 1 / (1 + std::exp(-z));
  const double e = std::exp(z);
  return e / (1 + e);
}

std::vector<ActivationInfo> build_catalog() {
  namespace act = activations;
  const OptionSpec deg{"deg", 64.0,
                       "Gauss–Hermite nodes per axis, 1..400 (NT ElementwiseNumerical's deg)"};
  const auto quadrature = [](std::string name, std::function<double(double)> phi,
                             std::function<double(double)> dphi) {
    return [=](const OptionReader& r) {
      return numerical_activation(name, phi, dphi, static_cast<int>(r.integer("deg", 1, 400)));
    };
  };
  std::vector<ActivationInfo> c;
  c.push_back(entry("relu", {}, "max(x, 0); closed form (NT Relu = ABRelu(0, 1))",
                    [](const OptionReader&) { return act::relu(); }));
  c.push_back(entry("erf", {}, "erf(x); closed form (NT Erf(a=1, b=1, c=0))",
                    [](const OptionReader&) { return act::erf(); }));
  c.push_back(entry("leaky_relu", {{"alpha", 0.01, "slope for x < 0"}},
                    "max(x, 0) + alpha·min(x, 0); closed form (NT LeakyRelu(alpha) = "
                    "ABRelu(alpha, 1))",
                    [](const OptionReader& r) {
                      const double alpha = r.finite("alpha");
                      return act::abrelu(alpha, 1.0, "LeakyRelu(alpha=" + number_text(alpha) + ")");
                    }));
  c.push_back(entry("abrelu", {{"a", 0.0, "slope for x < 0"}, {"b", 1.0, "slope for x > 0"}},
                    "a·min(x, 0) + b·max(x, 0); closed form (NT ABRelu(a, b); NT has no "
                    "defaults, these give relu)",
                    [](const OptionReader& r) {
                      const double a = r.finite("a"), b = r.finite("b");
                      return act::abrelu(a, b, "ABRelu(a=" + number_text(a) + ", b=" +
                                                   number_text(b) + ")");
                    }));
  c.push_back(entry("abs", {}, "|x|; closed form (NT Abs = ABRelu(-1, 1))",
                    [](const OptionReader&) { return act::abrelu(-1.0, 1.0, "Abs"); }));
  const std::vector<OptionSpec> sine_keys = {{"a", 1.0, "output scale"},
                                             {"b", 1.0, "input scale"},
                                             {"c", 0.0, "input phase shift"}};
  c.push_back(entry("sin", sine_keys, "a·sin(b·x + c); closed form (NT Sin(a=1, b=1, c=0))",
                    [](const OptionReader& r) {
                      return act::sine(r.finite("a"), r.finite("b"), r.finite("c"), false);
                    }));
  c.push_back(entry("cos", sine_keys,
                    "a·cos(b·x + c); closed form (NT Cos(a=1, b=1, c=0) = Sin with c + π/2)",
                    [](const OptionReader& r) {
                      return act::sine(r.finite("a"), r.finite("b"), r.finite("c"), true);
                    }));
  c.push_back(entry("gelu", {}, "x·Φ(x), the exact erf form; closed form (NT Gelu)",
                    [](const OptionReader&) { return act::gelu(); }));
  c.push_back(entry("gaussian", {{"a", 1.0, "output scale"}, {"b", -1.0, "exponent scale"}},
                    "a·exp(b·x²); closed form (NT Gaussian(a=1, b=-1); b > 0 diverges at "
                    "large variance and is refused there)",
                    [](const OptionReader& r) {
                      return act::gaussian(r.finite("a"), r.finite("b"));
                    }));
  c.push_back(entry("exp", {{"a", 1.0, "output scale"}, {"b", 1.0, "input scale"}},
                    "a·exp(b·x); closed form (NT Exp(a=1, b=1))",
                    [](const OptionReader& r) {
                      return act::exponential(r.finite("a"), r.finite("b"));
                    }));
  c.push_back(entry("sign", {},
                    "sign(x); closed form NNGP (NT Sign); no NTK: φ' is a Dirac delta "
                    "(NT sets the NTK to 0, ntklab refuses it)",
                    [](const OptionReader&) { return act::sign(); }));
  c.push_back(entry("monomial", {{"degree", 2.0, "power n, 0..10 (NT allows 0..5)"}},
                    "xⁿ; closed form (NT Monomial(n), Isserlis' theorem)",
                    [](const OptionReader& r) {
                      return act::monomial(static_cast<int>(r.integer("degree", 0, 10)));
                    }));
  c.push_back(entry("rectified_monomial", {{"degree", 1.0, "power n, 0..10 (1 is relu)"}},
                    "(x ≥ 0)·xⁿ; closed form (NT RectifiedMonomial(n), arc-cosine kernel of "
                    "degree n); degree 0 (a step) has no NTK",
                    [](const OptionReader& r) {
                      return act::rectified_monomial(static_cast<int>(r.integer("degree", 0, 10)));
                    }));
  c.push_back(entry("tanh", {deg}, "tanh(x); 2-D Gauss–Hermite quadrature",
                    quadrature(
                        "Tanh", [](double z) { return std::tanh(z); },
                        [](double z) {
                          const double t = std::tanh(z);
                          return 1 - t * t;
                        })));
  c.push_back(entry("sigmoid", {deg}, "1/(1 + exp(-x)); 2-D Gauss–Hermite quadrature",
                    quadrature("Sigmoid", sigmoid, [](double z) {
                      const double s = sigmoid(z);
                      return s * (1 - s);
                    })));
  c.push_back(entry("softplus", {deg}, "log(1 + exp(x)); 2-D Gauss–Hermite quadrature",
                    quadrature(
                        "Softplus",
                        [](double z) { return std::max(z, 0.0) + std::log1p(std::exp(-std::fabs(z))); },
                        sigmoid)));
  return c;
}

}  // namespace

const std::vector<ActivationInfo>& activation_catalog() {
  static const std::vector<ActivationInfo> catalog = build_catalog();
  return catalog;
}

ActivationPtr make_activation(const std::string& name, const Options& options) {
  const auto& catalog = activation_catalog();
  for (const auto& info : catalog)
    if (info.name == name) return info.make(options);
  std::ostringstream known;
  for (std::size_t i = 0; i < catalog.size(); ++i) known << (i ? ", " : "") << catalog[i].name;
  throw_error("make_activation(): unknown activation \"", name, "\"; known activations are: ",
              known.str());
}

}  // namespace ntk::sdk
