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

// "bad argument #2 to 'function'" (numbered as argument_error numbers), for messages about an
// argument's content.
std::string argument_name(lua_State* L, int index, const char* function);

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

// Pushes `v` as a Lua integer when it is a whole number (labels, classes, counts read back from
// a double), else as a float: math.type(v) == "integer" for a class id 3.
void push_integer_if_whole(lua_State* L, double v);

// "2 x 3": how shapes are written in messages.
std::string shape_text(const arma::mat& m);

// Registration helpers for module openers (they raise no errors).

// Openers run in any order (modules.cpp): each one gets or creates what it adds to.

// With a table on top of the stack (the ntk module table), pushes its sub-table `name`,
// creating it when no opener has yet; the caller pops it. E.g. ntk.data, ntk.analysis.
void push_subtable(lua_State* L, const char* name);
inline void push_data_table(lua_State* L) { push_subtable(L, "data"); }

// Pushes the method table (__index) of the metatable `meta`, creating both when absent; the
// caller pops it. Methods added by different openers (A:kernel, A:kernel_family) all stay.
void push_methods_table(lua_State* L, const char* meta);

// Gets or creates the metatable `name` of a userdata type and sets __gc, __tostring, __len
// (when `len` is given) and adds `methods` ({nullptr, nullptr}-terminated) to its __index
// table; leaves the stack as it was.
void register_userdata_type(lua_State* L, const char* name, lua_CFunction gc,
                            lua_CFunction tostring, const luaL_Reg* methods,
                            lua_CFunction len = nullptr);

}  // namespace ntk::lua
