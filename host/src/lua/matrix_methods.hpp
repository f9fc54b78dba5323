// Internal to the ntk.matrix binding (matrix.cpp opens the type; matrix_math.cpp and
// matrix_shape.cpp add their methods): shared argument checks and the registration hooks.
#pragma once

#include <lua.hpp>

#include <armadillo>

namespace ntk::lua::matrix_detail {

// 0-based index of the 1-based Lua index `i` in [1, size]; throws naming the function, what is
// indexed ("row", "column") and the shape of `m`.
arma::uword index_in(long long i, arma::uword size, const char* function, const char* what,
                     const arma::mat& m);

// The first NaN entry of `m` as a throw naming the function and the 1-based (row, column);
// does nothing when there is none.
void reject_nan(const arma::mat& m, const char* function);

// With the method table (the metatable's __index) on top of the stack, add the methods of
// matrix_math.cpp / matrix_shape.cpp.
void add_math_methods(lua_State* L);
void add_shape_methods(lua_State* L);
// With the ntk.matrix constructor table on top, add ntk.matrix.diag, join_cols, join_rows.
void add_shape_functions(lua_State* L);

}  // namespace ntk::lua::matrix_detail
