// Conformance checks of the finite network: shapes, determinism, parameters, network NTK
// (the derivatives are in conformance_derivatives.cpp).
#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "conformance_detail.hpp"

namespace ntk::sdk {
using namespace conformance_detail;
namespace {

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

std::string shape(const arma::mat& m) {
  return std::to_string(m.n_rows) + " x " + std::to_string(m.n_cols);
}

}  // namespace

void check_shapes(ConformanceReport& report, const NetworkChecks& c) {
  run_check(report, "network shapes", 0, [&](std::string& detail) {
    const arma::uword k = c.network.outputs(), p = c.network.num_params(), n = c.x1.size();
    std::vector<std::string> problems;
    if (k != c.architecture.outputs())
      problems.push_back("network outputs() = " + std::to_string(k) +
                         " but architecture outputs() = " + std::to_string(c.architecture.outputs()));
    if (c.network.params().n_elem != p)
      problems.push_back("params() has " + std::to_string(c.network.params().n_elem) +
                         " entries but num_params() = " + std::to_string(p));
    const arma::mat f = c.network.forward(c.x1);
    if (f.n_rows != k || f.n_cols != n)
      problems.push_back("forward() is " + shape(f) + ", expected k x n = " +
                         std::to_string(k) + " x " + std::to_string(n));
    if (!f.is_finite()) problems.push_back("forward() returned non-finite values");
    const arma::mat jac = c.network.jacobian(c.x1);
    if (jac.n_rows != n * k || jac.n_cols != p)
      problems.push_back("jacobian() is " + shape(jac) + ", expected (n*k) x P = " +
                         std::to_string(n * k) + " x " + std::to_string(p));
    const arma::vec g = c.network.vjp(c.x1, arma::mat(k, n, arma::fill::ones));
    if (g.n_elem != p) problems.push_back("vjp() has " + std::to_string(g.n_elem) + " entries");
    const arma::mat t = c.network.jvp(c.x1, arma::vec(p, arma::fill::ones));
    if (t.n_rows != k || t.n_cols != n) problems.push_back("jvp() is " + shape(t));
    detail = problems.empty() ? "forward " + shape(f) + ", jacobian " + shape(jac)
                              : join(problems);
    return double(problems.size());
  });
}

void check_determinism(ConformanceReport& report, const NetworkChecks& c) {
  run_check(report, "same seed, same network", 0, [&](std::string& detail) {
    const auto again = c.architecture.network({c.options.width, c.options.seed});
    const auto other = c.architecture.network({c.options.width, c.options.seed + 1});
    if (!again || !other) throw_error("network() returned no network");
    again->forward(c.x1);  // materialise networks that size their first layer lazily
    other->forward(c.x1);
    if (arma::approx_equal(other->params(), c.network.params(), "absdiff", 0.0)) {
      detail = "seeds " + std::to_string(c.options.seed) + " and " +
               std::to_string(c.options.seed + 1) + " give identical parameters";
      return std::numeric_limits<double>::infinity();
    }
    detail = "max |difference| of parameters and outputs of two networks made with one seed";
    const double params = arma::abs(again->params() - c.network.params()).max();
    const double outputs = arma::abs(again->forward(c.x1) - c.network.forward(c.x1)).max();
    return std::max(params, outputs);
  });
}

void check_params_round_trip(ConformanceReport& report, const NetworkChecks& c) {
  run_check(report, "set_params/params round trip", 0, [&](std::string& detail) {
    RestoreParams restore(c.network);
    const arma::vec& p = restore.saved();
    const arma::mat f0 = c.network.forward(c.x1);
    const arma::vec q = p + 0.1 * gaussian_vector(p.n_elem, c.options.seed + 7);
    c.network.set_params(q);
    const double measured = arma::abs(c.network.params() - q).max();
    std::vector<std::string> problems;
    if (arma::approx_equal(c.network.forward(c.x1), f0, "absdiff", 0.0))
      problems.push_back("forward() did not change after set_params()");
    try {
      c.network.set_params(arma::vec(p.n_elem + 1, arma::fill::zeros));
      problems.push_back("set_params() accepted a vector of " + std::to_string(p.n_elem + 1) +
                         " entries for " + std::to_string(p.n_elem) + " parameters");
    } catch (const Error& e) {
      detail = std::string("wrong size refused: ") + e.what();
    }
    c.network.set_params(p);
    if (!arma::approx_equal(c.network.forward(c.x1), f0, "absdiff", 0.0))
      problems.push_back("forward() differs after restoring the original parameters");
    if (!problems.empty()) {
      detail = join(problems);
      return std::numeric_limits<double>::infinity();
    }
    return measured;
  });
}

void check_network_ntk(ConformanceReport& report, const NetworkChecks& c) {
  const ConformanceOptions& o = c.options;
  const arma::uword k = c.network.outputs();
  arma::mat j1, j2;
  try {
    j1 = c.network.jacobian(c.x1);
    j2 = c.network.jacobian(c.x2);
  } catch (const std::exception&) {
    return;  // already reported by the shape and derivative checks
  }
  run_check(report, "network ntk(x1, x2) = J1 J2^T", o.exact_tolerance, [&](std::string& d) {
    d = "averaged over the " + std::to_string(k) + " output(s)";
    return relative_error(c.network.ntk(c.x1, c.x2),
                          Network::average_output_blocks(j1 * j2.t(), k));
  });
  run_check(report, "network ntk(x, x) = J J^T", o.exact_tolerance, [&](std::string&) {
    return relative_error(c.network.ntk(c.x1, c.x1), Network::average_output_blocks(j1 * j1.t(), k));
  });
  run_check(report, "network ntk_full = J1 J2^T", o.exact_tolerance, [&](std::string&) {
    return relative_error(c.network.ntk_full(c.x1, c.x2), j1 * j2.t());
  });
}

}  // namespace ntk::sdk
