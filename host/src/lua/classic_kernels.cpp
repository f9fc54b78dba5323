// Lua module ntk.kernels: classic kernels for baselines (core/solve/classic_kernels.hpp).
//
//   ntk.kernels.squared_distances(X1 [, X2]) -> n1 × n2 matrix of ‖x_i − x'_j‖² (X2 omitted or
//                                               the same matrix: one triangle, zero diagonal)
//   ntk.kernels.gaussian(D2, gamma)          -> exp(−gamma·D2), entry-wise
//   ntk.kernels.polynomial(X1 [, X2], {degree =, gamma = 1, coef0 = 0})
//                                            -> (gamma·⟨x_i, x'_j⟩ + coef0)^degree
// X are d × n ntk.matrix values (columns are examples).
#include <lua.hpp>

#include "core/solve/classic_kernels.hpp"
#include "lua/args.hpp"
#include "lua/module.hpp"
#include "lua/table_reader.hpp"
#include "lua/solve_args.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::lua {
namespace {

namespace solve = core::solve;

int l_squared_distances(lua_State* L) {
  return protect(L, [&] {
    const arma::mat& a = matrix_arg(L, 1, "squared_distances");
    const bool same = lua_isnoneornil(L, 2) || lua_rawequal(L, 1, 2);
    const arma::mat& b = same ? a : matrix_arg(L, 2, "squared_distances");
    push_matrix(L, solve::squared_distances(a, b));
    return 1;
  });
}

int l_gaussian(lua_State* L) {
  return protect(L, [&] {
    const arma::mat& d2 = matrix_arg(L, 1, "gaussian");
    push_matrix(L, solve::gaussian_kernel(d2, number_arg(L, 2, "gaussian")));
    return 1;
  });
}

int l_polynomial(lua_State* L) {
  const char* fn = "polynomial";
  return protect(L, [&] {
    const arma::mat& a = matrix_arg(L, 1, fn);
    int options = 2;
    const arma::mat* b = &a;
    if (test_matrix(L, 2) != nullptr) {
      if (!lua_rawequal(L, 1, 2)) b = &matrix_arg(L, 2, fn);
      options = 3;
    }
    const TableReader args(L, options, "ntk.kernels.polynomial", {"degree", "gamma", "coef0"});
    const auto degree = args.required_integer("degree", Range::between(1, 1000));
    const double gamma = args.number("gamma", 1.0);
    const double coef0 = args.number("coef0", 0.0);
    push_matrix(L, solve::polynomial_kernel(a, *b, int(degree), gamma, coef0));
    return 1;
  });
}

const luaL_Reg kFunctions[] = {{"squared_distances", l_squared_distances},
                               {"gaussian", l_gaussian},
                               {"polynomial", l_polynomial},
                               {nullptr, nullptr}};

}  // namespace

void open_classic_kernels(lua_State* L, Context&) {
  push_subtable(L, "kernels");
  luaL_setfuncs(L, kFunctions, 0);
  lua_pop(L, 1);
}

}  // namespace ntk::lua
