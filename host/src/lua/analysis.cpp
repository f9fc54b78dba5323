// Lua module ntk.analysis: kernel analysis (numerics in host/src/core/analysis; this file only
// reads arguments and pushes results). Matrices are ntk.matrix; Y is k × n (a vector of n
// values is taken as 1 × n).
//
//   ntk.analysis.spectrum(K [, Y, {eigenvectors = false}])
//       -> {eigenvalues = n × 1 descending, projections = n × k (⟨v_i, y⟩; signs arbitrary,
//           squares sum to ‖y‖²), eigenvectors = n × n (when asked)}
//   ntk.analysis.bound(K, y [, {normalize = "none" | "half_diagonal"}])
//       -> {bound = √(2 yᵀK⁻¹y / n), quadratic_form = yᵀK⁻¹y, scale, method, condition_number,
//           warnings} for ±1 labels (Arora et al. 2019). "none" uses K as given (e.g. the
//          stax NTK); "half_diagonal" scales K to mean diagonal 1/2, the scale of Arora et al.'s
//          H∞ on unit-norm inputs (core/analysis/generalization_bound.hpp).
//   ntk.analysis.decomposition{K_test_train =, K_train =, y =, f0_train =, f0_test =, ridge = 0}
//       -> {interpolation = f_int, initialization = f0(x) − Θ(x,X)Θ⁻¹f0(X), linearized = sum
//           (all k × m), method, condition_number, warnings}   (Eq. 14, Wide NNs are
//          interpolating kernel methods)
//   ntk.analysis.lower_bound{same fields + y_test = k × m, sigma =, layers =}
//       -> {J_sigma = ‖init(X_test)‖/√m, J = J_sigma/σ^L (with sigma, layers),
//           sqrt_loss_interpolation, sqrt_loss_linearized, bound = |J_sigma − √L_int|
//           (Theorem 4 without its O(1/√width) term), interpolation, initialization, linearized}
//   ntk.analysis.class_ratios(K, labels) -> {diagonal = Θ_d, same_class = Θ_c,
//       different_class = Θ_n, same_over_diagonal, different_over_diagonal, same_over_different}
//       (labels: a vector, or a k × n one-hot / ±1-row matrix whose column argmax is the class)
//   ntk.analysis.alignment(K, Y) -> ⟨K, YᵀY⟩_F / (‖K‖_F ‖YᵀY‖_F)
//   ntk.analysis.kernel_distance(A, B) -> 1 − ⟨A, B⟩_F / (‖A‖_F ‖B‖_F)
//   ntk.analysis.relative_distance(A, B) -> ‖A − B‖_F / ‖B‖_F
#include <lua.hpp>

#include <string>
#include <vector>

#include "core/analysis/generalization_bound.hpp"
#include "core/analysis/interpolation_decomposition.hpp"
#include "core/analysis/kernel_statistics.hpp"
#include "core/analysis/spectrum.hpp"
#include "lua/args.hpp"
#include "lua/module.hpp"
#include "lua/table_reader.hpp"
#include "lua/solve_args.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::lua {
namespace {

namespace analysis = core::analysis;
using namespace solve_args;

int l_spectrum(lua_State* L) {
  return protect(L, [&] {
    const arma::mat& K = matrix_arg(L, 1, "spectrum");
    const arma::mat Y = lua_isnoneornil(L, 2) ? arma::mat() : targets(L, 2, K.n_rows, "spectrum", "Y");
    bool keep = false;
    if (!lua_isnoneornil(L, 3)) {
      keep = TableReader(L, 3, "ntk.analysis.spectrum", {"eigenvectors"})
                 .boolean("eigenvectors", false);
    }
    analysis::Spectrum s = analysis::spectrum(K, Y, keep);
    lua_createtable(L, 0, 3);
    set_matrix(L, "eigenvalues", std::move(s.eigenvalues));
    if (!Y.is_empty()) set_matrix(L, "projections", std::move(s.projections));
    if (keep) set_matrix(L, "eigenvectors", std::move(s.eigenvectors));
    return 1;
  });
}

int l_bound(lua_State* L) {
  return protect(L, [&] {
    const arma::mat& K = matrix_arg(L, 1, "bound");
    const arma::vec y = values(L, 2, "bound", "y");
    auto normalize = analysis::BoundNormalization::None;
    if (!lua_isnoneornil(L, 3)) {
      const TableReader args(L, 3, "ntk.analysis.bound", {"normalize"});
      if (args.choice("normalize", "none", {"none", "half_diagonal"}) == "half_diagonal")
        normalize = analysis::BoundNormalization::HalfDiagonal;
    }
    const analysis::GeneralizationBound b = analysis::generalization_bound(K, y, normalize);
    lua_createtable(L, 0, 6);
    set_number(L, "bound", b.bound);
    set_number(L, "quadratic_form", b.quadratic_form);
    set_number(L, "scale", b.scale);
    set_string(L, "method", b.method);
    set_number(L, "condition_number", b.condition_number);
    set_strings(L, "warnings", b.warnings);
    return 1;
  });
}

std::vector<std::string> decomposition_keys(bool with_bound) {
  std::vector<std::string> keys = {"K_test_train", "K_train", "y", "f0_train", "f0_test", "ridge"};
  if (with_bound) keys.insert(keys.end(), {"y_test", "sigma", "layers"});
  return keys;
}

analysis::DecompositionInputs decomposition_inputs(const TableReader& args, const char* fn) {
  lua_State* L = args.state();
  analysis::DecompositionInputs in;
  arma::mat storage;
  in.K_train = args.required_matrix("K_train", storage);
  in.K_test_train = args.required_matrix("K_test_train", storage);
  const arma::uword n = in.K_train.n_rows, m = in.K_test_train.n_rows;
  const auto target_field = [&](const char* key, arma::uword count) {
    if (!args.has(key)) args.fail(key, "is required");
    args.push(key);
    arma::mat value = targets(L, -1, count, fn, key);
    lua_pop(L, 1);
    return value;
  };
  in.Y = target_field("y", n);
  in.f0_train = target_field("f0_train", n);
  in.f0_test = target_field("f0_test", m);
  in.ridge = args.number("ridge", 0.0, Range::non_negative());
  return in;
}

void set_decomposition(lua_State* L, analysis::Decomposition d) {
  set_matrix(L, "interpolation", std::move(d.interpolation));
  set_matrix(L, "initialization", std::move(d.initialization));
  set_matrix(L, "linearized", std::move(d.linearized));
  set_string(L, "method", d.method);
  set_number(L, "condition_number", d.condition_number);
  set_strings(L, "warnings", d.warnings);
}

int l_decomposition(lua_State* L) {
  return protect(L, [&] {
    const TableReader args(L, 1, "ntk.analysis.decomposition", decomposition_keys(false));
    analysis::Decomposition d =
        analysis::interpolation_decomposition(decomposition_inputs(args, "decomposition"));
    lua_createtable(L, 0, 6);
    set_decomposition(L, std::move(d));
    return 1;
  });
}

int l_lower_bound(lua_State* L) {
  const char* fn = "lower_bound";
  return protect(L, [&] {
    const TableReader args(L, 1, "ntk.analysis.lower_bound", decomposition_keys(true));
    const analysis::DecompositionInputs in = decomposition_inputs(args, fn);
    arma::mat y_test;
    if (args.push("y_test") != LUA_TNIL)
      y_test = targets(L, -1, in.K_test_train.n_rows, fn, "y_test");
    lua_pop(L, 1);
    const double sigma = args.number("sigma", 0.0, Range::non_negative());
    const auto layers = args.integer("layers", 0, Range::between(0, 1e6));
    analysis::LowerBound b = analysis::lower_bound(in, y_test, sigma, static_cast<unsigned>(layers));
    lua_createtable(L, 0, 11);
    set_number(L, "J_sigma", b.J_sigma);
    set_number(L, "J", b.J);
    set_number(L, "sqrt_loss_interpolation", b.sqrt_loss_interpolation);
    set_number(L, "sqrt_loss_linearized", b.sqrt_loss_linearized);
    set_number(L, "bound", b.bound);
    set_decomposition(L, std::move(b.decomposition));
    return 1;
  });
}

int l_class_ratios(lua_State* L) {
  return protect(L, [&] {
    const arma::mat& K = matrix_arg(L, 1, "class_ratios");
    const analysis::ClassRatios r =
        analysis::class_ratios(K, labels(L, 2, "class_ratios", "labels"));
    lua_createtable(L, 0, 6);
    set_number(L, "diagonal", r.diagonal);
    set_number(L, "same_class", r.same_class);
    set_number(L, "different_class", r.different_class);
    set_number(L, "same_over_diagonal", r.same_over_diagonal);
    set_number(L, "different_over_diagonal", r.different_over_diagonal);
    set_number(L, "same_over_different", r.same_over_different);
    return 1;
  });
}

int l_alignment(lua_State* L) {
  return protect(L, [&] {
    const arma::mat& K = matrix_arg(L, 1, "alignment");
    lua_pushnumber(L, analysis::alignment(K, targets(L, 2, K.n_rows, "alignment", "Y")));
    return 1;
  });
}

int l_kernel_distance(lua_State* L) {
  return protect(L, [&] {
    lua_pushnumber(L, analysis::kernel_distance(matrix_arg(L, 1, "kernel_distance"),
                                                matrix_arg(L, 2, "kernel_distance")));
    return 1;
  });
}

int l_relative_distance(lua_State* L) {
  return protect(L, [&] {
    lua_pushnumber(L, analysis::relative_distance(matrix_arg(L, 1, "relative_distance"),
                                                  matrix_arg(L, 2, "relative_distance")));
    return 1;
  });
}

const luaL_Reg kAnalysisFunctions[] = {{"spectrum", l_spectrum},
                                       {"bound", l_bound},
                                       {"decomposition", l_decomposition},
                                       {"lower_bound", l_lower_bound},
                                       {"class_ratios", l_class_ratios},
                                       {"alignment", l_alignment},
                                       {"kernel_distance", l_kernel_distance},
                                       {"relative_distance", l_relative_distance},
                                       {nullptr, nullptr}};

}  // namespace

void open_analysis(lua_State* L, Context&) {
  push_subtable(L, "analysis");  // open_spherical adds to it too, before or after
  luaL_setfuncs(L, kAnalysisFunctions, 0);
  lua_pop(L, 1);
}

}  // namespace ntk::lua
