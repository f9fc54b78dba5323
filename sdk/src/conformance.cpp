// The conformance kit (see conformance.hpp for the list of checks and their meaning).
//
// Every check is a function returning the measured error; run_check wraps it so that an
// exception (from the plugin or from a failed precondition) becomes a FAIL with its message.
#include "conformance.hpp"

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

std::string ConformanceReport::text() const {
  std::size_t width = 5;
  for (const auto& c : checks) width = std::max(width, c.name.size());
  std::ostringstream out;
  out << "conformance of plugin " << plugin << "\n";
  if (!description.empty()) out << "  " << description << "\n";
  out << "\n  " << std::left << std::setw(6) << "" << std::setw(int(width) + 2) << "check"
      << std::setw(12) << "measured" << std::setw(12) << "tolerance" << "\n";
  std::size_t failed = 0;
  for (const auto& c : checks) {
    failed += c.pass ? 0 : 1;
    out << "  " << std::setw(6) << (c.pass ? "PASS" : "FAIL") << std::setw(int(width) + 2)
        << c.name << std::setw(12) << format_number(c.measured) << std::setw(12)
        << format_number(c.tolerance) << "\n";
    if (!c.detail.empty()) out << "  " << std::setw(6) << "" << "  " << c.detail << "\n";
  }
  out << "\n" << checks.size() << " checks, " << checks.size() - failed << " passed, " << failed
      << " failed: " << (passed() ? "PASS" : "FAIL") << "\n";
  return out.str();
}

ConformanceReport run_conformance(const PluginInfo& info, const Architecture& architecture,
                                  const ConformanceOptions& options) {
  ConformanceReport report;
  report.plugin = "'" + info.name + "' " + info.version;
  try {
    report.description = architecture.describe();
  } catch (const std::exception& e) {
    report.description = std::string("describe() threw: ") + e.what();
  }

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
  return report;
}

}  // namespace ntk::sdk
