// Dataset <-> Lua table {x =, y =, labels =, clean_y =, clean_labels =, classes =, shape =}
// (see core/data/dataset.hpp and module.hpp). Empty fields are absent (nil) in Lua, except x.
#include <string>

#include "lua/module.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::lua {

namespace {

void set_matrix_field(lua_State* L, const char* key, const arma::mat& m) {
  if (m.is_empty()) return;
  push_matrix(L, m);
  lua_setfield(L, -2, key);
}

template <class T>
void set_list_field(lua_State* L, const char* key, const std::vector<T>& values) {
  if (values.empty()) return;
  lua_createtable(L, static_cast<int>(values.size()), 0);
  for (std::size_t i = 0; i < values.size(); ++i) {
    if constexpr (std::is_integral_v<T>)
      lua_pushinteger(L, static_cast<lua_Integer>(values[i]));
    else
      lua_pushnumber(L, values[i]);
    lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
  }
  lua_setfield(L, -2, key);
}

// Field `key` of the table at `t` as a matrix; empty if nil. Throws naming the field.
arma::mat matrix_field(lua_State* L, int t, const char* key) {
  if (lua_getfield(L, t, key) == LUA_TNIL) {
    lua_pop(L, 1);
    return arma::mat();
  }
  try {
    arma::mat m = to_matrix(L, -1);
    lua_pop(L, 1);
    return m;
  } catch (const Error& e) {
    lua_pop(L, 1);
    throw_error("dataset field '", key, "': ", e.what());
  }
}

// A vector field (labels): a 1 × n row, an n × 1 column or a plain list.
arma::rowvec row_field(lua_State* L, int t, const char* key) {
  const arma::mat m = matrix_field(L, t, key);
  if (m.is_empty()) return arma::rowvec();
  if (m.n_rows != 1 && m.n_cols != 1)
    throw_error("dataset field '", key, "' must be a vector (1 x n), got ", m.n_rows, " x ",
                m.n_cols);
  return arma::rowvec(m.memptr(), m.n_elem);
}

// A list of numbers (classes, shape); empty if nil.
std::vector<double> list_field(lua_State* L, int t, const char* key) {
  std::vector<double> out;
  const int type = lua_getfield(L, t, key);
  if (type == LUA_TNIL) {
    lua_pop(L, 1);
    return out;
  }
  if (type != LUA_TTABLE) {
    const std::string got = luaL_typename(L, -1);
    lua_pop(L, 1);
    throw_error("dataset field '", key, "' must be a list of numbers, got a ", got);
  }
  const lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, -1));
  for (lua_Integer i = 1; i <= n; ++i) {
    lua_rawgeti(L, -1, i);
    int ok = 0;
    const double v = lua_tonumberx(L, -1, &ok);
    const bool number = ok && lua_type(L, -1) == LUA_TNUMBER;
    lua_pop(L, 1);
    if (!number) {
      lua_pop(L, 1);
      throw_error("dataset field '", key, "': entry ", i, " is not a number");
    }
    out.push_back(v);
  }
  lua_pop(L, 1);
  return out;
}

void check_columns(const char* key, arma::uword cols, arma::uword n, bool present) {
  if (present && cols != n)
    throw_error("dataset field '", key, "' has ", cols, " columns but x has ", n,
                " (one column per example)");
}

}  // namespace

void push_dataset(lua_State* L, const core::Dataset& data) {
  lua_createtable(L, 0, 7);
  push_matrix(L, data.x);
  lua_setfield(L, -2, "x");
  set_matrix_field(L, "y", data.y);
  set_matrix_field(L, "labels", data.labels);
  set_matrix_field(L, "clean_y", data.clean_y);
  set_matrix_field(L, "clean_labels", data.clean_labels);
  set_list_field(L, "classes", data.classes);
  set_list_field(L, "shape", data.shape);
}

core::Dataset to_dataset(lua_State* L, int index) {
  index = lua_absindex(L, index);
  if (!lua_istable(L, index))
    throw_error("data set expected (a table {x =, y =, labels =, ...}), got a ",
                luaL_typename(L, index));
  core::Dataset d;
  if (lua_getfield(L, index, "x") == LUA_TNIL) {
    lua_pop(L, 1);
    throw_error("data set: field 'x' (the d x n inputs, one column per example) is missing");
  }
  lua_pop(L, 1);
  d.x = matrix_field(L, index, "x");
  d.y = matrix_field(L, index, "y");
  d.labels = row_field(L, index, "labels");
  d.clean_y = matrix_field(L, index, "clean_y");
  d.clean_labels = row_field(L, index, "clean_labels");
  d.classes = list_field(L, index, "classes");
  for (double v : list_field(L, index, "shape")) {
    if (!(v >= 1 && v == static_cast<double>(static_cast<arma::uword>(v))))
      throw_error("dataset field 'shape' must list positive integers {C, H, W}, got ", v);
    d.shape.push_back(static_cast<arma::uword>(v));
  }
  const arma::uword n = d.x.n_cols;
  check_columns("y", d.y.n_cols, n, !d.y.is_empty());
  check_columns("labels", d.labels.n_cols, n, !d.labels.is_empty());
  check_columns("clean_y", d.clean_y.n_cols, n, !d.clean_y.is_empty());
  check_columns("clean_labels", d.clean_labels.n_cols, n, !d.clean_labels.is_empty());
  return d;
}

}  // namespace ntk::lua
