// The conformance kit (see conformance.hpp for the list of checks and their meaning).
//
// Every check is a function returning the measured error; run_check wraps it so that an
// exception (from the plugin or from a failed precondition) becomes a FAIL with its message.
#include "ntk/sdk/conformance.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <limits>
#include <memory>
#include <random>
#include <sstream>

#include "conformance_detail.hpp"

namespace ntk::sdk {
namespace conformance_detail {

double relative_error(const arma::mat& value, const arma::mat& truth) {
  if (value.n_rows != truth.n_rows || value.n_cols != truth.n_cols)
    throw_error("shape ", value.n_rows, " x ", value.n_cols, " where ", truth.n_rows, " x ",
                truth.n_cols, " is expected");
  const double scale = arma::norm(truth, "fro");
  const double diff = arma::norm(value - truth, "fro");
  if (!std::isfinite(diff)) return std::numeric_limits<double>::infinity();
  if (scale == 0) return diff == 0 ? 0.0 : std::numeric_limits<double>::infinity();
  return diff / scale;
}

arma::vec gaussian_vector(arma::uword n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  arma::vec v(n);
  for (auto& x : v) x = normal(rng);
  return v;
}

Inputs sample(const ConformanceOptions& options, arma::uword n, std::uint64_t seed) {
  return options.inputs ? options.inputs(n, seed)
                        : dense_gaussian_inputs(options.input_dim, n, seed);
}

Inputs concatenate(const Inputs& a, const Inputs& b) {
  if (a.kind() != b.kind()) throw_error("concatenate(): inputs of different kinds");
  switch (a.kind()) {
    case Inputs::Kind::dense: return Inputs::dense(arma::join_rows(a.x(), b.x()));
    case Inputs::Kind::images: return Inputs::images(arma::join_rows(a.x(), b.x()), a.shape());
    case Inputs::Kind::graphs: {
      auto graphs = a.graph_list();
      graphs.insert(graphs.end(), b.graph_list().begin(), b.graph_list().end());
      return Inputs::graphs(std::move(graphs));
    }
  }
  throw_error("concatenate(): unknown input kind");
}

Inputs take(const Inputs& in, const arma::uvec& indices) {
  switch (in.kind()) {
    case Inputs::Kind::dense: return Inputs::dense(in.x().cols(indices));
    case Inputs::Kind::images: return Inputs::images(in.x().cols(indices), in.shape());
    case Inputs::Kind::graphs: {
      std::vector<Graph> graphs;
      for (arma::uword i : indices) graphs.push_back(in.graph_list()[i]);
      return Inputs::graphs(std::move(graphs));
    }
  }
  throw_error("take(): unknown input kind");
}

std::string format_number(double value) {
  std::ostringstream out;
  out << std::setprecision(3) << std::scientific << value;
  return out.str();
}

}  // namespace conformance_detail

using namespace conformance_detail;

Inputs dense_gaussian_inputs(arma::uword dim, arma::uword n, std::uint64_t seed) {
  arma::mat x(dim, n);
  const arma::vec values = gaussian_vector(dim * n, seed);
  std::copy(values.begin(), values.end(), x.begin());
  return Inputs::dense(std::move(x));
}

void run_check(ConformanceReport& report, const std::string& name, double tolerance,
               const std::function<double(std::string&)>& body) {
  ConformanceCheck check;
  check.name = name;
  check.tolerance = tolerance;
  try {
    check.measured = body(check.detail);
    check.pass = std::isfinite(check.measured) && check.measured <= tolerance;
  } catch (const std::exception& e) {
    check.measured = std::numeric_limits<double>::quiet_NaN();
    check.pass = false;
    check.detail = std::string("threw: ") + e.what();
  }
  report.checks.push_back(std::move(check));
}

bool ConformanceReport::passed() const {
  if (checks.empty()) return false;
  for (const auto& c : checks)
    if (!c.pass) return false;
  return true;
}

const ConformanceCheck* ConformanceReport::find(const std::string& name) const {
  for (const auto& c : checks)
    if (c.name == name) return &c;
  return nullptr;
}

const ConformanceCheck* ConformanceReport::find(const std::string& name,
                                                const std::string& setting) const {
  for (const auto& c : checks)
    if (c.name == name && c.setting == setting) return &c;
  return nullptr;
}

std::string ConformanceReport::text() const {
  std::size_t width = 5;
  for (const auto& c : checks) width = std::max(width, c.name.size());
  std::ostringstream out;
  out << "conformance of plugin " << plugin << "\n";
  if (!description.empty()) out << "  " << description << "\n";
  out << "\n  " << std::left << std::setw(6) << "" << std::setw(int(width) + 2) << "check"
      << std::setw(12) << "measured" << std::setw(12) << "tolerance" << "\n";
  std::size_t failed = 0;
  for (std::size_t i = 0; i < checks.size(); ++i) {
    const auto& c = checks[i];
    if (!settings.empty() && (i == 0 || checks[i - 1].setting != c.setting)) {
      const auto at = std::find(settings.begin(), settings.end(), c.setting);
      out << "  setting " << (at - settings.begin()) + 1 << " of " << settings.size() << ": "
          << c.setting << "\n";
    }
    failed += c.pass ? 0 : 1;
    out << "  " << std::setw(6) << (c.pass ? "PASS" : "FAIL") << std::setw(int(width) + 2)
        << c.name << std::setw(12) << format_number(c.measured) << std::setw(12)
        << format_number(c.tolerance) << "\n";
    if (!c.detail.empty()) out << "  " << std::setw(6) << "" << "  " << c.detail << "\n";
  }
  out << "\n";
  // One summary line per setting, then the total.
  for (std::size_t s = 0; s < settings.size(); ++s) {
    std::size_t count = 0, failures = 0;
    for (const auto& c : checks)
      if (c.setting == settings[s]) ++count, failures += c.pass ? 0 : 1;
    out << "setting " << s + 1 << " (" << settings[s] << "): " << count << " checks, "
        << count - failures << " passed, " << failures << " failed: "
        << (failures == 0 && count > 0 ? "PASS" : "FAIL") << "\n";
  }
  out << checks.size() << " checks, " << checks.size() - failed << " passed, " << failed
      << " failed: " << (passed() ? "PASS" : "FAIL") << "\n";
  return out.str();
}

std::string setting_text(const Options& setting) {
  if (setting.values().empty()) return "defaults";
  std::string out;
  for (const auto& [key, value] : setting.values())
    out += (out.empty() ? "" : ", ") + key + " = " + option_value_text(value);
  return out;
}

std::vector<Options> derived_settings(const std::vector<OptionSpec>& declared, const Options& given) {
  Options derived;
  for (const auto& spec : declared) {
    const double* value = std::get_if<double>(&spec.default_value);
    const bool is_std = spec.name.size() >= 4 && spec.name.compare(spec.name.size() - 4, 4, "_std") == 0;
    if (value == nullptr || !is_std || given.has(spec.name)) continue;
    derived.set(spec.name, *value > 0 ? 1.3 * *value : 0.4);
  }
  if (derived.values().empty()) return {};
  return {derived};
}

std::vector<Options> conformance_settings(const PluginInfo& info, const Options& given,
                                          const ConformanceOptions& options) {
  std::vector<Options> out = {given};
  std::vector<std::string> seen = {setting_text(given)};
  const std::vector<Options> samples =
      options.settings.empty() ? derived_settings(info.options, given) : options.settings;
  for (const auto& sample : samples) {
    Options merged = given;
    for (const auto& [key, value] : sample.values()) merged.set(key, value);
    const std::string text = setting_text(merged);
    if (std::find(seen.begin(), seen.end(), text) != seen.end()) continue;
    seen.push_back(text);
    out.push_back(std::move(merged));
  }
  return out;
}

namespace {

// The checks of one architecture, appended to `report`.
void run_checks(ConformanceReport& report, const Architecture& architecture,
                const ConformanceOptions& options) {
  // Two disjoint input sets and one finite network of the small width.
  std::unique_ptr<Inputs> x1, x2;
  std::unique_ptr<Network> network;
  run_check(report, "setup: inputs and network", 0, [&](std::string& detail) {
    x1 = std::make_unique<Inputs>(sample(options, options.examples, options.seed));
    x2 = std::make_unique<Inputs>(sample(options, options.examples, options.seed + 1));
    network = architecture.network({options.width, options.seed});
    if (!network) throw_error("network() returned no network");
    network->forward(*x1);  // networks may size their first layer on the first input
    detail = "width " + std::to_string(options.width) + ", " +
             std::to_string(network->num_params()) + " parameters, " +
             std::to_string(network->outputs()) + " output(s)";
    return 0.0;
  });
  if (network) {
    const NetworkChecks net{architecture, *network, *x1, *x2, options};
    check_shapes(report, net);
    check_determinism(report, net);
    check_params_round_trip(report, net);
    check_derivatives(report, net);
    check_network_ntk(report, net);
  }
  if (x1) {
    check_analytic_kernels(report, architecture, *x1, *x2, options);
    if (options.monte_carlo) check_monte_carlo(report, architecture, *x1, options);
    check_bad_input(report, architecture, *x1, network.get(), options);
  }
}

std::string describe_or_message(const Architecture& architecture) {
  try {
    return architecture.describe();
  } catch (const std::exception& e) {
    return std::string("describe() threw: ") + e.what();
  }
}

// The kit's options for one setting: its inputs drawn for that setting's options.
ConformanceOptions for_setting(const ConformanceOptions& options, const Options& setting) {
  ConformanceOptions out = options;
  if (options.setting_inputs) {
    const SettingInputSampler sampler = options.setting_inputs;
    out.inputs = [sampler, setting](arma::uword n, std::uint64_t seed) {
      return sampler(setting, n, seed);
    };
  }
  return out;
}

}  // namespace

ConformanceReport run_conformance(const PluginInfo& info, const Architecture& architecture,
                                  const ConformanceOptions& options) {
  ConformanceReport report;
  report.plugin = "'" + info.name + "' " + info.version;
  report.description = describe_or_message(architecture);
  // The options it was made with are unknown here: `inputs` first, else setting_inputs({}).
  run_checks(report, architecture, options.inputs ? options : for_setting(options, {}));
  return report;
}

ConformanceReport run_conformance(const PluginInfo& info, const ArchitectureFactory& make,
                                  const Options& given, const ConformanceOptions& options) {
  ConformanceReport report;
  report.plugin = "'" + info.name + "' " + info.version;
  for (const Options& setting : conformance_settings(info, given, options)) {
    const std::string name = setting_text(setting);
    report.settings.push_back(name);
    const std::size_t first = report.checks.size();
    std::shared_ptr<Architecture> architecture;
    run_check(report, "setup: architecture", 0, [&](std::string& detail) {
      if (!make) throw_error("run_conformance(): no architecture factory");
      architecture = make(setting);
      if (!architecture) throw_error("the factory returned no architecture");
      detail = describe_or_message(*architecture);
      return 0.0;
    });
    if (architecture) {
      if (report.description.empty()) report.description = describe_or_message(*architecture);
      run_checks(report, *architecture, for_setting(options, setting));
    }
    for (std::size_t i = first; i < report.checks.size(); ++i) report.checks[i].setting = name;
  }
  return report;
}

}  // namespace ntk::sdk
