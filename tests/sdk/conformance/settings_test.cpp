// The conformance kit over several option settings, on a one-hidden-layer ReLU toy
// (mlp_toy.hpp): the correct toy passes every check in every setting, and each planted bug
// fails the check meant for it — bugs that the defaults w_std = 1, b_std = 0 hide fail only in
// the setting the kit derives off the defaults; a wrong vjp or jvp is blamed on itself and on
// the parameter block where it is wrong.
#include <catch2/catch.hpp>
#include <iostream>
#include <set>

#include "mlp_toy.hpp"
#include "ntk/sdk/conformance.hpp"

using namespace ntk;

namespace {

const char* const kDefaults = "defaults";
const char* const kSampled = "b_std = 0.4, w_std = 1.3";  // derived from the declared options
const char* const kJvp = "jvp vs finite differences";
const char* const kVjp = "vjp vs finite differences";
const char* const kJacobian = "jacobian vs central finite differences";
const char* const kMonteCarloNtk = "Monte-Carlo: mean empirical NTK -> analytic NTK";
const char* const kMonteCarloNngp = "Monte-Carlo: E[f f^T] -> analytic NNGP";
const char* const kNonzero = "analytic NTK not identically zero";

const sdk::PluginInfo kInfo{"mlp", "0.1.0", "toy", test::mlp_toy_options()};

// Smaller Monte-Carlo runs than the kit's defaults (the toy's networks are cheap, but the test
// must stay fast); the standard errors stay well under the tolerances (see the report).
sdk::ConformanceOptions fast_options() {
  sdk::ConformanceOptions kit;
  kit.ntk_width = 256;
  kit.ntk_seeds = 48;
  kit.nngp_width = 32;
  kit.nngp_seeds = 3000;
  return kit;
}

sdk::ConformanceReport check(test::MlpFaults faults, const sdk::Options& given = {},
                             const sdk::ConformanceOptions& kit = fast_options()) {
  const sdk::ArchitectureFactory make = [faults](const sdk::Options& options) {
    return std::make_shared<test::MlpToyArchitecture>(test::mlp_toy_config(options, faults));
  };
  return sdk::run_conformance(kInfo, make, given, kit);
}

std::set<std::string> failures(const sdk::ConformanceReport& report, const std::string& setting) {
  std::set<std::string> out;
  for (const auto& c : report.checks)
    if (!c.pass && c.setting == setting) out.insert(c.name);
  return out;
}

const sdk::ConformanceCheck& get(const sdk::ConformanceReport& report, const std::string& name,
                                 const std::string& setting) {
  const auto* check = report.find(name, setting);
  REQUIRE(check != nullptr);
  return *check;
}

}  // namespace

TEST_CASE("settings: derived from the declared *_std options, given values kept", "[conformance]") {
  const auto derived = sdk::derived_settings(test::mlp_toy_options(), {});
  REQUIRE(derived.size() == 1);
  CHECK(sdk::setting_text(derived[0]) == kSampled);
  // An option the user gave stays as given; one with a non-zero default moves by 1.3.
  const std::vector<sdk::OptionSpec> specs = {
      {"w_std", 2.0, ""}, {"b_std", 0.0, ""}, {"readout_b_std", 0.5, ""}, {"depth", 1.0, ""}};
  const auto partly = sdk::derived_settings(specs, {{"b_std", 0.1}});
  REQUIRE(partly.size() == 1);
  CHECK(sdk::setting_text(partly[0]) == "readout_b_std = 0.65, w_std = 2.6");
  CHECK(sdk::derived_settings({{"depth", 1.0, ""}}, {}).empty());

  const auto settings = sdk::conformance_settings(kInfo, {{"input_dim", 3.0}}, {});
  REQUIRE(settings.size() == 2);
  CHECK(sdk::setting_text(settings[0]) == "input_dim = 3");
  CHECK(sdk::setting_text(settings[1]) == "b_std = 0.4, input_dim = 3, w_std = 1.3");

  // Declared settings replace the derived ones, go over the given options, and repeat no setting.
  sdk::ConformanceOptions kit;
  kit.settings = {{{"w_std", 1.5}}, {}, {{"w_std", 1.5}}};
  const auto declared = sdk::conformance_settings(kInfo, {{"b_std", 0.2}}, kit);
  REQUIRE(declared.size() == 2);
  CHECK(sdk::setting_text(declared[1]) == "b_std = 0.2, w_std = 1.5");
  CHECK(sdk::setting_text(sdk::Options{}) == kDefaults);
}

TEST_CASE("the correct ReLU toy passes every check in both settings", "[conformance]") {
  const auto report = check({});
  INFO(report.text());
  CHECK(report.passed());
  CHECK(report.settings == std::vector<std::string>{kDefaults, kSampled});
  for (const char* setting : {kDefaults, kSampled})
    for (const char* name : {"setup: architecture", kJacobian, kJvp, kVjp, "jvp = J v",
                             "vjp = J^T r", kNonzero, kMonteCarloNtk, kMonteCarloNngp}) {
      INFO(setting << ": " << name);
      CHECK(get(report, name, setting).pass);
    }
  CHECK_THAT(report.text(), Catch::Contains("setting 2 of 2: b_std = 0.4, w_std = 1.3\n"));
  CHECK_THAT(report.text(), Catch::Contains("setting 2 (b_std = 0.4, w_std = 1.3): "));
}

TEST_CASE("a wrong vjp is blamed on vjp and on its block, not on jvp", "[conformance]") {
  test::MlpFaults faults;
  faults.vjp_b1_factor = 3.0;
  const auto report = check(faults);
  INFO(report.text());
  // At b_std = 0 the b1 gradient is zero, so the bug only shows in the sampled setting.
  CHECK(failures(report, kDefaults).empty());
  const auto& vjp = get(report, kVjp, kSampled);
  CHECK_FALSE(vjp.pass);
  CHECK(vjp.measured > 1e3 * vjp.tolerance);
  CHECK_THAT(vjp.detail, Catch::StartsWith("vjp wrong on parameters 8"));
  CHECK_THAT(vjp.detail, Catch::Contains("(of 113): b1;"));
  CHECK(get(report, kJvp, kSampled).pass);
  // The default jacobian() is built from vjp: it is wrong too, and "jvp = J v" says whose fault.
  CHECK_FALSE(get(report, kJacobian, kSampled).pass);
  const auto& jv = get(report, "jvp = J v", kSampled);
  CHECK_FALSE(jv.pass);
  CHECK_THAT(jv.detail, Catch::Contains("jvp agrees with finite differences"));
  CHECK_THAT(get(report, "jvp/vjp adjointness", kSampled).detail,
             Catch::Contains("vjp is the one that disagrees"));
}

TEST_CASE("a wrong jvp is blamed on jvp and on its block, not on vjp", "[conformance]") {
  test::MlpFaults faults;
  faults.jvp_v_factor = 1.5;
  const auto report = check(faults);
  INFO(report.text());
  for (const char* setting : {kDefaults, kSampled}) {
    INFO(setting);
    const auto& jvp = get(report, kJvp, setting);
    CHECK_FALSE(jvp.pass);
    CHECK(jvp.measured > 1e3 * jvp.tolerance);
    CHECK_THAT(jvp.detail, Catch::StartsWith("jvp wrong on parameters 9"));
    CHECK_THAT(jvp.detail, Catch::Contains("(of 113): V;"));
    CHECK(get(report, kVjp, setting).pass);
    CHECK(get(report, kJacobian, setting).pass);  // built from vjp
    CHECK_THAT(get(report, "jvp = J v", setting).detail,
               Catch::Contains("jvp disagrees with finite differences too"));
    // The empirical NTK comes from the (right) Jacobian: Monte-Carlo still passes.
    CHECK(failures(report, setting) ==
          std::set<std::string>{kJvp, "jvp = J v", "jvp/vjp adjointness"});
  }
}

TEST_CASE("an NTK rule with Sigma_old for Sigma_new passes at the defaults, fails off them",
          "[conformance]") {
  test::MlpFaults faults;
  faults.ntk_sigma_old = true;
  const auto report = check(faults);
  INFO(report.text());
  CHECK(failures(report, kDefaults).empty());
  CHECK(failures(report, kSampled) == std::set<std::string>{kMonteCarloNtk});
  const auto& mc = get(report, kMonteCarloNtk, kSampled);
  CHECK(mc.measured > 2 * mc.tolerance);
}

TEST_CASE("a Dense rule without + b^2 passes at the defaults, fails off them", "[conformance]") {
  test::MlpFaults faults;
  faults.missing_bias = true;
  const auto report = check(faults);
  INFO(report.text());
  CHECK(failures(report, kDefaults).empty());
  const auto failed = failures(report, kSampled);
  CHECK(failed.count(kMonteCarloNngp) == 1);
  CHECK(failed.count(kMonteCarloNtk) == 1);
  CHECK(failed.size() == 2);
}

TEST_CASE("an identically zero analytic NTK is named as such", "[conformance]") {
  test::MlpFaults faults;
  faults.zero_ntk = true;
  sdk::ConformanceOptions kit = fast_options();
  kit.monte_carlo = false;
  const auto report = check(faults, {}, kit);
  INFO(report.text());
  for (const char* setting : {kDefaults, kSampled}) {
    const auto& zero = get(report, kNonzero, setting);
    CHECK_FALSE(zero.pass);
    CHECK(zero.detail == "analytic NTK is identically zero");
    CHECK(failures(report, setting) == std::set<std::string>{kNonzero});
  }
}

TEST_CASE("a factory that refuses a setting fails that setting's setup", "[conformance]") {
  const sdk::ArchitectureFactory make = [](const sdk::Options& options) {
    if (options.has("w_std")) throw_error("mlp options: w_std is not accepted here");
    return std::make_shared<test::MlpToyArchitecture>(test::mlp_toy_config(options));
  };
  sdk::ConformanceOptions kit = fast_options();
  kit.monte_carlo = false;
  const auto report = sdk::run_conformance(kInfo, make, {}, kit);
  INFO(report.text());
  CHECK(failures(report, kDefaults).empty());
  CHECK(failures(report, kSampled) == std::set<std::string>{"setup: architecture"});
  CHECK(get(report, "setup: architecture", kSampled).detail ==
        "threw: mlp options: w_std is not accepted here");
}

namespace {

// Refuses num_params() until forward() has run, like a network that sizes its first layer on
// the first input it sees.
class LazyMlp : public test::MlpToyNetwork {
 public:
  using MlpToyNetwork::MlpToyNetwork;
  arma::uword num_params() const override {
    if (!seen_) throw_error("lazy mlp: num_params() before the first forward()");
    return MlpToyNetwork::num_params();
  }
  arma::mat forward(const sdk::Inputs& x) const override {
    seen_ = true;
    return MlpToyNetwork::forward(x);
  }

 private:
  mutable bool seen_ = false;
};

}  // namespace

TEST_CASE("the default jacobian() runs forward() before asking num_params()", "[conformance]") {
  test::MlpConfig config;
  config.b_std = 0.3;
  const sdk::Inputs x = sdk::dense_gaussian_inputs(5, 3, 1);
  const LazyMlp lazy(config, 8, 2);
  const arma::mat jac = lazy.jacobian(x);
  const test::MlpToyNetwork eager(config, 8, 2);
  CHECK(arma::approx_equal(jac, eager.jacobian(x), "absdiff", 0.0));
}

// Hidden (run with `test_conformance_kit "[.report]"`): prints the kit's report on each planted
// bug, to read what a plugin author would see.
TEST_CASE("print the reports on the planted bugs", "[.report]") {
  test::MlpFaults vjp, jvp, old_sigma, no_bias, zero;
  vjp.vjp_b1_factor = 3.0;
  jvp.jvp_v_factor = 1.5;
  old_sigma.ntk_sigma_old = true;
  no_bias.missing_bias = true;
  zero.zero_ntk = true;
  for (const auto& [name, faults] : std::vector<std::pair<std::string, test::MlpFaults>>{
           {"correct", {}}, {"wrong vjp", vjp}, {"wrong jvp", jvp}, {"Sigma_old", old_sigma},
           {"missing b^2", no_bias}, {"zero NTK", zero}})
    std::cout << "==== " << name << "\n" << check(faults).text() << "\n";
}
