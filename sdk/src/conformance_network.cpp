// Conformance checks of the finite network: shapes, determinism, parameters, derivatives, NTK.
#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "conformance_detail.hpp"

namespace ntk::sdk {
using namespace conformance_detail;
namespace {

// Puts the network's original parameters back when a check ends, however it ends.
class RestoreParams {
 public:
  explicit RestoreParams(Network& network) : network_(network), saved_(network.params()) {}
  ~RestoreParams() {
    try {
      network_.set_params(saved_);
    } catch (...) {
      // The check already failed with the first exception; nothing more to report here.
    }
  }
  const arma::vec& saved() const { return saved_; }

 private:
  Network& network_;
  arma::vec saved_;
};

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

std::string shape(const arma::mat& m) {
  return std::to_string(m.n_rows) + " x " + std::to_string(m.n_cols);
}

// Three random directions in parameter space (seeded from the options).
std::vector<arma::vec> random_directions(const ConformanceOptions& o, arma::uword p) {
  std::vector<arma::vec> out;
  for (std::uint64_t i = 0; i < 3; ++i) out.push_back(gaussian_vector(p, o.seed + 100 + i));
  return out;
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

void check_derivatives(ConformanceReport& report, const NetworkChecks& c) {
  Network& net = c.network;
  const ConformanceOptions& o = c.options;
  arma::mat jac;
  std::vector<arma::vec> directions;
  run_check(report, "jacobian vs central finite differences", o.fd_tolerance, [&](std::string& detail) {
    RestoreParams restore(net);
    const arma::vec& p = restore.saved();
    jac = net.jacobian(c.x1);
    directions = random_directions(o, p.n_elem);
    // Single coordinates too: the first, the last and four at random check the layout.
    std::vector<arma::vec> probes = directions;
    std::mt19937_64 rng(o.seed + 200);
    std::vector<arma::uword> coords = {0, p.n_elem - 1};
    for (int i = 0; i < 4; ++i) coords.push_back(rng() % p.n_elem);
    for (arma::uword i : coords) {
      arma::vec e(p.n_elem, arma::fill::zeros);
      e(i) = 1.0;
      probes.push_back(e);
    }
    // Relative to the typical size of one column of J, so a near-zero column is not judged by
    // its own (round-off dominated) size.
    const double floor = 1e-2 * arma::norm(jac, "fro") / std::sqrt(double(p.n_elem));
    double worst = 0;
    for (const auto& v : probes) {
      net.set_params(p + o.fd_step * v);
      const arma::mat plus = net.forward(c.x1);
      net.set_params(p - o.fd_step * v);
      const arma::mat minus = net.forward(c.x1);
      const arma::vec fd = arma::vectorise(plus - minus) / (2 * o.fd_step);
      const arma::vec jv = jac * v;
      const double scale = std::max({arma::norm(fd), arma::norm(jv), floor});
      worst = std::max(worst, scale > 0 ? arma::norm(jv - fd) / scale : 0.0);
    }
    detail = "max relative error over 3 random directions and coordinates {";
    for (std::size_t i = 0; i < coords.size(); ++i)
      detail += (i ? ", " : "") + std::to_string(coords[i]);
    detail += "}, step " + format_number(o.fd_step);
    return worst;
  });
  if (jac.is_empty()) return;
  const arma::uword k = net.outputs(), n = c.x1.size();

  run_check(report, "jvp = J v", o.exact_tolerance, [&](std::string&) {
    double worst = 0;
    for (const auto& v : directions)
      worst = std::max(worst, relative_error(net.jvp(c.x1, v), arma::reshape(jac * v, k, n)));
    return worst;
  });
  run_check(report, "vjp = J^T r", o.exact_tolerance, [&](std::string&) {
    double worst = 0;
    for (std::uint64_t i = 0; i < 3; ++i) {
      const arma::mat r = arma::reshape(gaussian_vector(k * n, o.seed + 300 + i), k, n);
      worst = std::max(worst, relative_error(net.vjp(c.x1, r), jac.t() * arma::vectorise(r)));
    }
    return worst;
  });
  run_check(report, "jvp/vjp adjointness", o.exact_tolerance, [&](std::string& detail) {
    detail = "|<jvp(v), r> - <v, vjp(r)>| / (|jvp(v)| |r|)";
    double worst = 0;
    for (std::uint64_t i = 0; i < directions.size(); ++i) {
      const arma::mat r = arma::reshape(gaussian_vector(k * n, o.seed + 400 + i), k, n);
      const arma::mat jv = net.jvp(c.x1, directions[i]);
      const double lhs = arma::accu(jv % r), rhs = arma::dot(directions[i], net.vjp(c.x1, r));
      const double scale = arma::norm(jv, "fro") * arma::norm(r, "fro");
      worst = std::max(worst, scale > 0 ? std::abs(lhs - rhs) / scale : std::abs(lhs - rhs));
    }
    return worst;
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
