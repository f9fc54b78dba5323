// Dataset <-> Lua table {x =, y =, labels =, clean_y =, clean_labels =, classes =, shape =}
// (see core/data/dataset.hpp and module.hpp). Empty fields are absent (nil) in Lua, except x.
#include <string>
#include <type_traits>
#include <vector>

#include "lua/args.hpp"
#include "lua/module.hpp"
#include "lua/table_reader.hpp"
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
      push_integer_if_whole(L, values[i]);  // class labels 0, 1, ... are integers
    lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
  }
  lua_setfield(L, -2, key);
}

// Field `key` as a matrix (a copy: the Dataset owns its data); empty if nil.
arma::mat matrix_field(const TableReader& data, const char* key) {
  arma::mat storage;
  const arma::mat* m = data.matrix(key, storage);
  if (m == nullptr) return arma::mat();
  return m == &storage ? arma::mat(std::move(storage)) : *m;
}

// A vector field (labels): a 1 × n row, an n × 1 column or a plain list.
arma::rowvec row_field(const TableReader& data, const char* key) {
  const arma::mat m = matrix_field(data, key);
  if (m.is_empty()) return arma::rowvec();
  if (m.n_rows != 1 && m.n_cols != 1)
    data.fail(key, "must be a vector (1 x n), got " + std::to_string(m.n_rows) + " x " +
                       std::to_string(m.n_cols));
  return arma::rowvec(m.memptr(), m.n_elem);
}

void check_columns(const TableReader& data, const char* key, arma::uword cols, arma::uword n,
                   bool present) {
  if (present && cols != n)
    data.fail(key, "has " + std::to_string(cols) + " columns but x has " + std::to_string(n) +
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
  const TableReader data = TableReader::record(L, index, "data set");
  if (!data.has("x"))
    data.fail("x", "(the d x n inputs, one column per example) is missing");
  core::Dataset d;
  d.x = matrix_field(data, "x");
  d.y = matrix_field(data, "y");
  d.labels = row_field(data, "labels");
  d.clean_y = matrix_field(data, "clean_y");
  d.clean_labels = row_field(data, "clean_labels");
  d.classes = data.numbers("classes").value_or(std::vector<double>{});
  for (double v : data.numbers("shape", Range::at_least(1)).value_or(std::vector<double>{})) {
    if (v != static_cast<double>(static_cast<arma::uword>(v)))
      data.fail("shape", "must list positive integers {C, H, W}");
    d.shape.push_back(static_cast<arma::uword>(v));
  }
  const arma::uword n = d.x.n_cols;
  check_columns(data, "y", d.y.n_cols, n, !d.y.is_empty());
  check_columns(data, "labels", d.labels.n_cols, n, !d.labels.is_empty());
  check_columns(data, "clean_y", d.clean_y.n_cols, n, !d.clean_y.is_empty());
  check_columns(data, "clean_labels", d.clean_labels.n_cols, n, !d.clean_labels.is_empty());
  return d;
}

}  // namespace ntk::lua
