// Argument helpers for binding files that THROW ntk::Error instead of raising Lua errors.
//
// Use them inside `protect` (module.hpp): the exception unwinds the C++ frames first, then
// protect raises the Lua error at the caller's line. Messages follow Lua's own wording,
// e.g. "bad argument #2 to 'get' (integer expected, got string)".
#pragma once

#include <lua.hpp>

#include <armadillo>
#include <string>

namespace ntk::lua {

// Metatable name of ntk.matrix userdata (an arma::mat placed in the userdata block).
inline constexpr const char* kMatrixMeta = "ntk.matrix";

// The matrix at `index` or nullptr (no error).
arma::mat* test_matrix(lua_State* L, int index);
// Sets __gc (destroys the arma::mat) in the metatable on top of the stack.
void set_matrix_gc(lua_State* L);

// Throws "bad argument #i to 'function' (EXPECTED expected, got TYPE)", numbering arguments
// as Lua does (the receiver of a method call is not counted).
[[noreturn]] void argument_error(lua_State* L, int index, const char* function,
                                 const char* expected);

// The matrix at `index`; throws "bad argument #i to 'function' (ntk.matrix expected, got T)".
arma::mat& matrix_arg(lua_State* L, int index, const char* function);
double number_arg(lua_State* L, int index, const char* function);
// A number with an exact integer value.
long long integer_arg(lua_State* L, int index, const char* function);
std::string string_arg(lua_State* L, int index, const char* function);
// A string argument, or `fallback` when the argument is absent or nil.
std::string opt_string_arg(lua_State* L, int index, const char* function,
                           const std::string& fallback);
// Throws unless the value at `index` is a table.
void table_arg(lua_State* L, int index, const char* function);

// "2 x 3": how shapes are written in messages.
std::string shape_text(const arma::mat& m);

// Registration helpers for module openers (they raise no errors).

// With the ntk module table on top of the stack, pushes its sub-table ntk.data, creating it
// when no opener has yet (each loader's opener adds its functions there); the caller pops it.
void push_data_table(lua_State* L);

// Creates the metatable `name` of a userdata type with __gc, __tostring, __len (when `len`
// is given) and __index = a table of `methods` ({nullptr, nullptr}-terminated); leaves the
// stack as it was.
void register_userdata_type(lua_State* L, const char* name, lua_CFunction gc,
                            lua_CFunction tostring, const luaL_Reg* methods,
                            lua_CFunction len = nullptr);

}  // namespace ntk::lua
