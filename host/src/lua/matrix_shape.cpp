// ntk.matrix shape operations: ranges, reshape, diagonals and joins (see matrix.cpp for the
// list). Joins follow Armadillo's names:
//   ntk.matrix.join_cols(A, B, ...)  stacks vertically   ([A; B]: equal column counts)
//   ntk.matrix.join_rows(A, B, ...)  places side by side ([A, B]: equal row counts)
// also as methods (A:join_cols(B, ...)); arguments may be ntk.matrix or tables of rows (a plain
// list is a column), and a 0 x 0 matrix joins with anything (an empty accumulator in a loop).
// M:diag() always READS the main diagonal (min(m, n) x 1); ntk.matrix.diag(v) always BUILDS the
// n x n diagonal matrix of a vector (n x 1, 1 x n or a plain list).
#include <string>
#include <vector>

#include "lua/args.hpp"
#include "lua/matrix_methods.hpp"
#include "lua/module.hpp"
#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::lua::matrix_detail {
namespace {

// An inclusive 1-based range a..b of [1, size]; b = a - 1 gives an empty range.
arma::span range_in(long long a, long long b, arma::uword size, const char* function,
                    const char* what, const arma::mat& m) {
  if (a < 1 || b < a - 1 || static_cast<unsigned long long>(b) > size)
    throw_error(function, "(", a, ", ", b, "): ", what, " range out of bounds for a ",
                shape_text(m), " matrix (need 1 <= a <= b + 1, b <= ", size, ")");
  return arma::span(static_cast<arma::uword>(a - 1), static_cast<arma::uword>(b - 1));
}

int l_cols_range(lua_State* L) {
  return protect(L, [&] {
    const arma::mat& m = matrix_arg(L, 1, "cols_range");
    const long long a = integer_arg(L, 2, "cols_range"), b = integer_arg(L, 3, "cols_range");
    const arma::span span = range_in(a, b, m.n_cols, "cols_range", "column", m);
    push_matrix(L, b == a - 1 ? arma::mat(m.n_rows, 0) : arma::mat(m.cols(span)));
    return 1;
  });
}

int l_rows_range(lua_State* L) {
  return protect(L, [&] {
    const arma::mat& m = matrix_arg(L, 1, "rows_range");
    const long long a = integer_arg(L, 2, "rows_range"), b = integer_arg(L, 3, "rows_range");
    const arma::span span = range_in(a, b, m.n_rows, "rows_range", "row", m);
    push_matrix(L, b == a - 1 ? arma::mat(0, m.n_cols) : arma::mat(m.rows(span)));
    return 1;
  });
}

// M:reshape(r, c): the same entries in column-major order (as to_list lists them).
int l_reshape(lua_State* L) {
  return protect(L, [&] {
    const arma::mat& m = matrix_arg(L, 1, "reshape");
    const long long r = integer_arg(L, 2, "reshape"), c = integer_arg(L, 3, "reshape");
    if (r < 0 || c < 0) throw_error("reshape(", r, ", ", c, "): sizes must be >= 0");
    if (static_cast<unsigned long long>(r) * static_cast<unsigned long long>(c) != m.n_elem)
      throw_error("reshape(", r, ", ", c, "): a ", shape_text(m), " matrix has ", m.n_elem,
                  " entries, not ", r * c);
    push_matrix(L, arma::reshape(m, arma::uword(r), arma::uword(c)));
    return 1;
  });
}

int l_diag(lua_State* L) {
  return protect(L, [&] {
    push_matrix(L, arma::mat(matrix_arg(L, 1, "diag").diag()));
    return 1;
  });
}

// ntk.matrix.diag(v): the diagonal matrix with v on its diagonal.
int l_diag_matrix(lua_State* L) {
  return protect(L, [&] {
    if (!lua_istable(L, 1) && !is_matrix(L, 1)) argument_error(L, 1, "diag", "vector");
    const arma::mat v = to_matrix(L, 1);
    if (v.n_rows != 1 && v.n_cols != 1 && !v.is_empty())
      throw_error("ntk.matrix.diag(): needs a vector (n x 1 or 1 x n), got ", shape_text(v),
                  " (M:diag() reads the diagonal of a matrix)");
    sdk::check_allocation("ntk.matrix.diag(): the " + std::to_string(v.n_elem) + " x " +
                              std::to_string(v.n_elem) + " diagonal matrix",
                          double(v.n_elem), double(v.n_elem));
    push_matrix(L, arma::diagmat(arma::vectorise(v)));
    return 1;
  });
}

// join_cols / join_rows over every argument; `vertical` stacks (join_cols).
int join(lua_State* L, const char* name, bool vertical) {
  return protect(L, [&] {
    const int count = lua_gettop(L);
    if (count == 0) throw_error(name, "(): needs at least one matrix");
    std::vector<arma::mat> parts;
    arma::uword shared = 0, total = 0;  // column (vertical) or row count; sum of the other
    int first = 0;                      // 1-based argument that fixed `shared`, 0 for none yet
    for (int i = 1; i <= count; ++i) {
      if (!lua_istable(L, i) && !is_matrix(L, i)) argument_error(L, i, name, "ntk.matrix");
      arma::mat part = to_matrix(L, i);
      if (part.n_rows == 0 && part.n_cols == 0) continue;
      const arma::uword along = vertical ? part.n_cols : part.n_rows;
      if (first == 0) {
        first = i;
        shared = along;
      } else if (along != shared) {
        throw_error(name, "(): matrix ", i, " is ", shape_text(part), " but matrix ", first,
                    " has ", shared, vertical ? " columns" : " rows", " (", name, " ",
                    vertical ? "stacks vertically: equal column counts"
                             : "places side by side: equal row counts",
                    ")");
      }
      total += vertical ? part.n_rows : part.n_cols;
      parts.push_back(std::move(part));
    }
    sdk::check_allocation(std::string(name) + "(): the joined matrix", double(total),
                          double(shared));
    arma::mat out = vertical ? arma::mat(total, shared) : arma::mat(shared, total);
    arma::uword at = 0;
    for (const arma::mat& part : parts) {
      if (vertical) {
        if (part.n_rows) out.rows(at, at + part.n_rows - 1) = part;
        at += part.n_rows;
      } else {
        if (part.n_cols) out.cols(at, at + part.n_cols - 1) = part;
        at += part.n_cols;
      }
    }
    push_matrix(L, std::move(out));
    return 1;
  });
}
int l_join_cols(lua_State* L) { return join(L, "join_cols", true); }
int l_join_rows(lua_State* L) { return join(L, "join_rows", false); }

const luaL_Reg kShapeMethods[] = {{"cols_range", l_cols_range}, {"rows_range", l_rows_range},
                                  {"reshape", l_reshape},       {"diag", l_diag},
                                  {"join_cols", l_join_cols},   {"join_rows", l_join_rows},
                                  {nullptr, nullptr}};

const luaL_Reg kShapeFunctions[] = {{"diag", l_diag_matrix},
                                    {"join_cols", l_join_cols},
                                    {"join_rows", l_join_rows},
                                    {nullptr, nullptr}};

}  // namespace

void add_shape_methods(lua_State* L) { luaL_setfuncs(L, kShapeMethods, 0); }
void add_shape_functions(lua_State* L) { luaL_setfuncs(L, kShapeFunctions, 0); }

}  // namespace ntk::lua::matrix_detail
