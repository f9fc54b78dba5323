// Lua module ntk.solve: kernel solvers (numerics in host/src/core/solve; this file only reads
// arguments and pushes results). Matrices are ntk.matrix; examples are columns; Y is k × n
// (a vector of n values is taken as 1 × n); indices in Lua are 1-based.
//
//   ntk.solve.ridge(K, Y, lambda [, {warn_condition = 1e12, estimate_condition = true}])
//       -> {alpha = n × k, method = "cholesky" | "eigen_pseudo_inverse", condition_number,
//           discarded, warnings = {...}}: alpha = (K + λI)⁻¹Yᵀ by Cholesky; on failure the
//          eigen pseudo-inverse, with a warning (printed on stderr as "ntklab warning: ...")
//          that states the condition number. K is not modified: an exactly symmetric K is
//          used as the factorisation's workspace and restored (no second n × n copy); any
//          other K is copied first.
//   ntk.solve.interpolate(K, Y [, options]) -> the same with λ = 0 (minimum-norm interpolation)
//   ntk.solve.ridge(F, Y, lambda [, {tolerance = 1e-10, max_steps = 20, max_condition = 3e8,
//       max_residual = 1e-6, keep_kernel = true}]) with an ntk.fmatrix F (float32, issue 14)
//       -> the same fields (method = "cholesky_float32_refined", discarded = 0) plus residual
//          (‖(F + λI)alpha − Yᵀ‖/‖Y‖ in float64), refinement_steps, residual_history,
//          kernel_restored and seconds = {check, factorisation, condition, refinement, restore}:
//          spotrf in F's own memory, iterative refinement to float64 accuracy; F is restored
//          bit for bit (keep_kernel = false leaves the factor in it). Refused with an error: a
//          non-finite entry (named), a failed factorisation (column, pivot, a ridge to use),
//          a condition estimate above max_condition (see core/solve/ridge_float32.hpp).
//          ntk.solve.interpolate(F, Y [, options]) likewise with λ = 0.
//   ntk.solve.ridge / interpolate / predict / spectral on an ntk.dmatrix (a kernel distributed
//       over the ranks of mpirun): ScaLAPACK's p?potrf / p?potrs / p?syevd (solve_distributed.cpp)
//   ntk.solve.predict(K_test_train, alpha | result) -> k × m predictions (K_test_train·alpha)ᵀ;
//       K_test_train may be an ntk.fmatrix (summed in float64, no float64 copy of it)
//   ntk.solve.spectral(K, Y [, {u0 =, K_test =, f0_test =}]) -> spectral solver object
//       (methods in solve_spectral.cpp: ridge, train_predictions, test_predictions, loss,
//        loss_curve, residual_norm2, eigenvalues, warnings)
//   ntk.solve.svm{K =, labels =, C = 1, tolerance = 1e-3, cache_mb = 100, shrinking = true}
//       -> C-SVM model (solve_svm.cpp: predict, decision_values, classes, support_indices)
//   ntk.solve.svm_grid{K = | {K...}, labels =, splits =, C = {...}, threads =}
//       -> {accuracy = splits × C (per kernel), fits, fits_saved, seconds} (solve_svm_grid.cpp)
//   ntk.solve.ensemble{K_train =, K_test_train =, Y =, t =, kernel =, ...} -> {t, mean, covariance}
//   ntk.solve.kfold(n, k, seed [, labels]) -> {{train = {...}, test = {...}}, ...} (labels
//       given: stratified by class)
//   ntk.solve.folds(test_folds, n) -> splits from explicit disjoint test folds
//       ({{1, 5, 9}, {2, 3}, ...}); the train set of fold j is every other index in 1..n
//   ntk.solve.cross_validate{fit = function(split) return score end, n =, k =, seed =,
//       labels = (stratify) | folds = test_folds | splits = {{train =, test =}, ...}}
//       -> {scores = {...}, mean =, std =} (std: sample standard deviation)
//   ntk.solve.select(M, rows, cols) -> M(rows, cols); rows / cols are 1-based index lists or
//       nil for all (e.g. K_train = select(K, split.train, split.train))
#include <lua.hpp>

#include <string>
#include <vector>

#include "core/solve/cross_validation.hpp"
#include "core/solve/kernel_ridge.hpp"
#include "core/solve/ridge_float32.hpp"
#include "lua/args.hpp"
#include "lua/dmatrix.hpp"
#include "lua/fmatrix.hpp"
#include "lua/module.hpp"
#include "lua/table_reader.hpp"
#include "lua/solve_args.hpp"
#include "lua/solve_models.hpp"
#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::lua {
int l_ensemble(lua_State* L);  // ntk.solve.ensemble, solve_ensemble.cpp
namespace {

namespace solve = core::solve;
using namespace solve_args;

void push_ridge_solution(lua_State* L, solve::RidgeSolution s) {
  lua_createtable(L, 0, 5);
  set_matrix(L, "alpha", std::move(s.alpha));
  set_string(L, "method", s.method);
  set_number(L, "condition_number", s.condition_number);
  lua_pushinteger(L, static_cast<lua_Integer>(s.discarded));
  lua_setfield(L, -2, "discarded");
  set_strings(L, "warnings", s.warnings);
}

void push_float32_solution(lua_State* L, solve::Float32RidgeSolution s) {
  lua_createtable(L, 0, 11);
  set_matrix(L, "alpha", std::move(s.alpha));
  set_string(L, "method", s.method);
  set_number(L, "condition_number", s.condition_number);
  lua_pushinteger(L, 0);
  lua_setfield(L, -2, "discarded");
  set_strings(L, "warnings", s.warnings);
  set_number(L, "residual", s.residual);
  lua_pushinteger(L, s.refinement_steps);
  lua_setfield(L, -2, "refinement_steps");
  set_numbers(L, "residual_history", s.residual_history);
  lua_pushboolean(L, s.kernel_restored);
  lua_setfield(L, -2, "kernel_restored");
  lua_createtable(L, 0, 5);
  set_number(L, "check", s.seconds.check);
  set_number(L, "factorisation", s.seconds.factorisation);
  set_number(L, "condition", s.seconds.condition);
  set_number(L, "refinement", s.seconds.refinement);
  set_number(L, "restore", s.seconds.restore);
  lua_setfield(L, -2, "seconds");
}

// ridge / interpolate on an ntk.fmatrix: the float32 solver, in the fmatrix's own memory.
void ridge_float32(lua_State* L, const char* fn, bool has_ridge, arma::fmat& K) {
  const arma::mat Y = targets(L, 2, K.n_rows, fn, "Y");
  const double ridge = has_ridge ? number_arg(L, 3, fn) : 0.0;
  const int options_index = has_ridge ? 4 : 3;
  solve::Float32RidgeOptions options;
  if (!lua_isnoneornil(L, options_index)) {
    const TableReader args(L, options_index, std::string("ntk.solve.") + fn + " (float32 kernel)",
                           {"tolerance", "max_steps", "max_condition", "max_residual",
                            "keep_kernel"});
    read_refinement_options(args, options);
    options.max_condition = args.number("max_condition", options.max_condition, Range::positive());
  }
  // An fmatrix over memory it does not own (a mapped kernel file) may be read-only or shared:
  // the factorisation works on an owned copy then, if one fits.
  if (K.mem_state != 0) {
    sdk::check_allocation(std::string("ntk.solve.") + fn +
                              "(): the owned copy of a float32 kernel view (a mapped file)",
                          double(K.n_rows), double(K.n_cols), sizeof(float));
    arma::fmat copy = K;
    push_float32_solution(L, solve::kernel_ridge_float32(copy, Y, ridge, options));
    return;
  }
  push_float32_solution(L, solve::kernel_ridge_float32(K, Y, ridge, options));
}

int ridge_common(lua_State* L, const char* fn, bool has_ridge) {
  return protect(L, [&] {
    if (arma::fmat* F = test_fmatrix(L, 1)) {
      ridge_float32(L, fn, has_ridge, *F);
      return 1;
    }
    if (test_dmatrix(L, 1)) return distributed_ridge(L, fn, has_ridge);  // solve_distributed.cpp
    arma::mat* K = test_matrix(L, 1);
    if (!K) argument_error(L, 1, fn, "ntk.matrix, ntk.fmatrix or ntk.dmatrix");
    const arma::mat Y = targets(L, 2, K->n_rows, fn, "Y");
    const double ridge = has_ridge ? number_arg(L, 3, fn) : 0.0;
    const int options_index = has_ridge ? 4 : 3;
    solve::RidgeOptions options;
    if (!lua_isnoneornil(L, options_index)) {
      const TableReader args(L, options_index, std::string("ntk.solve.") + fn,
                             {"warn_condition", "estimate_condition"});
      options.warn_condition =
          args.number("warn_condition", options.warn_condition, Range::positive());
      options.estimate_condition = args.boolean("estimate_condition", options.estimate_condition);
    }
    // In place only when restoring K from its upper triangle gives it back bit for bit.
    solve::RidgeSolution s = K->is_square() && K->is_symmetric()
                                 ? solve::kernel_ridge_in_place(*K, Y, ridge, options)
                                 : solve::kernel_ridge(*K, Y, ridge, options);
    push_ridge_solution(L, std::move(s));
    return 1;
  });
}

int l_ridge(lua_State* L) { return ridge_common(L, "ridge", true); }
int l_interpolate(lua_State* L) { return ridge_common(L, "interpolate", false); }

int l_predict(lua_State* L) {
  return protect(L, [&] {
    if (test_dmatrix(L, 1)) return distributed_predict(L);  // solve_distributed.cpp
    const arma::fmat* K_test32 = test_fmatrix(L, 1);
    const arma::mat* K_test = K_test32 ? nullptr : &matrix_arg(L, 1, "predict");
    arma::mat* alpha = test_matrix(L, 2);
    if (!alpha && lua_istable(L, 2)) {
      lua_getfield(L, 2, "alpha");
      alpha = test_matrix(L, -1);
      lua_pop(L, 1);  // the result table keeps it alive
    }
    if (!alpha) argument_error(L, 2, "predict", "ntk.matrix alpha or a ridge result");
    push_matrix(L, K_test32 ? solve::predict_float32(*K_test32, *alpha)
                            : solve::predict(*K_test, *alpha));
    return 1;
  });
}

void push_splits(lua_State* L, const std::vector<solve::Split>& splits) {
  lua_createtable(L, static_cast<int>(splits.size()), 0);
  for (std::size_t j = 0; j < splits.size(); ++j) {
    lua_createtable(L, 0, 2);
    push_index_list(L, splits[j].train);
    lua_setfield(L, -2, "train");
    push_index_list(L, splits[j].test);
    lua_setfield(L, -2, "test");
    lua_rawseti(L, -2, static_cast<lua_Integer>(j + 1));
  }
}

arma::uword count_arg(lua_State* L, int index, const char* fn) {
  const long long v = integer_arg(L, index, fn);
  if (v < 0) throw_error(fn, "(): argument #", index, " must be >= 0, got ", v);
  return static_cast<arma::uword>(v);
}

std::vector<solve::Split> seeded_splits(lua_State* L, arma::uword n, arma::uword k,
                                        std::uint64_t seed, int labels_index, const char* fn) {
  if (lua_isnoneornil(L, labels_index)) return solve::kfold(n, k, seed);
  const arma::vec y = labels(L, labels_index, fn, "labels");
  if (y.n_elem != n) throw_error(fn, "(): ", y.n_elem, " labels for n = ", n);
  return solve::stratified_kfold(y, k, seed);
}

int l_kfold(lua_State* L) {
  return protect(L, [&] {
    const arma::uword n = count_arg(L, 1, "kfold"), k = count_arg(L, 2, "kfold");
    const auto seed = static_cast<std::uint64_t>(integer_arg(L, 3, "kfold"));
    push_splits(L, seeded_splits(L, n, k, seed, 4, "kfold"));
    return 1;
  });
}

std::vector<arma::uvec> test_fold_lists(lua_State* L, int index, arma::uword n, const char* fn) {
  if (!lua_istable(L, index)) throw_error(fn, "(): test folds must be a list of index lists");
  std::vector<arma::uvec> folds;
  const lua_Integer count = luaL_len(L, index);
  for (lua_Integer j = 1; j <= count; ++j) {
    lua_rawgeti(L, index, j);
    const std::string what = "fold " + std::to_string(j);
    try {
      folds.push_back(index_list(L, -1, n, fn, what.c_str()));
    } catch (...) {
      lua_pop(L, 1);
      throw;
    }
    lua_pop(L, 1);
  }
  return folds;
}

int l_folds(lua_State* L) {
  return protect(L, [&] {
    const arma::uword n = count_arg(L, 2, "folds");
    push_splits(L, solve::splits_from_test_folds(test_fold_lists(L, 1, n, "folds"), n));
    return 1;
  });
}

std::vector<solve::Split> explicit_splits(lua_State* L, int index, arma::uword n, const char* fn) {
  std::vector<solve::Split> splits;
  const lua_Integer count = luaL_len(L, index);
  for (lua_Integer j = 1; j <= count; ++j) {
    lua_rawgeti(L, index, j);
    const int s = lua_gettop(L);
    if (!lua_istable(L, s)) throw_error(fn, "(): splits[", j, "] must be {train =, test =}");
    solve::Split split;
    lua_getfield(L, s, "train");
    split.train = index_list(L, -1, n, fn, "split train");
    lua_getfield(L, s, "test");
    split.test = index_list(L, -1, n, fn, "split test");
    lua_settop(L, s - 1);
    splits.push_back(std::move(split));
  }
  solve::check_splits(splits, n);
  return splits;
}

int l_cross_validate(lua_State* L) {
  const char* fn = "cross_validate";
  return protect(L, [&] {
    const TableReader args(L, 1, "ntk.solve.cross_validate",
                           {"fit", "n", "k", "seed", "labels", "folds", "splits"});
    if (args.push("fit") != LUA_TFUNCTION)
      args.fail("fit", "must be a function(split) returning a score");
    const int fit = lua_gettop(L);
    const auto n = static_cast<arma::uword>(args.required_integer("n", Range::at_least(1)));
    std::vector<solve::Split> splits;
    if (lua_getfield(L, 1, "splits") != LUA_TNIL) {
      splits = explicit_splits(L, lua_gettop(L), n, fn);
    } else if (lua_getfield(L, 1, "folds") != LUA_TNIL) {
      splits = solve::splits_from_test_folds(test_fold_lists(L, lua_gettop(L), n, fn), n);
    } else {
      const auto k = static_cast<arma::uword>(args.integer("k", 5, Range::at_least(2)));
      const auto seed = static_cast<std::uint64_t>(args.integer("seed", 0, Range::non_negative()));
      lua_getfield(L, 1, "labels");
      splits = seeded_splits(L, n, k, seed, lua_gettop(L), fn);
    }
    const solve::CrossValidation cv = solve::cross_validate(splits, [&](const solve::Split& s) {
      lua_pushvalue(L, fit);
      lua_createtable(L, 0, 2);
      push_index_list(L, s.train);
      lua_setfield(L, -2, "train");
      push_index_list(L, s.test);
      lua_setfield(L, -2, "test");
      if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
        const std::string message = lua_tostring(L, -1) ? lua_tostring(L, -1) : "(error object)";
        lua_pop(L, 1);
        throw_error(fn, "(): fit failed: ", message);
      }
      if (lua_type(L, -1) != LUA_TNUMBER) {
        lua_pop(L, 1);
        throw_error(fn, "(): fit must return a number (the split's score)");
      }
      const double score = lua_tonumber(L, -1);
      lua_pop(L, 1);
      return score;
    });
    lua_createtable(L, 0, 3);
    lua_createtable(L, static_cast<int>(cv.scores.n_elem), 0);
    for (arma::uword j = 0; j < cv.scores.n_elem; ++j) {
      lua_pushnumber(L, cv.scores[j]);
      lua_rawseti(L, -2, static_cast<lua_Integer>(j + 1));
    }
    lua_setfield(L, -2, "scores");
    set_number(L, "mean", cv.mean);
    set_number(L, "std", cv.stddev);
    return 1;
  });
}

int l_select(lua_State* L) {
  return protect(L, [&] {
    const arma::mat& M = matrix_arg(L, 1, "select");
    if (M.is_empty()) throw_error("select(): the matrix is empty");
    const arma::uvec rows = lua_isnoneornil(L, 2) ? arma::regspace<arma::uvec>(0, M.n_rows - 1)
                                                  : index_list(L, 2, M.n_rows, "select", "rows");
    const arma::uvec cols = lua_isnoneornil(L, 3) ? arma::regspace<arma::uvec>(0, M.n_cols - 1)
                                                  : index_list(L, 3, M.n_cols, "select", "cols");
    push_matrix(L, M.submat(rows, cols));
    return 1;
  });
}

const luaL_Reg kSolveFunctions[] = {
    {"ridge", l_ridge},   {"interpolate", l_interpolate},       {"predict", l_predict},
    {"kfold", l_kfold},   {"folds", l_folds},                   {"cross_validate", l_cross_validate},
    {"select", l_select}, {"spectral", l_spectral},             {"svm", l_svm},
    {"svm_grid", l_svm_grid},
    {"ensemble", l_ensemble},  // solve_ensemble.cpp
    {nullptr, nullptr}};

}  // namespace

void open_solve(lua_State* L, Context&) {
  register_solve_models(L);
  push_subtable(L, "solve");
  luaL_setfuncs(L, kSolveFunctions, 0);
  lua_pop(L, 1);
}

}  // namespace ntk::lua
