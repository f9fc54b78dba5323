// Lua module ntk.matrix: a userdata around arma::mat (column-major, indices 1-based in Lua).
//
//   ntk.matrix(rows)          from a list of rows {{1, 2}, {3, 4}}; a plain list {1, 2, 3}
//                             is a column; another ntk.matrix is copied
//   ntk.matrix(r, c [, v])    r × c filled with v (default 0)
//   ntk.matrix.eye(n)         n × n identity               (extra)
//   ntk.matrix.is(v)          true if v is an ntk.matrix    (extra)
//
//   ntk.matrix.diag(v)        n × n with the vector v (n × 1, 1 × n, list) on its diagonal
//   ntk.matrix.join_cols(A, B, ...)  [A; B]: stacked vertically (equal column counts)
//   ntk.matrix.join_rows(A, B, ...)  [A, B]: side by side (equal row counts)
//
// Methods, here: M:rows(), M:cols(), M:size() -> r, c (Lua integers); #M -> number of entries
// (an integer); M:get(i, j), M:set(i, j, v) (returns M); M:to_table() (list of rows);
// M:to_list() (flat, column-major); M:t(); M:col(j); M:row(i); M:copy(); M:save_csv(path);
// M:save(path) (binary, exact and fast: core/data/matrix_file.hpp; read with ntk.io.load).
// In matrix_shape.cpp: M:rows_range(a, b), M:cols_range(a, b) (1-based, inclusive; b = a - 1
// is empty); M:reshape(r, c) (column-major, same entry count); M:diag() -> min(r, c) × 1 main
// diagonal; M:join_cols(B, ...), M:join_rows(B, ...).
// In matrix_math.cpp: element-wise A:emul(B) and A:ediv(B) (B of A's shape, or a number; `*`
// stays the matrix product and `/` takes numbers only; a zero divisor is an error);
// M:abs(), M:sqrt(), M:exp(), M:log() (sqrt of a negative / log of a non-positive entry is an
// error naming it); M:sum(), M:mean(), M:min(), M:max() -> number, or with dim 1 -> 1 × c
// (down each column), dim 2 -> r × 1 (along each row); M:argmax(), M:argmin() -> Lua list of
// 1-based integer row indices, one per column (dim 2: column indices, one per row);
// M:norm() Frobenius, M:norm(2) spectral, M:norm(1), M:norm("inf"), M:norm("fro");
// M:trace() (square matrices).
// Operators: A + B, A - B (same shape), A * B (matrix product), with a number on either side
// elementwise (M * s scales), M / s (s ≠ 0), -M; tostring(M) prints at most 10 rows and 8
// columns.
#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>

#include "core/data/matrix_file.hpp"
#include "core/mpi/comm.hpp"
#include "lua/args.hpp"
#include "lua/csv.hpp"
#include "lua/file_access.hpp"
#include "lua/fmatrix.hpp"
#include "lua/matrix_methods.hpp"
#include "lua/module.hpp"
#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::lua {

void open_metrics(lua_State* L, Context& ctx);  // metrics.cpp

namespace matrix_detail {

arma::uword index_in(long long i, arma::uword size, const char* function, const char* what,
                     const arma::mat& m) {
  if (i < 1 || static_cast<unsigned long long>(i) > size)
    throw_error(function, "(): ", what, " index ", i, " is out of range for a ", shape_text(m),
                " matrix (valid: 1..", size, ")");
  return static_cast<arma::uword>(i - 1);
}

}  // namespace matrix_detail

namespace {

using matrix_detail::index_in;

int l_new(lua_State* L) {
  lua_remove(L, 1);  // called through __call: drop the ntk.matrix table itself
  return protect(L, [&] {
    if (lua_gettop(L) >= 2 || lua_type(L, 1) == LUA_TNUMBER) {
      const long long r = integer_arg(L, 1, "matrix"), c = integer_arg(L, 2, "matrix");
      const double fill = lua_isnoneornil(L, 3) ? 0.0 : number_arg(L, 3, "matrix");
      if (r < 0 || c < 0) throw_error("matrix(", r, ", ", c, "): sizes must be >= 0");
      sdk::check_allocation("matrix()", double(r), double(c));
      push_matrix(L, arma::mat(arma::uword(r), arma::uword(c), arma::fill::value(fill)));
      return 1;
    }
    if (!lua_istable(L, 1) && !is_matrix(L, 1))
      throw_error("matrix(): expected a table of rows, an ntk.matrix, or sizes (r, c), got ",
                  luaL_typename(L, 1));
    try {
      push_matrix(L, to_matrix(L, 1));
    } catch (const Error& e) {
      throw_error("matrix(): ", e.what());
    }
    return 1;
  });
}

int l_eye(lua_State* L) {
  return protect(L, [&] {
    const long long n = integer_arg(L, 1, "eye");
    if (n < 0) throw_error("eye(", n, "): size must be >= 0");
    sdk::check_allocation("eye()", double(n), double(n));
    push_matrix(L, arma::mat(arma::uword(n), arma::uword(n), arma::fill::eye));
    return 1;
  });
}

int l_is(lua_State* L) {
  lua_pushboolean(L, is_matrix(L, 1));
  return 1;
}

int l_rows(lua_State* L) {
  return protect(L, [&] {
    lua_pushinteger(L, lua_Integer(matrix_arg(L, 1, "rows").n_rows));
    return 1;
  });
}

int l_cols(lua_State* L) {
  return protect(L, [&] {
    lua_pushinteger(L, lua_Integer(matrix_arg(L, 1, "cols").n_cols));
    return 1;
  });
}

int l_size(lua_State* L) {
  return protect(L, [&] {
    const arma::mat& m = matrix_arg(L, 1, "size");
    lua_pushinteger(L, lua_Integer(m.n_rows));
    lua_pushinteger(L, lua_Integer(m.n_cols));
    return 2;
  });
}

int l_get(lua_State* L) {
  return protect(L, [&] {
    const arma::mat& m = matrix_arg(L, 1, "get");
    const arma::uword i = index_in(integer_arg(L, 2, "get"), m.n_rows, "get", "row", m);
    const arma::uword j = index_in(integer_arg(L, 3, "get"), m.n_cols, "get", "column", m);
    lua_pushnumber(L, m(i, j));
    return 1;
  });
}

int l_set(lua_State* L) {
  return protect(L, [&] {
    arma::mat& m = matrix_arg(L, 1, "set");
    const arma::uword i = index_in(integer_arg(L, 2, "set"), m.n_rows, "set", "row", m);
    const arma::uword j = index_in(integer_arg(L, 3, "set"), m.n_cols, "set", "column", m);
    m(i, j) = number_arg(L, 4, "set");
    lua_settop(L, 1);
    return 1;
  });
}

int l_to_table(lua_State* L) {
  return protect(L, [&] {
    const arma::mat& m = matrix_arg(L, 1, "to_table");
    lua_createtable(L, int(m.n_rows), 0);
    for (arma::uword i = 0; i < m.n_rows; ++i) {
      lua_createtable(L, int(m.n_cols), 0);
      for (arma::uword j = 0; j < m.n_cols; ++j) {
        lua_pushnumber(L, m(i, j));
        lua_rawseti(L, -2, lua_Integer(j + 1));
      }
      lua_rawseti(L, -2, lua_Integer(i + 1));
    }
    return 1;
  });
}

int l_to_list(lua_State* L) {
  return protect(L, [&] {
    const arma::mat& m = matrix_arg(L, 1, "to_list");
    lua_createtable(L, int(m.n_elem), 0);
    for (arma::uword k = 0; k < m.n_elem; ++k) {
      lua_pushnumber(L, m(k));
      lua_rawseti(L, -2, lua_Integer(k + 1));
    }
    return 1;
  });
}

int l_t(lua_State* L) {
  return protect(L, [&] {
    const arma::mat& m = matrix_arg(L, 1, "t");
    sdk::check_allocation("t(): the transpose", double(m.n_cols), double(m.n_rows));
    push_matrix(L, m.t());
    return 1;
  });
}

int l_copy(lua_State* L) {
  return protect(L, [&] {
    push_matrix(L, matrix_arg(L, 1, "copy"));
    return 1;
  });
}

int l_col(lua_State* L) {
  return protect(L, [&] {
    const arma::mat& m = matrix_arg(L, 1, "col");
    const arma::uword j = index_in(integer_arg(L, 2, "col"), m.n_cols, "col", "column", m);
    push_matrix(L, m.col(j));
    return 1;
  });
}

int l_row(lua_State* L) {
  return protect(L, [&] {
    const arma::mat& m = matrix_arg(L, 1, "row");
    const arma::uword i = index_in(integer_arg(L, 2, "row"), m.n_rows, "row", "row", m);
    push_matrix(L, m.row(i));
    return 1;
  });
}

int l_save(lua_State* L) {
  return protect(L, [&] {
    const arma::mat& m = matrix_arg(L, 1, "save");
    const std::string path = string_arg(L, 2, "save");
    check_write(L, path, "ntk.matrix save");
    if (core::mpi::writes()) core::data::save_matrix(path, m, "save()");  // rank 0 under mpirun
    lua_settop(L, 1);
    return 1;
  });
}

int l_save_csv(lua_State* L) {
  return protect(L, [&] {
    const arma::mat& m = matrix_arg(L, 1, "save_csv");
    const std::string path = string_arg(L, 2, "save_csv");
    if (core::mpi::writes()) write_csv(path, m);  // rank 0 under mpirun
    lua_settop(L, 1);
    return 1;
  });
}

// --- operators -----------------------------------------------------------------------------

const char* operand_type(lua_State* L, int index) {
  return is_matrix(L, index) ? "ntk.matrix" : luaL_typename(L, index);
}

// Every operator makes a new matrix: refuse one that would not fit before Armadillo allocates
// it (x:t() * x on a wide x asks for n x n).
void check_result(char op, double rows, double cols) {
  sdk::check_allocation(std::string("ntk.matrix ") + op + ": the " +
                            std::to_string(static_cast<long long>(rows)) + " x " +
                            std::to_string(static_cast<long long>(cols)) + " result",
                        rows, cols);
}

int arithmetic(lua_State* L, char op) {
  // A float32 operand: ntk.fmatrix's rules (M * F accumulates in float64, fmatrix.cpp).
  if (test_fmatrix(L, 1) != nullptr || test_fmatrix(L, 2) != nullptr)
    return fmatrix_arithmetic(L, op);
  return protect(L, [&] {
    const arma::mat* a = test_matrix(L, 1);
    const arma::mat* b = test_matrix(L, 2);
    if (a && b && op == '*' && a->n_cols == b->n_rows)
      check_result(op, double(a->n_rows), double(b->n_cols));
    else if (a || b)
      check_result(op, double((a ? a : b)->n_rows), double((a ? a : b)->n_cols));
    const bool a_number = lua_type(L, 1) == LUA_TNUMBER, b_number = lua_type(L, 2) == LUA_TNUMBER;
    if (a && b) {
      if (op == '*') {
        if (a->n_cols != b->n_rows)
          throw_error("ntk.matrix *: cannot multiply ", shape_text(*a), " by ", shape_text(*b),
                      " (", a->n_cols, " columns vs ", b->n_rows, " rows)");
        push_matrix(L, (*a) * (*b));
        return 1;
      }
      if (op == '/')
        throw_error("ntk.matrix /: division by a matrix is not defined (A:ediv(B) divides "
                    "element-wise)");
      if (a->n_rows != b->n_rows || a->n_cols != b->n_cols)
        throw_error("ntk.matrix ", op, ": shapes ", shape_text(*a), " and ", shape_text(*b),
                    " differ");
      push_matrix(L, op == '+' ? arma::mat(*a + *b) : arma::mat(*a - *b));
      return 1;
    }
    if (a && b_number) {
      const double s = lua_tonumber(L, 2);
      switch (op) {
        case '+': push_matrix(L, *a + s); break;
        case '-': push_matrix(L, *a - s); break;
        case '*': push_matrix(L, *a * s); break;
        default:
          if (s == 0) throw_error("ntk.matrix /: division by 0");
          push_matrix(L, *a / s);
          break;
      }
      return 1;
    }
    if (b && a_number) {
      const double s = lua_tonumber(L, 1);
      switch (op) {
        case '+': push_matrix(L, s + *b); break;
        case '-': push_matrix(L, s - *b); break;
        case '*': push_matrix(L, s * *b); break;
        default: throw_error("ntk.matrix /: a number divided by a matrix is not defined");
      }
      return 1;
    }
    throw_error("ntk.matrix ", op, ": cannot combine ", operand_type(L, 1), " and ",
                operand_type(L, 2), " (matrices and numbers are accepted)");
  });
}
int l_add(lua_State* L) { return arithmetic(L, '+'); }
int l_sub(lua_State* L) { return arithmetic(L, '-'); }
int l_mul(lua_State* L) { return arithmetic(L, '*'); }
int l_div(lua_State* L) { return arithmetic(L, '/'); }

int l_unm(lua_State* L) {
  return protect(L, [&] {
    push_matrix(L, -matrix_arg(L, 1, "unary minus"));
    return 1;
  });
}

int l_len(lua_State* L) {
  return protect(L, [&] {
    lua_pushinteger(L, lua_Integer(matrix_arg(L, 1, "#").n_elem));
    return 1;
  });
}

int l_tostring(lua_State* L) {
  return protect(L, [&] {
    const arma::mat& m = matrix_arg(L, 1, "tostring");
    constexpr arma::uword kMaxRows = 10, kMaxCols = 8;
    std::ostringstream out;
    out << "ntk.matrix " << shape_text(m);
    const arma::uword rows = std::min(m.n_rows, kMaxRows), cols = std::min(m.n_cols, kMaxCols);
    char cell[32];
    for (arma::uword i = 0; i < rows; ++i) {
      out << '\n';
      for (arma::uword j = 0; j < cols; ++j) {
        std::snprintf(cell, sizeof cell, " %11.5g", m(i, j));
        out << cell;
      }
      if (cols < m.n_cols) out << "  ... (" << m.n_cols - cols << " more columns)";
    }
    if (rows < m.n_rows) out << "\n  ... (" << m.n_rows - rows << " more rows)";
    const std::string text = out.str();
    lua_pushlstring(L, text.data(), text.size());
    return 1;
  });
}

const luaL_Reg kMethods[] = {
    {"rows", l_rows},       {"cols", l_cols}, {"size", l_size}, {"get", l_get},
    {"set", l_set},         {"to_table", l_to_table},           {"to_list", l_to_list},
    {"t", l_t},             {"copy", l_copy}, {"col", l_col},   {"row", l_row},
    {"save_csv", l_save_csv}, {"save", l_save}, {nullptr, nullptr}};

const luaL_Reg kMetamethods[] = {{"__add", l_add}, {"__sub", l_sub}, {"__mul", l_mul},
                                 {"__div", l_div}, {"__unm", l_unm}, {"__len", l_len},
                                 {"__tostring", l_tostring}, {nullptr, nullptr}};

}  // namespace

// Also opens ntk.metrics (metrics.cpp), the metrics on matrices, so the module list stays as is.
void open_matrix(lua_State* L, Context& ctx) {
  open_metrics(L, ctx);

  luaL_newmetatable(L, kMatrixMeta);
  set_matrix_gc(L);
  luaL_setfuncs(L, kMetamethods, 0);
  luaL_newlib(L, kMethods);
  matrix_detail::add_math_methods(L);
  matrix_detail::add_shape_methods(L);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);

  // ntk.matrix: a table of constructors, callable itself.
  lua_newtable(L);
  lua_pushcfunction(L, l_eye);
  lua_setfield(L, -2, "eye");
  lua_pushcfunction(L, l_is);
  lua_setfield(L, -2, "is");
  matrix_detail::add_shape_functions(L);
  lua_newtable(L);
  lua_pushcfunction(L, l_new);
  lua_setfield(L, -2, "__call");
  lua_setmetatable(L, -2);
  lua_setfield(L, -2, "matrix");
}

}  // namespace ntk::lua
