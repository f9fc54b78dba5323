// ntk.dmatrix: a kernel spread over the ranks of `mpirun` (issue 16, core/distributed). Each
// rank's value holds only that rank's blocks; every method that involves other ranks is
// collective (every rank calls it).
#pragma once

#include <lua.hpp>

#include <memory>

#include "core/distributed/distributed_matrix.hpp"

namespace ntk::lua {

inline constexpr const char* kDmatrixMeta = "ntk.dmatrix";

void push_dmatrix(lua_State* L, core::distributed::DistributedMatrix&& m);
// The distributed matrix at `index`, or nullptr.
core::distributed::DistributedMatrix* test_dmatrix(lua_State* L, int index);
core::distributed::DistributedMatrix& check_dmatrix(lua_State* L, int index, const char* function);
// The same, shared (an object that keeps the matrix, e.g. a solver's K_test, without a copy).
std::shared_ptr<core::distributed::DistributedMatrix> shared_dmatrix(lua_State* L, int index,
                                                                     const char* function);

// ntk.solve.ridge / interpolate / predict / spectral on a distributed kernel (solve_distributed.cpp).
int distributed_ridge(lua_State* L, const char* fn, bool has_ridge);
int distributed_predict(lua_State* L);
int distributed_spectral(lua_State* L);

}  // namespace ntk::lua
