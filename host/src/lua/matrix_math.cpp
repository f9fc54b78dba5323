// ntk.matrix element-wise arithmetic and reductions (methods; see matrix.cpp for the list).
//
// Reductions take an optional dimension, as in MATLAB and Armadillo's dim = 0 / 1:
//   M:sum()  -> number (all entries)       M:sum(1) -> 1 x n (down each column)
//                                          M:sum(2) -> m x 1 (along each row)
// and the same for mean, min, max. argmax / argmin return Lua lists of 1-based indices as
// Lua integers: argmax() or argmax(1) -> n indices (the row of each column's maximum),
// argmax(2) -> m indices (the column of each row's maximum); the first index wins ties.
// min, max, argmin and argmax refuse NaN entries (their answer would depend on where the NaN
// sits); sqrt of a negative and log of a non-positive entry are errors naming the entry
// rather than a silent NaN; emul/ediv need equal shapes (no broadcasting) and ediv refuses a
// zero divisor.
#include <cmath>
#include <string>

#include "lua/args.hpp"
#include "lua/matrix_methods.hpp"
#include "lua/module.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::lua::matrix_detail {

void reject_nan(const arma::mat& m, const char* function) {
  for (arma::uword j = 0; j < m.n_cols; ++j)
    for (arma::uword i = 0; i < m.n_rows; ++i)
      if (std::isnan(m(i, j)))
        throw_error(function, "(): entry (", i + 1, ", ", j + 1, ") of the ", shape_text(m),
                    " matrix is NaN");
}

namespace {

// --- element-wise ---------------------------------------------------------------------------

// The second operand of emul/ediv: a matrix of the receiver's shape, or a number.
template <class MatrixOp, class ScalarOp>
int elementwise(lua_State* L, const char* name, const char* what, MatrixOp on_matrix,
                ScalarOp on_number) {
  return protect(L, [&] {
    const arma::mat& a = matrix_arg(L, 1, name);
    if (lua_type(L, 2) == LUA_TNUMBER) {
      push_matrix(L, on_number(a, lua_tonumber(L, 2)));
      return 1;
    }
    const arma::mat& b = matrix_arg(L, 2, name);
    if (a.n_rows != b.n_rows || a.n_cols != b.n_cols)
      throw_error(name, "(): shapes ", shape_text(a), " and ", shape_text(b), " differ (the ",
                  what, " needs equal shapes)");
    push_matrix(L, on_matrix(a, b));
    return 1;
  });
}

int l_emul(lua_State* L) {
  return elementwise(
      L, "emul", "element-wise product",
      [](const arma::mat& a, const arma::mat& b) { return arma::mat(a % b); },
      [](const arma::mat& a, double s) { return arma::mat(a * s); });
}

int l_ediv(lua_State* L) {
  return elementwise(
      L, "ediv", "element-wise division",
      [](const arma::mat& a, const arma::mat& b) {
        for (arma::uword j = 0; j < b.n_cols; ++j)
          for (arma::uword i = 0; i < b.n_rows; ++i)
            if (b(i, j) == 0)
              throw_error("ediv(): divisor entry (", i + 1, ", ", j + 1, ") is 0");
        return arma::mat(a / b);
      },
      [](const arma::mat& a, double s) {
        if (s == 0) throw_error("ediv(): division by the number 0");
        return arma::mat(a / s);
      });
}

// Applies `f` to every entry after checking each with `valid` (NaN entries fail any `valid`
// written as a positive comparison); the error names the first bad entry.
template <class Valid, class Function>
int unary(lua_State* L, const char* name, const char* requirement, Valid valid, Function f) {
  return protect(L, [&] {
    arma::mat m = matrix_arg(L, 1, name);
    for (arma::uword j = 0; j < m.n_cols; ++j)
      for (arma::uword i = 0; i < m.n_rows; ++i) {
        if (!valid(m(i, j)))
          throw_error(name, "(): entry (", i + 1, ", ", j + 1, ") is ", m(i, j), " (", name,
                      " needs ", requirement, ")");
        m(i, j) = f(m(i, j));
      }
    push_matrix(L, std::move(m));
    return 1;
  });
}

int l_abs(lua_State* L) {
  return protect(L, [&] {
    push_matrix(L, arma::abs(matrix_arg(L, 1, "abs")));
    return 1;
  });
}
int l_exp(lua_State* L) {
  return protect(L, [&] {
    push_matrix(L, arma::exp(matrix_arg(L, 1, "exp")));
    return 1;
  });
}
int l_sqrt(lua_State* L) {
  return unary(
      L, "sqrt", "entries >= 0", [](double x) { return x >= 0; },
      [](double x) { return std::sqrt(x); });
}
int l_log(lua_State* L) {
  return unary(
      L, "log", "entries > 0", [](double x) { return x > 0; },
      [](double x) { return std::log(x); });
}

// --- reductions -----------------------------------------------------------------------------

// The optional dimension argument: 0 when absent (all entries), else 1 or 2.
int dim_arg(lua_State* L, int index, const char* name) {
  if (lua_isnoneornil(L, index)) return 0;
  const long long dim = integer_arg(L, index, name);
  if (dim != 1 && dim != 2)
    throw_error(name, "(", dim, "): the dimension must be 1 (down each column: a 1 x n "
                "result) or 2 (along each row: an m x 1 result)");
  return int(dim);
}

// Refuses reducing along an empty dimension (a mean or extremum of nothing).
void require_entries(const arma::mat& m, int dim, const char* name) {
  const bool empty = dim == 0 ? m.is_empty() : dim == 1 ? m.n_rows == 0 : m.n_cols == 0;
  if (!empty) return;
  if (dim == 0) throw_error(name, "(): the matrix is empty (", shape_text(m), ")");
  throw_error(name, "(", dim, "): the ", shape_text(m), " matrix has no ",
              dim == 1 ? "rows" : "columns", " to reduce");
}

int l_sum(lua_State* L) {
  return protect(L, [&] {
    const arma::mat& m = matrix_arg(L, 1, "sum");
    const int dim = dim_arg(L, 2, "sum");
    if (dim == 0)
      lua_pushnumber(L, arma::accu(m));
    else
      push_matrix(L, arma::sum(m, arma::uword(dim - 1)));
    return 1;
  });
}

int l_mean(lua_State* L) {
  return protect(L, [&] {
    const arma::mat& m = matrix_arg(L, 1, "mean");
    const int dim = dim_arg(L, 2, "mean");
    require_entries(m, dim, "mean");
    if (dim == 0)
      lua_pushnumber(L, arma::accu(m) / double(m.n_elem));
    else
      push_matrix(L, arma::mean(m, arma::uword(dim - 1)));
    return 1;
  });
}

int extremum(lua_State* L, const char* name, bool want_max) {
  return protect(L, [&] {
    const arma::mat& m = matrix_arg(L, 1, name);
    const int dim = dim_arg(L, 2, name);
    require_entries(m, dim, name);
    reject_nan(m, name);
    if (dim == 0)
      lua_pushnumber(L, want_max ? m.max() : m.min());
    else if (want_max)
      push_matrix(L, arma::max(m, arma::uword(dim - 1)));
    else
      push_matrix(L, arma::min(m, arma::uword(dim - 1)));
    return 1;
  });
}
int l_max(lua_State* L) { return extremum(L, "max", true); }
int l_min(lua_State* L) { return extremum(L, "min", false); }

int arg_extremum(lua_State* L, const char* name, bool want_max) {
  return protect(L, [&] {
    const arma::mat& m = matrix_arg(L, 1, name);
    const int dim = dim_arg(L, 2, name) == 2 ? 2 : 1;
    require_entries(m, dim, name);
    reject_nan(m, name);
    const arma::uword count = dim == 1 ? m.n_cols : m.n_rows;
    lua_createtable(L, int(count), 0);
    for (arma::uword k = 0; k < count; ++k) {
      const arma::uword at = dim == 1 ? (want_max ? m.col(k).index_max() : m.col(k).index_min())
                                      : (want_max ? m.row(k).index_max() : m.row(k).index_min());
      lua_pushinteger(L, lua_Integer(at + 1));
      lua_rawseti(L, -2, lua_Integer(k + 1));
    }
    return 1;
  });
}
int l_argmax(lua_State* L) { return arg_extremum(L, "argmax", true); }
int l_argmin(lua_State* L) { return arg_extremum(L, "argmin", false); }

// M:norm() / norm("fro"): Frobenius; norm(2): spectral (largest singular value); norm(1): the
// largest absolute column sum; norm("inf"): the largest absolute row sum. 0 for an empty matrix.
int l_norm(lua_State* L) {
  return protect(L, [&] {
    const arma::mat& m = matrix_arg(L, 1, "norm");
    std::string kind = "fro";
    if (lua_type(L, 2) == LUA_TNUMBER) {
      const long long p = integer_arg(L, 2, "norm");
      if (p != 1 && p != 2)
        throw_error("norm(", p, "): the order must be 1, 2, \"inf\" or \"fro\"");
      kind = std::to_string(p);
    } else if (!lua_isnoneornil(L, 2)) {
      kind = string_arg(L, 2, "norm");
      if (kind != "fro" && kind != "inf")
        throw_error("norm(\"", kind, "\"): the order must be 1, 2, \"inf\" or \"fro\"");
    }
    double value = 0;
    if (m.is_empty()) {
    } else if (kind == "fro") {
      value = arma::norm(m, "fro");
    } else if (kind == "1") {
      const arma::rowvec column_sums = arma::sum(arma::abs(m), 0);
      value = column_sums.max();
    } else if (kind == "inf") {
      const arma::vec row_sums = arma::sum(arma::abs(m), 1);
      value = row_sums.max();
    } else {
      reject_nan(m, "norm");
      arma::vec singular;
      if (!arma::svd(singular, m))
        throw_error("norm(2): the SVD of the ", shape_text(m), " matrix failed (infinite entries?)");
      value = singular.max();
    }
    lua_pushnumber(L, value);
    return 1;
  });
}

int l_trace(lua_State* L) {
  return protect(L, [&] {
    const arma::mat& m = matrix_arg(L, 1, "trace");
    if (m.n_rows != m.n_cols)
      throw_error("trace(): needs a square matrix, got ", shape_text(m));
    lua_pushnumber(L, arma::trace(m));
    return 1;
  });
}

const luaL_Reg kMathMethods[] = {
    {"emul", l_emul}, {"ediv", l_ediv},     {"abs", l_abs},       {"sqrt", l_sqrt},
    {"exp", l_exp},   {"log", l_log},       {"sum", l_sum},       {"mean", l_mean},
    {"min", l_min},   {"max", l_max},       {"argmin", l_argmin}, {"argmax", l_argmax},
    {"norm", l_norm}, {"trace", l_trace},   {nullptr, nullptr}};

}  // namespace

void add_math_methods(lua_State* L) { luaL_setfuncs(L, kMathMethods, 0); }

}  // namespace ntk::lua::matrix_detail
