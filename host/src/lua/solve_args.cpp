#include "lua/solve_args.hpp"

#include <cmath>

#include "lua/args.hpp"
#include "lua/module.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::lua::solve_args {

const arma::mat& matrix_ref(lua_State* L, int index, const char* fn, const char* what,
                            arma::mat& storage) {
  if (arma::mat* m = test_matrix(L, index)) return *m;
  if (!lua_istable(L, index))
    throw_error(fn, "(): ", what, " must be an ntk.matrix or a table of rows, got ",
                luaL_typename(L, index));
  storage = to_matrix(L, index);
  return storage;
}

arma::mat targets(lua_State* L, int index, arma::uword n, const char* fn, const char* what) {
  arma::mat storage;
  const arma::mat& m = matrix_ref(L, index, fn, what, storage);
  if (m.n_cols == n) return m;
  if (m.n_cols == 1 && m.n_rows == n) return m.t();
  throw_error(fn, "(): ", what, " is ", shape_text(m), "; expected k x ", n,
              " (one column per training example) or a vector of ", n, " values");
}

arma::vec values(lua_State* L, int index, const char* fn, const char* what) {
  arma::mat storage;
  const arma::mat& m = matrix_ref(L, index, fn, what, storage);
  if (m.n_rows != 1 && m.n_cols != 1)
    throw_error(fn, "(): ", what, " is ", shape_text(m), "; expected a vector (one row or column)");
  return arma::vectorise(m);
}

arma::vec labels(lua_State* L, int index, const char* fn, const char* what) {
  arma::mat storage;
  const arma::mat& m = matrix_ref(L, index, fn, what, storage);
  if (m.n_rows == 1 || m.n_cols == 1) return arma::vectorise(m);
  arma::vec out(m.n_cols);
  for (arma::uword j = 0; j < m.n_cols; ++j) out[j] = static_cast<double>(m.col(j).index_max() + 1);
  return out;
}

arma::uvec index_list(lua_State* L, int index, arma::uword n, const char* fn, const char* what) {
  index = lua_absindex(L, index);
  if (!lua_istable(L, index))
    throw_error(fn, "(): ", what, " must be a list of indices, got ", luaL_typename(L, index));
  const lua_Integer count = luaL_len(L, index);
  arma::uvec out(static_cast<arma::uword>(count));
  for (lua_Integer i = 1; i <= count; ++i) {
    lua_rawgeti(L, index, i);
    int is_integer = 0;
    const lua_Integer v = lua_tointegerx(L, -1, &is_integer);
    lua_pop(L, 1);
    if (!is_integer || v < 1 || static_cast<unsigned long long>(v) > n)
      throw_error(fn, "(): ", what, " entry ", i, " must be an integer index in 1..", n);
    out[static_cast<arma::uword>(i - 1)] = static_cast<arma::uword>(v - 1);
  }
  return out;
}

void set_number(lua_State* L, const char* key, double value) {
  lua_pushnumber(L, value);
  lua_setfield(L, -2, key);
}

void set_string(lua_State* L, const char* key, const std::string& value) {
  lua_pushstring(L, value.c_str());
  lua_setfield(L, -2, key);
}

void set_matrix(lua_State* L, const char* key, arma::mat value) {
  push_matrix(L, std::move(value));
  lua_setfield(L, -2, key);
}

void set_strings(lua_State* L, const char* key, const std::vector<std::string>& list) {
  lua_createtable(L, static_cast<int>(list.size()), 0);
  for (std::size_t i = 0; i < list.size(); ++i) {
    lua_pushstring(L, list[i].c_str());
    lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
  }
  lua_setfield(L, -2, key);
}

void set_numbers(lua_State* L, const char* key, const std::vector<double>& list) {
  lua_createtable(L, static_cast<int>(list.size()), 0);
  for (std::size_t i = 0; i < list.size(); ++i) {
    lua_pushnumber(L, list[i]);
    lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
  }
  lua_setfield(L, -2, key);
}

void push_index_list(lua_State* L, const arma::uvec& zero_based) {
  lua_createtable(L, static_cast<int>(zero_based.n_elem), 0);
  for (arma::uword i = 0; i < zero_based.n_elem; ++i) {
    lua_pushinteger(L, static_cast<lua_Integer>(zero_based[i] + 1));
    lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
  }
}

}  // namespace ntk::lua::solve_args
