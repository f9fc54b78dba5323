// Shared binding helpers: the state's Context and the ntk.matrix userdata.
//
// Two error styles, chosen by whether C++ objects may be alive when the error is raised
// (Debian's Lua is C, so lua_error is a longjmp that skips C++ destructors):
//   * check_matrix raises a Lua error directly: call it before creating C++ objects with
//     destructors (it is an argument check);
//   * to_matrix throws ntk::Error: call it inside `protect`, which converts after unwinding.
#include "lua/module.hpp"

#include <new>
#include <string>

#include "lua/args.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::lua {

Context& context(lua_State* L) {
  // new_state() stores the Context pointer in the state's extra space (copied to coroutines).
  Context* ctx = *static_cast<Context**>(lua_getextraspace(L));
  if (ctx == nullptr) luaL_error(L, "ntk: this Lua state was not made by ntk::lua::new_state");
  return *ctx;
}

// --- ntk.matrix userdata -------------------------------------------------------------------

static int matrix_gc(lua_State* L) {
  auto* m = static_cast<arma::mat*>(luaL_checkudata(L, 1, kMatrixMeta));
  m->~Mat();
  // A finaliser may run on a resurrected object; leave a valid empty matrix behind
  // (an empty arma::mat owns no heap memory, so never destroying it leaks nothing).
  new (m) arma::mat();
  return 0;
}

void push_matrix(lua_State* L, arma::mat m) {
  void* block = lua_newuserdatauv(L, sizeof(arma::mat), 0);
  new (block) arma::mat(std::move(m));
  if (luaL_newmetatable(L, kMatrixMeta)) {
    // Normally created by open_matrix with all its methods; this keeps push_matrix safe
    // in a state where the module was not opened.
    lua_pushcfunction(L, matrix_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
}

void set_matrix_gc(lua_State* L) {
  lua_pushcfunction(L, matrix_gc);
  lua_setfield(L, -2, "__gc");
}

bool is_matrix(lua_State* L, int index) {
  return luaL_testudata(L, index, kMatrixMeta) != nullptr;
}

arma::mat& check_matrix(lua_State* L, int index) {
  return *static_cast<arma::mat*>(luaL_checkudata(L, index, kMatrixMeta));
}

arma::mat* test_matrix(lua_State* L, int index) {
  return static_cast<arma::mat*>(luaL_testudata(L, index, kMatrixMeta));
}

// Reads the number at the top of the stack (no metamethods); throws naming where it sits.
static double cell_number(lua_State* L, const char* where_text, lua_Integer row, lua_Integer col) {
  int is_number = 0;
  const double v = lua_tonumberx(L, -1, &is_number);
  if (!is_number || lua_type(L, -1) != LUA_TNUMBER) {
    if (col > 0)
      throw_error(where_text, ": row ", row, ", column ", col, " is a ", luaL_typename(L, -1),
                  ", a number is expected");
    throw_error(where_text, ": entry ", row, " is a ", luaL_typename(L, -1),
                ", a number or a row table is expected");
  }
  return v;
}

arma::mat to_matrix(lua_State* L, int index) {
  index = lua_absindex(L, index);
  if (arma::mat* m = test_matrix(L, index)) return *m;
  if (!lua_istable(L, index))
    throw_error("ntk.matrix expected (or a table of rows), got ", luaL_typename(L, index));
  const char* where_text = "table to matrix";
  const lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, index));
  if (n == 0) return arma::mat();
  lua_rawgeti(L, index, 1);
  const bool rows_of_tables = lua_istable(L, -1);
  lua_pop(L, 1);
  if (!rows_of_tables) {  // a plain list of numbers is a column vector
    arma::mat column(static_cast<arma::uword>(n), 1);
    for (lua_Integer i = 1; i <= n; ++i) {
      lua_rawgeti(L, index, i);
      column(static_cast<arma::uword>(i - 1), 0) = cell_number(L, where_text, i, 0);
      lua_pop(L, 1);
    }
    return column;
  }
  lua_rawgeti(L, index, 1);
  const lua_Integer cols = static_cast<lua_Integer>(lua_rawlen(L, -1));
  lua_pop(L, 1);
  arma::mat out(static_cast<arma::uword>(n), static_cast<arma::uword>(cols));
  for (lua_Integer i = 1; i <= n; ++i) {
    lua_rawgeti(L, index, i);
    if (!lua_istable(L, -1))
      throw_error(where_text, ": row ", i, " is a ", luaL_typename(L, -1), ", a table is expected");
    const lua_Integer len = static_cast<lua_Integer>(lua_rawlen(L, -1));
    if (len != cols)
      throw_error(where_text, ": row ", i, " has ", len, " entries but row 1 has ", cols,
                  " (rows must have equal length)");
    for (lua_Integer j = 1; j <= cols; ++j) {
      lua_rawgeti(L, -1, j);
      out(static_cast<arma::uword>(i - 1), static_cast<arma::uword>(j - 1)) =
          cell_number(L, where_text, i, j);
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  return out;
}

}  // namespace ntk::lua
