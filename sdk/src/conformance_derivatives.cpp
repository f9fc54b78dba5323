// Conformance checks of a network's derivatives. jacobian(), jvp() and vjp() are each compared
// with central finite differences of forward() on their own, so a failure blames the function
// that is wrong; then with each other (round-off only). A failed finite-difference check says
// which parameters are wrong: it repeats the comparison along each piece of the parameter
// vector (one parameter per piece unless there are more than options.blame_pieces) and names
// the index ranges, and the blocks when the network is a DescribesParameters.
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <random>

#include "conformance_detail.hpp"

namespace ntk::sdk {
using namespace conformance_detail;
namespace {

// vec(f(θ + h v) − f(θ − h v)) / 2h; leaves the parameters at θ − h v (callers restore θ).
arma::vec finite_difference(Network& net, const Inputs& x, const arma::vec& theta,
                            const arma::vec& v, double h) {
  net.set_params(theta + h * v);
  const arma::mat plus = net.forward(x);
  net.set_params(theta - h * v);
  return arma::vectorise(plus - net.forward(x)) / (2 * h);
}

// ‖value − truth‖ / max(‖value‖, ‖truth‖, floor): relative, and a near-zero column is judged
// against the typical column size rather than its own round-off dominated one.
double relative_to(const arma::vec& value, const arma::vec& truth, double floor) {
  const double scale = std::max({arma::norm(value), arma::norm(truth), floor});
  const double diff = arma::norm(value - truth);
  if (!std::isfinite(diff)) return std::numeric_limits<double>::infinity();
  return scale > 0 ? diff / scale : 0.0;
}

// |⟨vjp(r), v⟩ − ⟨r, FD(v)⟩| / (‖r‖ · max(‖FD(v)‖, floor)): the vjp's projection on v.
double vjp_error(const arma::vec& gradient, const arma::vec& v, const arma::vec& r,
                 const arma::vec& fd, double floor) {
  const double diff = std::abs(arma::dot(gradient, v) - arma::dot(r, fd));
  if (!std::isfinite(diff)) return std::numeric_limits<double>::infinity();
  const double scale = arma::norm(r) * std::max(arma::norm(fd), floor);
  return scale > 0 ? diff / scale : 0.0;
}

// The probes shared by the three finite-difference checks: three random directions and six
// single coordinates (the first, the last, four at random: they check the layout).
struct Probes {
  std::vector<arma::vec> directions;  // the first three are the random ones
  std::vector<arma::uword> coordinates;
  std::vector<arma::vec> fd;          // FD along each direction, vec(k × n)
  std::vector<arma::mat> cotangents;  // three random k × n
  double floor = 0;                   // 1e-2 × the typical norm of one column of J

  std::string text(const ConformanceOptions& o) const {
    std::string out = "3 random directions and coordinates {";
    for (std::size_t i = 0; i < coordinates.size(); ++i)
      out += (i ? ", " : "") + std::to_string(coordinates[i]);
    return out + "}, step " + format_number(o.fd_step);
  }
};

Probes make_probes(Network& net, const Inputs& x, const ConformanceOptions& o) {
  RestoreParams restore(net);
  const arma::vec& theta = restore.saved();
  const arma::uword p = theta.n_elem, k = net.outputs(), n = x.size();
  if (p == 0) throw_error("the network has no parameters");
  Probes probes;
  // Frozen parameters (Network::trainable_mask) have no derivative to check: directions stay
  // among the trained ones.
  const arma::vec mask = net.trainable_mask();
  const bool masked = mask.n_elem == p;
  for (std::uint64_t i = 0; i < 3; ++i) {
    arma::vec v = gaussian_vector(p, o.seed + 100 + i);
    if (masked) v %= mask;
    probes.directions.push_back(std::move(v));
  }
  std::mt19937_64 rng(o.seed + 200);
  std::vector<arma::uword> trained;
  for (arma::uword i = 0; i < p; ++i)
    if (!masked || mask[i] != 0) trained.push_back(i);
  if (trained.empty()) throw_error("every parameter of the network is frozen");
  probes.coordinates = {trained.front(), trained.back()};
  for (int i = 0; i < 4; ++i) probes.coordinates.push_back(trained[rng() % trained.size()]);
  for (arma::uword i : probes.coordinates) {
    arma::vec e(p, arma::fill::zeros);
    e(i) = 1.0;
    probes.directions.push_back(e);
  }
  for (const auto& v : probes.directions)
    probes.fd.push_back(finite_difference(net, x, theta, v, o.fd_step));
  // A Gaussian v has E‖J v‖² = ‖J‖_F², so ‖J v‖ / √P is the typical column norm.
  double typical = 0;
  for (int i = 0; i < 3; ++i) typical += arma::norm(probes.fd[i]) / 3;
  probes.floor = 1e-2 * typical / std::sqrt(double(p));
  for (std::uint64_t i = 0; i < 3; ++i)
    probes.cotangents.push_back(arma::reshape(gaussian_vector(k * n, o.seed + 300 + i), k, n));
  return probes;
}

// The parameter vector cut into contiguous pieces, with a random direction inside each and the
// finite differences along it.
class Pieces {
 public:
  Pieces(Network& net, const Inputs& x, const ConformanceOptions& o) {
    RestoreParams restore(net);
    const arma::vec& theta = restore.saved();
    p_ = theta.n_elem;
    const arma::uword count = std::max<arma::uword>(1, std::min(p_, o.blame_pieces));
    weights_ = p_ == count ? arma::vec(p_, arma::fill::ones) : gaussian_vector(p_, o.seed + 500);
    const arma::vec mask = net.trainable_mask();  // frozen parameters: no direction
    if (mask.n_elem == p_) weights_ %= mask;
    for (arma::uword c = 0; c <= count; ++c) bounds_.push_back(c * p_ / count);
    fd_.set_size(net.outputs() * x.size(), count);
    double sum_squares = 0;
    for (arma::uword c = 0; c < count; ++c) {
      fd_.col(c) = finite_difference(net, x, theta, direction(c), o.fd_step);
      sum_squares += arma::dot(fd_.col(c), fd_.col(c));
    }
    floor_ = 1e-2 * std::sqrt(sum_squares / double(count));
  }
  arma::uword count() const { return fd_.n_cols; }
  arma::uword first(arma::uword c) const { return bounds_[c]; }
  arma::uword last(arma::uword c) const { return bounds_[c + 1] - 1; }
  arma::uword params() const { return p_; }
  arma::vec direction(arma::uword c) const {
    arma::vec v(p_, arma::fill::zeros);
    v.subvec(first(c), last(c)) = weights_.subvec(first(c), last(c));
    return v;
  }
  arma::vec fd(arma::uword c) const { return fd_.col(c); }
  double floor() const { return floor_; }

 private:
  arma::uword p_ = 0;
  arma::vec weights_;
  std::vector<arma::uword> bounds_;
  arma::mat fd_;
  double floor_ = 0;
};

std::string range_text(arma::uword first, arma::uword last) {
  return first == last ? std::to_string(first) : std::to_string(first) + ".." + std::to_string(last);
}

// "vjp wrong on parameters 80..95 (of 113): block 'b1'; largest error at parameter 87"
std::string blame_text(const std::string& what, const Pieces& pieces, const arma::vec& error,
                       double tolerance, const Network& net) {
  std::vector<std::pair<arma::uword, arma::uword>> ranges;  // inclusive parameter ranges
  // Pieces whose derivative happens to vanish (a dead ReLU unit) are right even in a wrong
  // block: short gaps between wrong pieces are bridged.
  const arma::uword gap = std::max<arma::uword>(2, pieces.params() / 50);
  for (arma::uword c = 0; c < pieces.count(); ++c) {
    if (!(error(c) > tolerance)) continue;
    if (!ranges.empty() && pieces.first(c) <= ranges.back().second + 1 + gap)
      ranges.back().second = pieces.last(c);
    else
      ranges.push_back({pieces.first(c), pieces.last(c)});
  }
  const std::string of = " (of " + std::to_string(pieces.params()) + ")";
  if (ranges.empty())
    return what + " is wrong only along combined directions: no single piece of the " +
           std::to_string(pieces.params()) + " parameters exceeds the tolerance alone";
  std::string out = what + " wrong on parameters ";
  for (std::size_t i = 0; i < std::min<std::size_t>(ranges.size(), 4); ++i)
    out += (i ? ", " : "") + range_text(ranges[i].first, ranges[i].second);
  if (ranges.size() > 4) out += " and " + std::to_string(ranges.size() - 4) + " more ranges";
  out += of;
  if (const auto* layout = dynamic_cast<const DescribesParameters*>(&net)) {
    std::string names;
    for (const auto& block : layout->parameter_blocks()) {
      const bool overlaps = std::any_of(ranges.begin(), ranges.end(), [&](const auto& r) {
        return block.size > 0 && r.first < block.offset + block.size && block.offset <= r.second;
      });
      if (overlaps) names += (names.empty() ? "" : ", ") + block.name;
    }
    if (!names.empty()) out += ": " + names;
  }
  const arma::uword worst = error.index_max();
  out += "; largest error " + format_number(error(worst)) + " at parameter" +
         (pieces.first(worst) == pieces.last(worst) ? " " : "s ") +
         range_text(pieces.first(worst), pieces.last(worst));
  return out;
}

// Runs `piece_error(c)` on every piece and appends the blame to `detail`; a failure while
// blaming is noted, not thrown (the check has already failed).
void blame(std::string& detail, const std::string& what, Network& net, const Inputs& x,
           const ConformanceOptions& o, const std::function<double(const Pieces&, arma::uword)>& piece_error) {
  try {
    RestoreParams restore(net);
    const Pieces pieces(net, x, o);
    arma::vec error(pieces.count());
    for (arma::uword c = 0; c < pieces.count(); ++c) error(c) = piece_error(pieces, c);
    detail = blame_text(what, pieces, error, o.fd_tolerance, net) + "; " + detail;
  } catch (const std::exception& e) {
    detail += std::string("; finding the wrong parameters threw: ") + e.what();
  }
}

}  // namespace

void check_derivatives(ConformanceReport& report, const NetworkChecks& c) {
  Network& net = c.network;
  const ConformanceOptions& o = c.options;
  std::optional<Probes> cache;
  const auto probes = [&]() -> const Probes& {
    if (!cache) cache = make_probes(net, c.x1, o);
    return *cache;
  };
  arma::mat jac;
  bool jacobian_ok = false, jvp_ok = false, vjp_ok = false;

  run_check(report, "jacobian vs central finite differences", o.fd_tolerance, [&](std::string& detail) {
    jac = net.jacobian(c.x1);
    const Probes& pr = probes();
    double worst = 0;
    for (std::size_t i = 0; i < pr.directions.size(); ++i)
      worst = std::max(worst, relative_to(jac * pr.directions[i], pr.fd[i], pr.floor));
    detail = "max relative error over " + pr.text(o);
    jacobian_ok = worst <= o.fd_tolerance;
    if (!jacobian_ok && jac.n_cols == pr.directions[0].n_elem)
      blame(detail, "jacobian", net, c.x1, o, [&](const Pieces& pieces, arma::uword i) {
        return relative_to(jac * pieces.direction(i), pieces.fd(i), pieces.floor());
      });
    return worst;
  });
  run_check(report, "jvp vs finite differences", o.fd_tolerance, [&](std::string& detail) {
    const Probes& pr = probes();
    double worst = 0;
    for (std::size_t i = 0; i < pr.directions.size(); ++i)
      worst = std::max(worst, relative_to(arma::vectorise(net.jvp(c.x1, pr.directions[i])),
                                          pr.fd[i], pr.floor));
    detail = "max relative error of jvp(v) against FD along v, over " + pr.text(o);
    jvp_ok = worst <= o.fd_tolerance;
    if (!jvp_ok)
      blame(detail, "jvp", net, c.x1, o, [&](const Pieces& pieces, arma::uword i) {
        return relative_to(arma::vectorise(net.jvp(c.x1, pieces.direction(i))), pieces.fd(i),
                           pieces.floor());
      });
    return worst;
  });
  run_check(report, "vjp vs finite differences", o.fd_tolerance, [&](std::string& detail) {
    const Probes& pr = probes();
    double worst = 0;
    for (const auto& r : pr.cotangents) {
      const arma::vec gradient = net.vjp(c.x1, r);
      if (gradient.n_elem != pr.directions[0].n_elem)
        throw_error("vjp() has ", gradient.n_elem, " entries for ", pr.directions[0].n_elem,
                    " parameters");
      for (std::size_t i = 0; i < pr.directions.size(); ++i)
        worst = std::max(worst, vjp_error(gradient, pr.directions[i], arma::vectorise(r), pr.fd[i],
                                          pr.floor));
    }
    detail = "max |<vjp(r), v> - <r, FD along v>| / (|r| |FD|) over 3 random r and " + pr.text(o);
    vjp_ok = worst <= o.fd_tolerance;
    if (!vjp_ok) {
      const arma::vec r = arma::vectorise(pr.cotangents[0]);
      const arma::vec gradient = net.vjp(c.x1, pr.cotangents[0]);
      blame(detail, "vjp", net, c.x1, o, [&](const Pieces& pieces, arma::uword i) {
        return vjp_error(gradient, pieces.direction(i), r, pieces.fd(i), pieces.floor());
      });
    }
    return worst;
  });
  if (jac.is_empty()) return;
  const arma::uword k = net.outputs(), n = c.x1.size();

  // Which side of a disagreement is wrong, from the finite-difference checks above.
  const auto culprit = [&](bool function_ok, const char* function) {
    if (function_ok && !jacobian_ok)
      return std::string(function) + " agrees with finite differences: jacobian() is the wrong one"
             " (the default jacobian() is built from vjp)";
    if (!function_ok) return std::string(function) + " disagrees with finite differences too";
    return std::string();
  };
  run_check(report, "jvp = J v", o.exact_tolerance, [&](std::string& detail) {
    double worst = 0;
    for (const auto& v : probes().directions)
      worst = std::max(worst, relative_error(net.jvp(c.x1, v), arma::reshape(jac * v, k, n)));
    if (worst > o.exact_tolerance) detail = culprit(jvp_ok, "jvp");
    return worst;
  });
  run_check(report, "vjp = J^T r", o.exact_tolerance, [&](std::string& detail) {
    double worst = 0;
    for (const auto& r : probes().cotangents)
      worst = std::max(worst, relative_error(net.vjp(c.x1, r), jac.t() * arma::vectorise(r)));
    if (worst > o.exact_tolerance) detail = culprit(vjp_ok, "vjp");
    return worst;
  });
  run_check(report, "jvp/vjp adjointness", o.exact_tolerance, [&](std::string& detail) {
    detail = "|<jvp(v), r> - <v, vjp(r)>| / (|jvp(v)| |r|)";
    const Probes& pr = probes();
    double worst = 0;
    for (std::uint64_t i = 0; i < 3; ++i) {
      const arma::mat r = arma::reshape(gaussian_vector(k * n, o.seed + 400 + i), k, n);
      const arma::mat jv = net.jvp(c.x1, pr.directions[i]);
      const double lhs = arma::accu(jv % r), rhs = arma::dot(pr.directions[i], net.vjp(c.x1, r));
      const double scale = arma::norm(jv, "fro") * arma::norm(r, "fro");
      worst = std::max(worst, scale > 0 ? std::abs(lhs - rhs) / scale : std::abs(lhs - rhs));
    }
    if (worst > o.exact_tolerance && (jvp_ok != vjp_ok))
      detail += std::string("; ") + (jvp_ok ? "vjp" : "jvp") + " is the one that disagrees with finite differences";
    return worst;
  });
}

}  // namespace ntk::sdk
