// Conformance checks of the analytic kernels: symmetry, PSD, consistency of requests and of the
// cross/symmetric paths, Monte-Carlo agreement with finite networks, and refusal of bad input.
#include <cmath>
#include <limits>

#include "conformance_detail.hpp"

namespace ntk::sdk {
using namespace conformance_detail;
namespace {

// Accumulates samples of a matrix; the mean and the standard error of its Frobenius error.
class MatrixMean {
 public:
  void add(const arma::mat& sample) {
    if (count_ == 0) {
      sum_.zeros(sample.n_rows, sample.n_cols);
      squares_.zeros(sample.n_rows, sample.n_cols);
    }
    sum_ += sample;
    squares_ += sample % sample;
    ++count_;
  }
  arma::mat mean() const { return sum_ / double(count_); }
  // sqrt(Σ_ij Var(mean_ij)): the typical Frobenius distance of the mean from its expectation.
  double standard_error() const {
    if (count_ < 2) return std::numeric_limits<double>::infinity();
    const arma::mat m = mean();
    const arma::mat variance = (squares_ / double(count_) - m % m) * (double(count_) / (count_ - 1));
    return std::sqrt(arma::accu(arma::clamp(variance, 0.0, arma::datum::inf)) / double(count_));
  }
  arma::uword count() const { return count_; }

 private:
  arma::mat sum_, squares_;
  arma::uword count_ = 0;
};

void require_square_finite(const char* what, const arma::mat& k, arma::uword n) {
  if (k.n_rows != n || k.n_cols != n)
    throw_error(what, " is ", k.n_rows, " x ", k.n_cols, " for ", n, " inputs");
  if (!k.is_finite()) throw_error(what, " has non-finite entries");
}

std::string message_of(const std::function<void()>& call, bool& refused) {
  refused = false;
  try {
    call();
  } catch (const Error& e) {
    refused = true;
    return e.what();
  } catch (const std::exception& e) {
    return std::string("threw a std::exception that is not ntk::Error: ") + e.what();
  }
  return "accepted";
}

// Runs each case; a case passes when it throws ntk::Error. Measured: the number not refused.
double count_not_refused(const std::vector<std::pair<std::string, std::function<void()>>>& cases,
                         std::string& detail) {
  double accepted = 0;
  for (const auto& [name, call] : cases) {
    bool refused = false;
    const std::string message = message_of(call, refused);
    if (!refused) ++accepted;
    detail += (detail.empty() ? "" : "; ") + name + ": " + message;
  }
  return accepted;
}

}  // namespace

void check_analytic_kernels(ConformanceReport& report, const Architecture& architecture,
                            const Inputs& x1, const Inputs& x2, const ConformanceOptions& o) {
  const KernelRequest both{true, true};
  Kernels psd;
  arma::uword n_psd = 0;
  run_check(report, "analytic kernels symmetric", o.symmetry_tolerance, [&](std::string& detail) {
    // The last example repeats the first: the kernel is singular and must still be PSD.
    const Inputs fresh = sample(o, o.psd_examples - 1, o.seed + 2);
    const Inputs x = concatenate(fresh, take(fresh, arma::uvec{0}));
    n_psd = x.size();
    psd = architecture.kernels(x, x, both);
    require_square_finite("NNGP", psd.nngp, n_psd);
    require_square_finite("NTK", psd.ntk, n_psd);
    detail = std::to_string(n_psd) + " inputs, the last a copy of the first; |K - K^T| / |K|";
    return std::max(relative_error(psd.nngp.t(), psd.nngp), relative_error(psd.ntk.t(), psd.ntk));
  });
  if (!psd.ntk.is_empty())
    run_check(report, "analytic kernels PSD", o.psd_tolerance, [&](std::string& detail) {
      double worst = 0;
      const std::pair<const char*, const arma::mat*> kernels[] = {{"NNGP", &psd.nngp},
                                                                 {"NTK", &psd.ntk}};
      for (const auto& [name, matrix] : kernels) {
        const arma::mat& k = *matrix;
        const arma::vec eigenvalues = arma::eig_sym(arma::symmatu(k));
        const double low = eigenvalues.min(), high = eigenvalues.max();
        detail += (detail.empty() ? "" : ", ") + std::string(name) + " eigenvalues in [" +
                  format_number(low) + ", " + format_number(high) + "]";
        // An identically zero kernel is PSD; "analytic NTK not identically zero" blames it.
        worst = std::max(worst, high > 0    ? std::max(0.0, -low / high)
                                : low < 0   ? std::numeric_limits<double>::infinity()
                                            : 0.0);
      }
      detail += "; measured -min/max";
      return worst;
    });
  if (!psd.ntk.is_empty())
    run_check(report, "analytic NTK not identically zero", 0, [&](std::string& detail) {
      const double largest = arma::abs(psd.ntk).max();
      detail = largest == 0 ? "analytic NTK is identically zero"
                            : "largest |NTK| entry " + format_number(largest);
      return largest == 0 ? 1.0 : 0.0;
    });

  Kernels cross;
  run_check(report, "kernels(x1, x2) = block of kernels(x, x)", o.exact_tolerance,
            [&](std::string& detail) {
              const arma::uword n1 = x1.size(), n2 = x2.size();
              const Inputs x = concatenate(x1, x2);
              const Kernels whole = architecture.kernels(x, x, both);
              cross = architecture.kernels(x1, x2, both);
              detail = "the cross path against the symmetric (one-triangle) path";
              const auto block = [&](const arma::mat& k) {
                return arma::mat(k.submat(0, n1, n1 - 1, n1 + n2 - 1));
              };
              return std::max(relative_error(cross.nngp, block(whole.nngp)),
                              relative_error(cross.ntk, block(whole.ntk)));
            });
  if (!cross.ntk.is_empty())
    run_check(report, "kernel request: one kernel alone", o.exact_tolerance, [&](std::string& detail) {
      const Kernels only_nngp = architecture.kernels(x1, x2, {true, false});
      const Kernels only_ntk = architecture.kernels(x1, x2, {false, true});
      if (!only_nngp.ntk.is_empty() || !only_ntk.nngp.is_empty()) {
        detail = "a kernel that was not requested came back non-empty";
        return std::numeric_limits<double>::infinity();
      }
      detail = "NNGP-only and NTK-only requests against the request for both";
      return std::max(relative_error(only_nngp.nngp, cross.nngp),
                      relative_error(only_ntk.ntk, cross.ntk));
    });
}

void check_monte_carlo(ConformanceReport& report, const Architecture& architecture,
                       const Inputs& x, const ConformanceOptions& o) {
  Kernels analytic;
  try {
    analytic = architecture.kernels(x, x, {true, true});
  } catch (const std::exception&) {
    return;  // reported by the analytic kernel checks
  }
  run_check(report, "Monte-Carlo: mean empirical NTK -> analytic NTK", o.ntk_tolerance,
            [&](std::string& detail) {
              MatrixMean mean;
              for (arma::uword s = 0; s < o.ntk_seeds; ++s) {
                const auto net = architecture.network({o.ntk_width, o.seed + 10000 + s});
                net->forward(x);  // materialise networks that size their first layer lazily
                mean.add(net->ntk(x, x));
              }
              const double scale = arma::norm(analytic.ntk, "fro");
              detail = "mean of " + std::to_string(o.ntk_seeds) + " networks of width " +
                       std::to_string(o.ntk_width) + ", standard error " +
                       format_number(mean.standard_error() / scale);
              return relative_error(mean.mean(), analytic.ntk);
            });
  run_check(report, "Monte-Carlo: E[f f^T] -> analytic NNGP", o.nngp_tolerance,
            [&](std::string& detail) {
              MatrixMean mean;
              for (arma::uword s = 0; s < o.nngp_seeds; ++s) {
                const auto net = architecture.network({o.nngp_width, o.seed + 20000 + s});
                const arma::mat f = net->forward(x);  // k × n: each output is one sample
                for (arma::uword out = 0; out < f.n_rows; ++out) mean.add(f.row(out).t() * f.row(out));
              }
              const double scale = arma::norm(analytic.nngp, "fro");
              detail = "mean over " + std::to_string(mean.count()) + " outputs of " +
                       std::to_string(o.nngp_seeds) + " networks of width " +
                       std::to_string(o.nngp_width) + ", standard error " +
                       format_number(mean.standard_error() / scale);
              return relative_error(mean.mean(), analytic.nngp);
            });
}

void check_bad_input(ConformanceReport& report, const Architecture& architecture,
                     const Inputs& x, const Network* network, const ConformanceOptions& o) {
  run_check(report, "refuses width 0", 0, [&](std::string& detail) {
    return count_not_refused({{"network({width = 0})", [&] { architecture.network({0, o.seed}); }}},
                             detail);
  });
  if (x.kind() != Inputs::Kind::dense) return;
  const Inputs wider = Inputs::dense(arma::join_cols(x.x(), x.x().row(0)));
  arma::mat with_nan = x.x();
  with_nan(0, std::min<arma::uword>(1, with_nan.n_cols - 1)) = arma::datum::nan;
  const Inputs bad = Inputs::dense(with_nan);

  std::vector<std::pair<std::string, std::function<void()>>> dims = {
      {"kernels(d rows, d+1 rows)", [&] { architecture.kernels(x, wider, {true, true}); }}};
  std::vector<std::pair<std::string, std::function<void()>>> nans = {
      {"kernels(NaN, NaN)", [&] { architecture.kernels(bad, bad, {true, true}); }},
      {"kernels(x, NaN)", [&] { architecture.kernels(x, bad, {true, true}); }}};
  if (network != nullptr) {
    dims.push_back({"forward(d+1 rows)", [&] { network->forward(wider); }});
    nans.push_back({"forward(NaN)", [&] { network->forward(bad); }});
  }
  run_check(report, "refuses mismatched input dimensions", 0,
            [&](std::string& detail) { return count_not_refused(dims, detail); });
  run_check(report, "refuses non-finite inputs", 0,
            [&](std::string& detail) { return count_not_refused(nans, detail); });
}

}  // namespace ntk::sdk
