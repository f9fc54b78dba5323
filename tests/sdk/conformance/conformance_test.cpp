// The conformance kit passes on a correct architecture and fails, on the right check, on each
// deliberately wrong variant of it (linear_toy.hpp), so the kit can fail.
#include <catch2/catch.hpp>
#include <set>

#include "conformance.hpp"
#include "linear_toy.hpp"

using namespace ntk;

namespace {

const char* const kMonteCarloNtk = "Monte-Carlo: mean empirical NTK -> analytic NTK";
const char* const kMonteCarloNngp = "Monte-Carlo: E[f f^T] -> analytic NNGP";
const char* const kFiniteDifferences = "jacobian vs central finite differences";

sdk::ConformanceReport check(test::ToyFaults faults, const sdk::ConformanceOptions& options = {},
                             const sdk::Options& given = {}) {
  const test::LinearToyArchitecture architecture(test::linear_toy_config("linear", given, faults));
  return sdk::run_conformance({"linear", "0.1.0", "toy", test::linear_toy_options()},
                              architecture, options);
}

// The names of the failed checks.
std::set<std::string> failures(const sdk::ConformanceReport& report) {
  std::set<std::string> out;
  for (const auto& c : report.checks)
    if (!c.pass) out.insert(c.name);
  return out;
}

}  // namespace

TEST_CASE("the kit passes on a correct architecture, with every check present", "[conformance]") {
  const auto report = check({});
  INFO(report.text());
  CHECK(report.passed());
  for (const char* name :
       {"network shapes", "same seed, same network", "set_params/params round trip",
        kFiniteDifferences, "jvp = J v", "vjp = J^T r", "jvp/vjp adjointness",
        "network ntk(x1, x2) = J1 J2^T", "network ntk(x, x) = J J^T", "network ntk_full = J1 J2^T",
        "analytic kernels symmetric", "analytic kernels PSD",
        "kernels(x1, x2) = block of kernels(x, x)", "kernel request: one kernel alone",
        kMonteCarloNtk, kMonteCarloNngp, "refuses width 0", "refuses mismatched input dimensions",
        "refuses non-finite inputs"}) {
    INFO(name);
    CHECK(report.find(name) != nullptr);
  }
  // Derivatives of a linear network are exact up to round-off.
  CHECK(report.find(kFiniteDifferences)->measured < 1e-8);
  CHECK(report.find("jvp/vjp adjointness")->measured < 1e-13);
}

TEST_CASE("the kit passes with several outputs", "[conformance]") {
  const auto report = check({}, {}, {{"outputs", 3.0}});
  INFO(report.text());
  CHECK(report.passed());
}

TEST_CASE("the kit fails on an analytic NTK that is off by a factor", "[conformance]") {
  test::ToyFaults faults;
  faults.ntk_factor = 1.25;
  const auto report = check(faults);
  INFO(report.text());
  CHECK_FALSE(report.passed());
  CHECK(failures(report) == std::set<std::string>{kMonteCarloNtk});
  // The mean empirical NTK converges to Θ, the plugin claims 1.25 Θ: error 0.25/1.25 = 0.2.
  CHECK(report.find(kMonteCarloNtk)->measured == Approx(0.2).margin(0.05));
}

TEST_CASE("the kit fails on an analytic NNGP that is off by a factor", "[conformance]") {
  test::ToyFaults faults;
  faults.nngp_factor = 0.7;
  const auto report = check(faults);
  INFO(report.text());
  CHECK(failures(report) == std::set<std::string>{kMonteCarloNngp});
}

TEST_CASE("the kit fails on a wrong vjp", "[conformance]") {
  test::ToyFaults faults;
  faults.vjp_b1_factor = 3.0;  // jvp stays right, so the two are no longer adjoint
  const auto report = check(faults);
  INFO(report.text());
  const auto failed = failures(report);
  CHECK(failed.count(kFiniteDifferences) == 1);  // the default jacobian() is built from vjp
  CHECK(failed.count("jvp/vjp adjointness") == 1);
  CHECK(failed.count("jvp = J v") == 1);
  CHECK(failed.count(kMonteCarloNtk) == 1);  // the NTK is built from the wrong Jacobian too
}

TEST_CASE("the kit fails on an indefinite kernel", "[conformance]") {
  test::ToyFaults faults;
  faults.indefinite = true;
  const auto report = check(faults, {}, {});
  INFO(report.text());
  const auto* psd = report.find("analytic kernels PSD");
  REQUIRE(psd != nullptr);
  CHECK_FALSE(psd->pass);
  CHECK(psd->measured > 0.1);
}

TEST_CASE("a throwing network becomes failed checks, not a crash", "[conformance]") {
  test::ToyFaults faults;
  faults.network_throws = true;
  const auto report = check(faults);
  INFO(report.text());
  const auto* setup = report.find("setup: inputs and network");
  REQUIRE(setup != nullptr);
  CHECK_FALSE(setup->pass);
  CHECK(setup->detail == "threw: linear network(): deliberately broken");
  // The analytic checks still ran and passed.
  CHECK(report.find("analytic kernels PSD")->pass);
  CHECK_FALSE(report.find(kMonteCarloNtk)->pass);
}

TEST_CASE("plugin-supplied inputs replace the dense default", "[conformance]") {
  sdk::ConformanceOptions options;
  options.input_dim = 7;  // the toy below takes 3: only the sampler's inputs fit
  int calls = 0;
  options.inputs = [&](arma::uword n, std::uint64_t seed) {
    ++calls;
    return sdk::dense_gaussian_inputs(3, n, seed);
  };
  const auto report = check({}, options, {{"input_dim", 3.0}});
  INFO(report.text());
  CHECK(report.passed());
  CHECK(calls >= 3);
}

TEST_CASE("the report text lists each check with PASS/FAIL and a summary", "[conformance]") {
  sdk::ConformanceOptions options;
  options.monte_carlo = false;
  test::ToyFaults faults;
  faults.indefinite = true;
  const auto report = check(faults, options);
  const std::string text = report.text();
  CHECK_THAT(text, Catch::StartsWith("conformance of plugin 'linear' 0.1.0\n"));
  CHECK_THAT(text, Catch::Contains("PASS  jvp = J v"));
  CHECK_THAT(text, Catch::Contains("FAIL  analytic kernels PSD"));
  CHECK_THAT(text, Catch::Contains(" failed: FAIL\n"));
  CHECK(report.find(kMonteCarloNtk) == nullptr);
}

TEST_CASE("dense_gaussian_inputs is seeded and standard normal", "[conformance]") {
  const auto a = sdk::dense_gaussian_inputs(50, 200, 5);
  const auto b = sdk::dense_gaussian_inputs(50, 200, 5);
  const auto c = sdk::dense_gaussian_inputs(50, 200, 6);
  CHECK(arma::approx_equal(a.x(), b.x(), "absdiff", 0.0));
  CHECK_FALSE(arma::approx_equal(a.x(), c.x(), "absdiff", 0.0));
  // 10,000 samples: mean within 4 standard errors (0.04) of 0, variance within 0.06 of 1.
  CHECK(std::abs(arma::mean(arma::vectorise(a.x()))) < 0.04);
  CHECK(std::abs(arma::var(arma::vectorise(a.x())) - 1.0) < 0.06);
}
