// ntk.fmatrix: float32 matrices in Lua, for kernels of whole data sets (issue 14).
//
// A 60,000 × 60,000 kernel is 14.4 GB in float32 and 28.8 GB in float64: it must exist once,
// as float32, and never be copied to float64 behind the user's back. An fmatrix is made by
// A:kernel(x1, x2, "ntk", {precision = "float32"}), by ntk.fmatrix(M) from an ntk.matrix, or
// by ntk.fmatrix(r, c [, v]). Products with float64 matrices accumulate in float64, a block of
// columns at a time, so F * M is as accurate as the float32 entries allow; conversions to
// ntk.matrix are explicit (F:to_matrix()) and checked against the memory limit.
#pragma once

#include <lua.hpp>

#include <armadillo>
#include <memory>

namespace ntk::lua {

inline constexpr const char* kFmatrixMeta = "ntk.fmatrix";

// Pushes a new fmatrix userdata owning `m` (moved: no copy).
void push_fmatrix(lua_State* L, arma::fmat&& m);
// Pushes an fmatrix over memory owned elsewhere (a memory-mapped kernel file): `m` must use
// that memory (arma::fmat(ptr, rows, cols, false, true)), and `keep_alive` keeps it valid as
// long as the Lua value lives.
void push_fmatrix_view(lua_State* L, arma::fmat&& m, std::shared_ptr<void> keep_alive);
// The fmatrix at `index`, or nullptr.
arma::fmat* test_fmatrix(lua_State* L, int index);
// The fmatrix at `index`; throws ntk::Error "bad argument #i to 'function' (ntk.fmatrix
// expected, got T)" (call inside protect).
arma::fmat& check_fmatrix(lua_State* L, int index, const char* function);

// The arithmetic metamethod for an operation with an fmatrix operand (op: + - * /); ntk.matrix's
// operators call it when the other operand is an fmatrix.
int fmatrix_arithmetic(lua_State* L, char op);

// F * M for F (m × n, float32) and M (n × k, float64), accumulated in float64 a block of F's
// columns at a time (working memory m × block doubles); and M * F likewise.
arma::mat times(const arma::fmat& f, const arma::mat& m);
arma::mat times(const arma::mat& m, const arma::fmat& f);

}  // namespace ntk::lua
