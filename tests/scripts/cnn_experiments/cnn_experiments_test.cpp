// The issue-5 experiment scripts, run in a small setting through the Lua runtime with the real
// plugins (build/plugins), asserting the papers' qualitative claims:
//   mercer_spectrum.lua   ReLU NTK eigenvalues decay as k^-d, the arc-cosine kernel's as
//                         k^-(d+2); quadrature agrees with the Gram matrix of sphere points
//   smoothness.lua        ReLU NTK Hölder-1/2 near x = y; erf NTK and ReLU NNGP Lipschitz
//   deformation_stability.lua  distances grow with the deformation amplitude; small
//                         deformations are closer than other digits, of the same label or
//                         any label (CNTK and conv NNGP)
// and `ntklab check-plugin cnn` through the binary.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <string>

#include "../../host/lua/lua_fixture.hpp"

using ntk::lua::test::LuaFixture;
using ntk::lua::test::TempDir;

namespace {

std::string script(const std::string& name) {
  return ntk::lua::test::source_dir() + "/scripts/" + name;
}

// A fixture with the built plugins and the given script parameters.
struct ScriptRun : LuaFixture {
  explicit ScriptRun(const ntk::lua::ScriptParams& params) : LuaFixture(params) {
    registry.discover({ntk::lua::test::build_dir() + "/plugins"});
  }
};

}  // namespace

TEST_CASE("mercer_spectrum.lua: NTK eigenvalues decay as k^-d, arc-cosine as k^-(d+2)",
          "[cnn_experiments]") {
  TempDir dir("mercer");
  ScriptRun run({{"d", "3"}, {"k_max", "30"}, {"k_fit", "8"}, {"n_quad", "200"}, {"n", "800"},
                 {"out", dir.file("mercer.jsonl")}, {"figure", dir.file("mercer.png")}});
  run.ok("R = dofile('" + script("mercer_spectrum.lua") + "')");
  run.ok("ntk_slope, arccos_slope = R.ntk_slope, R.arccos_slope");
  const double ntk_slope = run.number("ntk_slope"), arccos_slope = run.number("arccos_slope");
  WARN("fitted decay exponents on S^2: NTK " << ntk_slope << ", arc-cosine " << arccos_slope);
  CHECK(std::abs(ntk_slope + 3) < 0.25);
  CHECK(std::abs(arccos_slope + 5) < 0.35);
  // The quadrature eigenvalues are the Gram eigenvalues (first four groups of N(d, k)).
  run.ok(R"(worst = 0
            for _, name in ipairs({"ntk", "arccos"}) do
              for _, g in ipairs(R.gram[name]) do worst = math.max(worst, g.relative_error) end
            end)");
  const double worst = run.number("worst");
  WARN("largest relative difference quadrature vs Gram (n = 800): " << worst);
  CHECK(worst < 0.1);
  CHECK(std::filesystem::file_size(dir.file("mercer.png")) > 1000);
  CHECK(std::filesystem::file_size(dir.file("mercer.jsonl")) > 100);
}

TEST_CASE("smoothness.lua: ReLU NTK is Hölder-1/2, smooth kernels are Lipschitz",
          "[cnn_experiments]") {
  TempDir dir("smoothness");
  ScriptRun run({{"d", "10"}, {"depth", "2"}, {"out", dir.file("s.jsonl")}, {"figure", "none"}});
  run.ok("R = dofile('" + script("smoothness.lua") + "')");
  run.ok("relu_ntk, relu_nngp, erf_ntk = R.relu_ntk, R.relu_nngp, R.erf_ntk");
  const double relu_ntk = run.number("relu_ntk"), relu_nngp = run.number("relu_nngp");
  const double erf_ntk = run.number("erf_ntk");
  WARN("slopes of log ||Phi(x)-Phi(y)|| vs log ||x-y||: relu NTK " << relu_ntk << ", relu NNGP "
                                                                    << relu_nngp << ", erf NTK " << erf_ntk);
  CHECK(std::abs(relu_ntk - 0.5) < 0.08);
  CHECK(std::abs(relu_nngp - 1.0) < 0.05);
  CHECK(std::abs(erf_ntk - 1.0) < 0.05);
}

TEST_CASE("deformation_stability.lua: the geometry of Figure 1 in a small setting",
          "[cnn_experiments]") {
  TempDir dir("deformation");
  ScriptRun run({{"n", "6"}, {"steps", "2"}, {"alpha_max", "2"}, {"depth", "2"},
                 {"out", dir.file("d.jsonl")}, {"figure", dir.file("d.png")}});
  run.ok("R = dofile('" + script("deformation_stability.lua") + "')");
  for (const std::string kernel : {"ntk", "nngp"}) {
    run.ok("small = R.deformation[1]." + kernel + ".mean; large = R.deformation[2]." + kernel +
           ".mean; same = R.same_label." + kernel + ".mean; any = R.any_label." + kernel +
           ".mean; moved = R.translation[1]." + kernel + ".mean");
    const double small = run.number("small"), large = run.number("large");
    const double same = run.number("same"), any = run.number("any");
    WARN(kernel << ": deformation alpha=1 " << small << ", alpha=2 " << large << ", same label "
                << same << ", any label " << any << ", translation+deformation alpha=1 "
                << run.number("moved"));
    CHECK(small < large);
    CHECK(large < same);
    CHECK(large < any);
  }
  CHECK(std::filesystem::file_size(dir.file("d.png")) > 1000);
}

TEST_CASE("ntklab check-plugin cnn passes", "[cnn_experiments]") {
  const std::string binary = ntk::lua::test::build_dir() + "/bin/ntklab";
  REQUIRE(std::filesystem::exists(binary));
  const std::string command = binary + " --plugin-path " + ntk::lua::test::build_dir() +
                              "/plugins check-plugin cnn --no-monte-carlo 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string output;
  char buffer[512];
  while (fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
  const int status = pclose(pipe);
  INFO(output);
  CHECK(status == 0);
  CHECK_THAT(output, Catch::Contains("0 failed"));
}

TEST_CASE("ntk.data.deform / translate and ntk.analysis spherical bindings", "[cnn_experiments]") {
  ScriptRun run({});
  // translate moves pixels; deform is seeded and has the asked amplitude's effect.
  run.ok(R"(x = ntk.matrix(16, 1)
            x:set(6, 1, 1.0)                      -- pixel (row 2, column 2) of a 4 x 4 image
            t = ntk.data.translate(x, {shape = {1, 4, 4}, dx = 1, dy = 1})
            moved = t:get(11, 1)                  -- pixel (3, 3)
            a = ntk.data.deform(x, {shape = {1, 4, 4}, alpha = 0.5, seed = 3})
            b = ntk.data.deform(x, {shape = {1, 4, 4}, alpha = 0.5, seed = 3})
            same = (a - b):norm()
            q = ntk.analysis.sphere_quadrature{d = 3, n = 20}
            mu = ntk.analysis.funk_hecke{t = q.t, weights = q.weights, kappa = q.t, d = 3, k_max = 2}
            mu1 = mu:get(2, 1)
            m = ntk.analysis.harmonic_multiplicity(4, 2))");
  CHECK(run.number("moved") == Approx(1.0));
  CHECK(run.number("same") == 0.0);
  CHECK(run.number("mu1") == Approx(1.0 / 3).epsilon(1e-13));  // t = P_1, N(3, 1) = 3
  CHECK(run.number("m") == 9.0);
  CHECK_THAT(run.error("ntk.data.deform(ntk.matrix(16, 1), {shape = {1, 4, 4}, alpha = 1, sead = 2})"),
             Catch::Contains("ntk.data.deform: unknown field 'sead' (known fields: alpha, seed, shape, smoothness)"));
  CHECK_THAT(run.error("ntk.data.deform(ntk.matrix(16, 1), {alpha = 1})"),
             Catch::Contains("'shape' = {C, H, W} is required"));
  CHECK_THAT(run.error("ntk.data.translate(ntk.matrix(15, 1), {shape = {1, 4, 4}, dx = 1})"),
             Catch::Contains("C*H*W = 16"));
  CHECK_THAT(run.error("ntk.analysis.loglog_fit({1, 2}, {1, -2})"), Catch::Contains("positive"));
  CHECK_THAT(run.error("ntk.analysis.funk_hecke{t = {1}, weights = {1, 2}, kappa = {1}, d = 3, k_max = 1}"),
             Catch::Contains("one kernel value per quadrature node"));
}
