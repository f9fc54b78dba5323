// The conformance kit: checks that any plugin's two views of its architecture agree.
//
// Used by `ntklab check-plugin` and by each plugin's own tests:
//
//   ntk::sdk::ConformanceOptions opts;               // defaults: seconds for an FC network
//   auto report = ntk::sdk::run_conformance(info, *architecture, opts);
//   REQUIRE(report.passed());                         // report.text() for the table
//
// Checks, on small random inputs (each records a measured value, its tolerance and pass/fail):
//   shapes and determinism   forward is k × n, num_params() = params().n_elem, same seed gives
//                            the same parameters and a different seed different ones
//   params round trip        set_params(params() + v) then params() gives it back exactly;
//                            a vector of the wrong size is refused with ntk::Error
//   jacobian vs central finite differences, along random directions and single coordinates
//   jvp, vjp vs the Jacobian, and adjointness ⟨jvp(v), r⟩ = ⟨v, vjp(r)⟩
//   network ntk() = J Jᵀ averaged over outputs (network.hpp), symmetric and cross
//   analytic kernels: symmetric, PSD (min eigenvalue ≥ −tol·max), cross kernel = block of the
//                            symmetric one, an NNGP-only or NTK-only request gives the same values
//   Monte-Carlo: the mean empirical NTK over seeds at a large width, and E[f fᵀ] over seeds and
//                            outputs, against the analytic NTK and NNGP (relative Frobenius)
//   bad input (dense only): a wrong input dimension and a NaN are refused with ntk::Error
//
// A network may size its first layer on the first input it sees: the kit calls forward() on
// every network before anything else.
// Inputs are dense Gaussian vectors by default; plugins whose inputs are images or graphs supply
// their own through ConformanceOptions::inputs (tests) or NTK_REGISTER_CONFORMANCE_INPUTS
// (`ntklab check-plugin`).
#pragma once

#include <armadillo>
#include <boost/config.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ntk/sdk/architecture.hpp"
#include "ntk/sdk/inputs.hpp"
#include "ntk/sdk/options.hpp"
#include "ntk/sdk/plugin.hpp"

namespace ntk::sdk {

// n examples drawn with `seed`: the same (n, seed) must give the same inputs.
using InputSampler = std::function<Inputs(arma::uword n, std::uint64_t seed)>;

struct ConformanceOptions {
  std::uint64_t seed = 1;
  arma::uword examples = 4;   // n for derivative and network-NTK checks (two sets of n)
  arma::uword psd_examples = 24;  // n for the symmetry / PSD check (includes a repeated column)
  arma::uword input_dim = 5;  // d of the default dense inputs
  InputSampler inputs;        // empty: dense standard-normal d × n

  arma::uword width = 16;           // network width for derivative checks
  double fd_step = 1e-5;            // central differences (f(θ+hv) − f(θ−hv)) / 2h
  double fd_tolerance = 1e-6;       // relative, Frobenius
  double exact_tolerance = 1e-10;   // jvp/vjp/adjointness/ntk = J Jᵀ (round-off only)
  double symmetry_tolerance = 1e-12;
  double psd_tolerance = 1e-10;     // min eigenvalue ≥ −psd_tolerance · max eigenvalue

  // Monte-Carlo checks. The tolerances are fixed; the report gives the estimate's standard
  // error, which with these defaults is about a third of the tolerance or less for FC networks
  // of depth 1–3 (raise the seeds if a plugin's is larger).
  bool monte_carlo = true;
  arma::uword ntk_width = 512;   // empirical NTK: mean over ntk_seeds networks of this width
  arma::uword ntk_seeds = 64;
  double ntk_tolerance = 0.08;   // relative Frobenius error of the mean
  arma::uword nngp_width = 64;   // E[f fᵀ]: mean over nngp_seeds networks × outputs; each
  arma::uword nngp_seeds = 4000; // output is one O(1)-variance sample, so many cheap networks
  double nngp_tolerance = 0.12;
};

struct ConformanceCheck {
  std::string name;
  double measured = 0;   // the error measured (relative unless the name says otherwise)
  double tolerance = 0;  // pass when measured ≤ tolerance
  bool pass = false;
  std::string detail;    // what was compared, or why it failed
};

struct ConformanceReport {
  std::string plugin;       // "fc 1.0.0"
  std::string description;  // architecture.describe()
  std::vector<ConformanceCheck> checks;

  bool passed() const;
  // The check named `name`, or nullptr.
  const ConformanceCheck* find(const std::string& name) const;
  // A readable table: one line per check (PASS/FAIL, name, measured, tolerance), then a summary.
  std::string text() const;
};

// Runs every check; never throws for a failing plugin: an exception inside a check becomes a
// failed check with the exception's message.
ConformanceReport run_conformance(const PluginInfo& info, const Architecture& architecture,
                                  const ConformanceOptions& options = {});

// Dense d × n standard-normal inputs from `seed` (std::mt19937_64, no global RNG).
Inputs dense_gaussian_inputs(arma::uword dim, arma::uword n, std::uint64_t seed);

// Optional exported record (C symbol `ntklab_conformance_entry`): sample inputs of the plugin's
// own kind for `ntklab check-plugin`, given the options the architecture was made with.
struct ConformanceEntry {
  Inputs (*sample_inputs)(const Options& options, arma::uword n, std::uint64_t seed);
};

}  // namespace ntk::sdk

// In the plugin's registration file, next to NTK_REGISTER_PLUGIN:
//   ntk::sdk::Inputs cnn_samples(const ntk::sdk::Options& o, arma::uword n, std::uint64_t seed);
//   NTK_REGISTER_CONFORMANCE_INPUTS(cnn_samples)
#define NTK_REGISTER_CONFORMANCE_INPUTS(sample_function)                                   \
  extern "C" BOOST_SYMBOL_EXPORT const ::ntk::sdk::ConformanceEntry ntklab_conformance_entry = { \
      &(sample_function)};
