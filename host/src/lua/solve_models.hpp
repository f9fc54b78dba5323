// The two object types of ntk.solve: the spectral solver ("ntk.spectral", solve_spectral.cpp)
// and the precomputed-kernel SVM ("ntk.svm", solve_svm.cpp).
#pragma once

#include <lua.hpp>

namespace ntk::lua {

// ntk.solve.spectral(K, Y [, {u0 =, K_test =, f0_test =}])
int l_spectral(lua_State* L);
// ntk.solve.svm{K =, labels =, C =, tolerance =, cache_mb =, shrinking =}
int l_svm(lua_State* L);
// ntk.solve.svm_grid{K =, labels =, splits =, C =, ...} (solve_svm_grid.cpp)
int l_svm_grid(lua_State* L);
// Creates both metatables (called once by open_solve).
void register_solve_models(lua_State* L);
void register_spectral(lua_State* L);
void register_svm(lua_State* L);

}  // namespace ntk::lua
