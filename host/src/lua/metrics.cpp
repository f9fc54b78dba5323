// Lua module ntk.metrics: the losses and accuracies of core/train/metrics.hpp (the same
// functions the trainers report), with argument checks.
//
//   ntk.metrics.mse(F, Y)           -> ‖F − Y‖²_F / n: the mean over the n examples (columns)
//                                      of the squared Euclidean error (not averaged over the
//                                      k outputs)
//   ntk.metrics.squared_loss(F, Y)  -> mse / 2, the training loss ntk.train reports
//   ntk.metrics.accuracy(F, Y)      -> fraction of examples classified right:
//                                      k = 1: sign agreement with ±1 targets (f = 0 is wrong);
//                                      k > 1: the argmax of each column of F and Y agree;
//                                      Y may also be n class labels 1..k (a vector or list)
//   ntk.metrics.argmax_labels(F)    -> Lua list of n integers: the 1-based row of each
//                                      column's maximum (the first on ties); needs k >= 2
//
// F and Y are ntk.matrix or tables of rows, k × n (one column per example). Vectors are read
// as one output per example: a 1 × n row, an n × 1 column and a plain Lua list of n numbers
// are all n examples, in any combination — so a single k × 1 column is NOT read as one example
// with k outputs. NaN entries, shape mismatches and non-±1 targets of one output are errors
// naming the entry or both shapes, never a NaN result.
#include <lua.hpp>

#include <cmath>

#include "core/train/metrics.hpp"
#include "lua/args.hpp"
#include "lua/matrix_methods.hpp"
#include "lua/module.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::lua {
namespace {

namespace train = core::train;

arma::mat operand(lua_State* L, int index, const char* name) {
  if (!lua_istable(L, index) && !is_matrix(L, index))
    argument_error(L, index, name, "ntk.matrix or table");
  try {
    return to_matrix(L, index);
  } catch (const Error& e) {
    throw_error(name, "(): argument ", index, ": ", e.what());
  }
}

bool is_vector(const arma::mat& m) { return m.n_rows == 1 || m.n_cols == 1; }

// F and Y as k × n; vectors of equal length become 1 × n rows.
void conform(const char* name, arma::mat& f, arma::mat& y) {
  if (is_vector(f) && is_vector(y) && f.n_elem == y.n_elem) {
    f.reshape(1, f.n_elem);
    y.reshape(1, y.n_elem);
  }
  if (f.n_rows != y.n_rows || f.n_cols != y.n_cols)
    throw_error(name, "(): predictions F are ", shape_text(f), " but targets Y are ",
                shape_text(y), " (both k x n, one column per example)");
  if (f.n_cols == 0) throw_error(name, "(): no examples (F and Y are ", shape_text(f), ")");
  matrix_detail::reject_nan(f, name);
  matrix_detail::reject_nan(y, name);
}

int l_mse(lua_State* L) {
  return protect(L, [&] {
    arma::mat f = operand(L, 1, "mse"), y = operand(L, 2, "mse");
    conform("mse", f, y);
    lua_pushnumber(L, train::mse(f, y));
    return 1;
  });
}

int l_squared_loss(lua_State* L) {
  return protect(L, [&] {
    arma::mat f = operand(L, 1, "squared_loss"), y = operand(L, 2, "squared_loss");
    conform("squared_loss", f, y);
    lua_pushnumber(L, train::squared_loss(f, y));
    return 1;
  });
}

// Y as n class labels 1..k for the k × n predictions F, converted to 0-based.
arma::uvec class_labels(const arma::mat& f, const arma::mat& y) {
  arma::uvec labels(y.n_elem);
  for (arma::uword j = 0; j < y.n_elem; ++j) {
    const double v = y(j);
    if (!(v >= 1 && v <= double(f.n_rows) && v == std::floor(v)))
      throw_error("accuracy(): label ", j + 1, " is ", v, " but the ", shape_text(f),
                  " predictions have classes 1..", f.n_rows);
    labels(j) = arma::uword(v) - 1;
  }
  return labels;
}

int l_accuracy(lua_State* L) {
  return protect(L, [&] {
    arma::mat f = operand(L, 1, "accuracy"), y = operand(L, 2, "accuracy");
    if (f.n_rows >= 2 && is_vector(y) && y.n_elem == f.n_cols && !(y.n_rows == f.n_rows &&
                                                                    y.n_cols == f.n_cols)) {
      matrix_detail::reject_nan(f, "accuracy");
      lua_pushnumber(L, train::label_accuracy(f, class_labels(f, y)));
      return 1;
    }
    conform("accuracy", f, y);
    if (!train::has_accuracy(y)) {
      for (arma::uword j = 0; j < y.n_cols; ++j)
        if (std::fabs(y(0, j)) != 1.0)
          throw_error("accuracy(): with one output the targets must be +1 or -1, but Y(1, ",
                      j + 1, ") is ", y(0, j), " (regression targets have no accuracy; give "
                      "k x n one-hot targets or class labels 1..k for several classes)");
    }
    lua_pushnumber(L, train::accuracy(f, y));
    return 1;
  });
}

int l_argmax_labels(lua_State* L) {
  return protect(L, [&] {
    const arma::mat f = operand(L, 1, "argmax_labels");
    if (f.n_rows < 2)
      throw_error("argmax_labels(): F is ", shape_text(f), "; labels need k >= 2 outputs "
                  "(rows), one column per example (with one output, compare signs)");
    const arma::uvec labels = train::argmax_labels(f);
    lua_createtable(L, int(labels.n_elem), 0);
    for (arma::uword j = 0; j < labels.n_elem; ++j) {
      lua_pushinteger(L, lua_Integer(labels(j) + 1));
      lua_rawseti(L, -2, lua_Integer(j + 1));
    }
    return 1;
  });
}

const luaL_Reg kFunctions[] = {{"mse", l_mse},
                               {"squared_loss", l_squared_loss},
                               {"accuracy", l_accuracy},
                               {"argmax_labels", l_argmax_labels},
                               {nullptr, nullptr}};

}  // namespace

void open_metrics(lua_State* L, Context&) {
  luaL_newlib(L, kFunctions);
  lua_setfield(L, -2, "metrics");
}

}  // namespace ntk::lua
