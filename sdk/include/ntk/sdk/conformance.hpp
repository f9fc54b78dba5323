// The conformance kit: checks that any plugin's two views of its architecture agree.
//
// Used by `ntklab check-plugin` and by each plugin's own tests. On one architecture:
//
//   ntk::sdk::ConformanceOptions kit;                 // defaults: seconds for an FC network
//   auto report = ntk::sdk::run_conformance(info, *architecture, kit);
//   REQUIRE(report.passed());                          // report.text() for the table
//
// or over several option settings, built by the plugin's factory (PluginEntry::make):
//
//   auto report = ntk::sdk::run_conformance(info, &make_fc, {{"depth", 2.0}}, kit);
//
// The defaults w_std = 1, b_std = 0 hide real bugs (Σ_old for Σ_new in the NTK rule, a missing
// + b²), so the settings run are: the given options, then each sample setting over them. The
// sample settings are ConformanceOptions::settings, else the plugin's own
// (NTK_REGISTER_CONFORMANCE_SETTINGS, read by `ntklab check-plugin`), else derived from the
// declared options by derived_settings(): every number option named *_std that the user did
// not give moves off its default. Each check in the report names its setting.
//
// Checks, on small random inputs (each records a measured value, its tolerance and pass/fail):
//   shapes and determinism   forward is k × n, num_params() = params().n_elem, same seed gives
//                            the same parameters and a different seed different ones
//   params round trip        set_params(params() + v) then params() gives it back exactly;
//                            a vector of the wrong size is refused with ntk::Error
//   jacobian, jvp and vjp    each against central finite differences of forward() on its own,
//                            so a failure blames the function that is wrong, and names the
//                            parameters where it is wrong ("vjp wrong on parameters 80..95
//                            (of 161)", with block names when the network is a
//                            DescribesParameters)
//   jvp, vjp vs the Jacobian, and adjointness ⟨jvp(v), r⟩ = ⟨v, vjp(r)⟩
//   network ntk() = J Jᵀ averaged over outputs (network.hpp), symmetric and cross
//   analytic kernels: symmetric, PSD (min eigenvalue ≥ −tol·max), not identically zero, cross
//                            kernel = block of the symmetric one, an NNGP-only or NTK-only
//                            request gives the same values
//   Monte-Carlo: the mean empirical NTK over seeds at a large width, and E[f fᵀ] over seeds and
//                            outputs, against the analytic NTK and NNGP (relative Frobenius)
//   bad input (dense only): a wrong input dimension and a NaN are refused with ntk::Error
//
// A network may size its first layer on the first input it sees: the kit calls forward() on
// every network before anything else.
// Inputs are dense Gaussian vectors by default; plugins whose inputs are images or graphs supply
// their own through ConformanceOptions::inputs / setting_inputs (tests) or
// NTK_REGISTER_CONFORMANCE_INPUTS (`ntklab check-plugin`).
#pragma once

#include <armadillo>
#include <boost/config.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ntk/sdk/architecture.hpp"
#include "ntk/sdk/inputs.hpp"
#include "ntk/sdk/options.hpp"
#include "ntk/sdk/plugin.hpp"

namespace ntk::sdk {

// n examples drawn with `seed`: the same (n, seed) must give the same inputs.
using InputSampler = std::function<Inputs(arma::uword n, std::uint64_t seed)>;
// The same for the architecture made with `options` (e.g. images of its input_shape).
using SettingInputSampler =
    std::function<Inputs(const Options& options, arma::uword n, std::uint64_t seed)>;
// Makes the architecture of one option setting; PluginEntry::make converts to it. Throws
// ntk::Error on bad options.
using ArchitectureFactory = std::function<std::shared_ptr<Architecture>(const Options& options)>;

struct ConformanceOptions {
  std::uint64_t seed = 1;
  arma::uword examples = 4;   // n for derivative and network-NTK checks (two sets of n)
  arma::uword psd_examples = 24;  // n for the symmetry / PSD check (includes a repeated column)
  arma::uword input_dim = 5;  // d of the default dense inputs
  InputSampler inputs;        // empty: dense standard-normal d × n
  SettingInputSampler setting_inputs;  // when set, used instead of `inputs`, per setting

  // Sample settings for the run over a factory (each applied over the given options). Empty:
  // the plugin's derived_settings(). Ignored by the single-architecture run_conformance.
  std::vector<Options> settings;

  arma::uword width = 16;           // network width for derivative checks
  double fd_step = 1e-5;            // central differences (f(θ+hv) − f(θ−hv)) / 2h
  double fd_tolerance = 1e-6;       // relative, Frobenius
  double exact_tolerance = 1e-10;   // jvp/vjp/adjointness/ntk = J Jᵀ (round-off only)
  double symmetry_tolerance = 1e-12;
  double psd_tolerance = 1e-10;     // min eigenvalue ≥ −psd_tolerance · max eigenvalue
  // Finding the wrong parameters of a failed derivative check costs 2 forward passes per piece:
  // one piece per parameter up to this many parameters, contiguous pieces of them above.
  arma::uword blame_pieces = 4096;

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
  std::string setting;   // the option setting it ran on ("" in a single-architecture run)
};

struct ConformanceReport {
  std::string plugin;       // "fc 1.0.0"
  std::string description;  // architecture.describe() (of the first setting)
  std::vector<ConformanceCheck> checks;
  std::vector<std::string> settings;  // the settings run, in order (setting_text of each)

  bool passed() const;
  // The first check named `name`, or nullptr.
  const ConformanceCheck* find(const std::string& name) const;
  // The check named `name` of one setting, or nullptr.
  const ConformanceCheck* find(const std::string& name, const std::string& setting) const;
  // A readable table: one line per check (PASS/FAIL, name, measured, tolerance), grouped under
  // a line per setting, then a summary.
  std::string text() const;
};

// Runs every check on one architecture; never throws for a failing plugin: an exception inside
// a check becomes a failed check with the exception's message.
ConformanceReport run_conformance(const PluginInfo& info, const Architecture& architecture,
                                  const ConformanceOptions& options = {});

// Runs every check once per setting of conformance_settings(info, given, options), each on the
// architecture make(setting). A factory that throws fails that setting's setup check.
ConformanceReport run_conformance(const PluginInfo& info, const ArchitectureFactory& make,
                                  const Options& given, const ConformanceOptions& options = {});

// `given` first, then each sample setting (options.settings, or derived_settings(info.options,
// given) when that is empty) with `given` filled in under it; duplicates dropped.
std::vector<Options> conformance_settings(const PluginInfo& info, const Options& given,
                                          const ConformanceOptions& options);

// One setting off the defaults from the declared options: each number option named *_std that
// `given` does not set becomes 1.3 × its default, or 0.4 when the default is 0 (w_std 1 → 1.3,
// b_std 0 → 0.4). Empty when there is no such option.
std::vector<Options> derived_settings(const std::vector<OptionSpec>& declared, const Options& given);

// "w_std = 1.3, b_std = 0.4"; "defaults" for no options.
std::string setting_text(const Options& setting);

// Dense d × n standard-normal inputs from `seed` (std::mt19937_64, no global RNG).
Inputs dense_gaussian_inputs(arma::uword dim, arma::uword n, std::uint64_t seed);

// A named contiguous part of a network's flat parameter vector: [offset, offset + size).
struct ParameterBlock {
  std::string name;  // "layer 2 weights"
  arma::uword offset = 0;
  arma::uword size = 0;
};

// Optional, for a Network that also derives from it: its parameter layout, so that a failed
// derivative check names the wrong block instead of only an index range.
class DescribesParameters {
 public:
  virtual ~DescribesParameters() = default;
  virtual std::vector<ParameterBlock> parameter_blocks() const = 0;
};

// Optional exported record (C symbol `ntklab_conformance_entry`): sample inputs of the plugin's
// own kind for `ntklab check-plugin`, given the options the architecture was made with.
struct ConformanceEntry {
  Inputs (*sample_inputs)(const Options& options, arma::uword n, std::uint64_t seed);
};

// Optional exported record (C symbol `ntklab_conformance_settings`): the plugin's own sample
// settings for `ntklab check-plugin` (e.g. values off the defaults that exercise every rule);
// each is applied over the user's --option values.
struct ConformanceSettingsEntry {
  std::vector<Options> (*sample_settings)();
};

}  // namespace ntk::sdk

// In the plugin's registration file, next to NTK_REGISTER_PLUGIN:
//   ntk::sdk::Inputs cnn_samples(const ntk::sdk::Options& o, arma::uword n, std::uint64_t seed);
//   NTK_REGISTER_CONFORMANCE_INPUTS(cnn_samples)
#define NTK_REGISTER_CONFORMANCE_INPUTS(sample_function)                                   \
  extern "C" BOOST_SYMBOL_EXPORT const ::ntk::sdk::ConformanceEntry ntklab_conformance_entry = { \
      &(sample_function)};

//   std::vector<ntk::sdk::Options> fc_settings() { return {{{"w_std", 1.5}, {"b_std", 0.3}}}; }
//   NTK_REGISTER_CONFORMANCE_SETTINGS(fc_settings)
#define NTK_REGISTER_CONFORMANCE_SETTINGS(settings_function)                           \
  extern "C" BOOST_SYMBOL_EXPORT const ::ntk::sdk::ConformanceSettingsEntry            \
      ntklab_conformance_settings = {&(settings_function)};
