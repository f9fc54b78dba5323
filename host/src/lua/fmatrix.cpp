// Lua module ntk.fmatrix: float32 matrices (see fmatrix.hpp for why they exist).
//
//   ntk.fmatrix(M)             float32 copy of an ntk.matrix (or of another fmatrix)
//   ntk.fmatrix(r, c [, v])    r × c filled with v (default 0)
//   ntk.fmatrix.is(v)          true if v is an ntk.fmatrix
//
// Methods (the names and shapes of ntk.matrix's, entries read and returned as Lua numbers):
// F:rows(), F:cols(), F:size(), #F, F:get(i, j), F:set(i, j, v) (returns F), F:diag() -> n × 1
// ntk.matrix, F:col(j) / F:row(i) -> ntk.matrix, F:rows_range(a, b), F:cols_range(a, b) ->
// fmatrix, F:t(), F:copy(), F:sum(), F:mean(), F:min(), F:max(), F:trace(), F:norm() (Frobenius;
// sums in float64), F:to_matrix() -> ntk.matrix (an explicit float64 copy, checked against the
// memory limit), F:element_type() -> "float32".
// Operators: F * M and M * F with an ntk.matrix M (float64 result, accumulated in float64),
// F * s, s * F, F / s (fmatrix), F + G, F - G (fmatrix), -F, tostring(F).
#include "lua/fmatrix.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <new>
#include <sstream>
#include <string>

#include "lua/args.hpp"
#include "lua/module.hpp"
#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::lua {

namespace {

// The userdata block: the matrix and what keeps borrowed memory alive (null when owned).
struct FmatrixBox {
  arma::fmat m;
  std::shared_ptr<void> keep_alive;
};

int fmatrix_gc(lua_State* L) {
  auto* box = static_cast<FmatrixBox*>(luaL_checkudata(L, 1, kFmatrixMeta));
  box->~FmatrixBox();
  new (box) FmatrixBox();  // a resurrected object stays a valid empty matrix
  return 0;
}

void push_box(lua_State* L, FmatrixBox&& box) {
  void* block = lua_newuserdatauv(L, sizeof(FmatrixBox), 0);
  new (block) FmatrixBox(std::move(box));
  if (luaL_newmetatable(L, kFmatrixMeta)) {  // when the module was not opened
    lua_pushcfunction(L, fmatrix_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
}

std::string shape_of(const arma::fmat& m) {
  return std::to_string(m.n_rows) + " x " + std::to_string(m.n_cols);
}

arma::uword index_in(long long i, arma::uword size, const char* function, const char* what,
                     const arma::fmat& m) {
  if (i < 1 || static_cast<unsigned long long>(i) > size)
    throw_error(function, "(): ", what, " index ", i, " is out of range for a ", shape_of(m),
                " fmatrix (valid: 1..", size, ")");
  return static_cast<arma::uword>(i - 1);
}

// Columns of F converted to double per block: bounded working memory (rows × kBlock doubles).
constexpr arma::uword kBlock = 256;

void check_float_range(double v, const char* function) {
  if (std::isfinite(v) && std::fabs(v) > double(std::numeric_limits<float>::max()))
    throw_error(function, "(): ", v, " is beyond the float32 range (3.4e38)");
}

int l_new(lua_State* L) {
  lua_remove(L, 1);  // called through __call
  return protect(L, [&] {
    if (lua_type(L, 1) == LUA_TNUMBER) {
      const long long r = integer_arg(L, 1, "fmatrix"), c = integer_arg(L, 2, "fmatrix");
      const double fill = lua_isnoneornil(L, 3) ? 0.0 : number_arg(L, 3, "fmatrix");
      if (r < 0 || c < 0) throw_error("fmatrix(", r, ", ", c, "): sizes must be >= 0");
      check_float_range(fill, "fmatrix");
      sdk::check_allocation("fmatrix()", double(r), double(c), sizeof(float));
      push_fmatrix(L, arma::fmat(arma::uword(r), arma::uword(c), arma::fill::value(float(fill))));
      return 1;
    }
    if (arma::fmat* f = test_fmatrix(L, 1)) {
      sdk::check_allocation("fmatrix(): the copy", double(f->n_rows), double(f->n_cols),
                            sizeof(float));
      push_fmatrix(L, arma::fmat(*f));
      return 1;
    }
    const arma::mat& m = matrix_arg(L, 1, "fmatrix");
    for (arma::uword k = 0; k < m.n_elem; ++k) check_float_range(m[k], "fmatrix");
    sdk::check_allocation("fmatrix(): the float32 copy", double(m.n_rows), double(m.n_cols),
                          sizeof(float));
    push_fmatrix(L, arma::conv_to<arma::fmat>::from(m));
    return 1;
  });
}

int l_is(lua_State* L) {
  lua_pushboolean(L, test_fmatrix(L, 1) != nullptr);
  return 1;
}

int l_rows(lua_State* L) {
  return protect(L, [&] {
    lua_pushinteger(L, lua_Integer(check_fmatrix(L, 1, "rows").n_rows));
    return 1;
  });
}
int l_cols(lua_State* L) {
  return protect(L, [&] {
    lua_pushinteger(L, lua_Integer(check_fmatrix(L, 1, "cols").n_cols));
    return 1;
  });
}
int l_size(lua_State* L) {
  return protect(L, [&] {
    const arma::fmat& m = check_fmatrix(L, 1, "size");
    lua_pushinteger(L, lua_Integer(m.n_rows));
    lua_pushinteger(L, lua_Integer(m.n_cols));
    return 2;
  });
}
int l_len(lua_State* L) {
  return protect(L, [&] {
    lua_pushinteger(L, lua_Integer(check_fmatrix(L, 1, "__len").n_elem));
    return 1;
  });
}
int l_element_type(lua_State* L) {
  return protect(L, [&] {
    check_fmatrix(L, 1, "element_type");
    lua_pushliteral(L, "float32");
    return 1;
  });
}

int l_get(lua_State* L) {
  return protect(L, [&] {
    const arma::fmat& m = check_fmatrix(L, 1, "get");
    const arma::uword i = index_in(integer_arg(L, 2, "get"), m.n_rows, "get", "row", m);
    const arma::uword j = index_in(integer_arg(L, 3, "get"), m.n_cols, "get", "column", m);
    lua_pushnumber(L, double(m(i, j)));
    return 1;
  });
}

int l_set(lua_State* L) {
  return protect(L, [&] {
    arma::fmat& m = check_fmatrix(L, 1, "set");
    const arma::uword i = index_in(integer_arg(L, 2, "set"), m.n_rows, "set", "row", m);
    const arma::uword j = index_in(integer_arg(L, 3, "set"), m.n_cols, "set", "column", m);
    const double v = number_arg(L, 4, "set");
    check_float_range(v, "set");
    m(i, j) = float(v);
    lua_settop(L, 1);
    return 1;
  });
}

int l_diag(lua_State* L) {
  return protect(L, [&] {
    const arma::fmat& m = check_fmatrix(L, 1, "diag");
    push_matrix(L, arma::conv_to<arma::mat>::from(arma::fvec(m.diag())));
    return 1;
  });
}

int l_col(lua_State* L) {
  return protect(L, [&] {
    const arma::fmat& m = check_fmatrix(L, 1, "col");
    const arma::uword j = index_in(integer_arg(L, 2, "col"), m.n_cols, "col", "column", m);
    push_matrix(L, arma::conv_to<arma::mat>::from(arma::fvec(m.col(j))));
    return 1;
  });
}

int l_row(lua_State* L) {
  return protect(L, [&] {
    const arma::fmat& m = check_fmatrix(L, 1, "row");
    const arma::uword i = index_in(integer_arg(L, 2, "row"), m.n_rows, "row", "row", m);
    push_matrix(L, arma::conv_to<arma::mat>::from(arma::frowvec(m.row(i))));
    return 1;
  });
}

// F:rows_range(a, b) / F:cols_range(a, b), 1-based inclusive; b = a − 1 is empty.
int range(lua_State* L, bool rows) {
  const char* fn = rows ? "rows_range" : "cols_range";
  return protect(L, [&] {
    const arma::fmat& m = check_fmatrix(L, 1, fn);
    const long long a = integer_arg(L, 2, fn), b = integer_arg(L, 3, fn);
    const arma::uword size = rows ? m.n_rows : m.n_cols;
    if (a < 1 || b < a - 1 || static_cast<unsigned long long>(b) > size)
      throw_error(fn, "(", a, ", ", b, "): out of range for a ", shape_of(m),
                  " fmatrix (1 <= a <= b + 1, b <= ", size, ")");
    const arma::uword count = arma::uword(b - a + 1);
    sdk::check_allocation(std::string(fn) + "()", double(rows ? count : m.n_rows),
                          double(rows ? m.n_cols : count), sizeof(float));
    if (count == 0) {
      push_fmatrix(L, rows ? arma::fmat(0, m.n_cols) : arma::fmat(m.n_rows, 0));
      return 1;
    }
    push_fmatrix(L, rows ? arma::fmat(m.rows(arma::uword(a - 1), arma::uword(b - 1)))
                         : arma::fmat(m.cols(arma::uword(a - 1), arma::uword(b - 1))));
    return 1;
  });
}
int l_rows_range(lua_State* L) { return range(L, true); }
int l_cols_range(lua_State* L) { return range(L, false); }

int l_t(lua_State* L) {
  return protect(L, [&] {
    const arma::fmat& m = check_fmatrix(L, 1, "t");
    sdk::check_allocation("t(): the transpose", double(m.n_cols), double(m.n_rows), sizeof(float));
    push_fmatrix(L, arma::fmat(m.t()));
    return 1;
  });
}

int l_copy(lua_State* L) {
  return protect(L, [&] {
    const arma::fmat& m = check_fmatrix(L, 1, "copy");
    sdk::check_allocation("copy()", double(m.n_rows), double(m.n_cols), sizeof(float));
    push_fmatrix(L, arma::fmat(m));
    return 1;
  });
}

int l_to_matrix(lua_State* L) {
  return protect(L, [&] {
    const arma::fmat& m = check_fmatrix(L, 1, "to_matrix");
    sdk::check_allocation("to_matrix(): the float64 copy", double(m.n_rows), double(m.n_cols));
    push_matrix(L, arma::conv_to<arma::mat>::from(m));
    return 1;
  });
}

// Reductions in float64 (a float32 sum of 3.6e9 kernel entries would lose 9 digits).
int reduce(lua_State* L, const char* fn) {
  return protect(L, [&] {
    const arma::fmat& m = check_fmatrix(L, 1, fn);
    const std::string name = fn;
    if (m.n_elem == 0) throw_error(fn, "(): the fmatrix is empty");
    double acc = name == "min" ? INFINITY : name == "max" ? -INFINITY : 0.0;
    const float* p = m.memptr();
    if (name == "sum" || name == "mean") {
      for (arma::uword k = 0; k < m.n_elem; ++k) acc += p[k];
      if (name == "mean") acc /= double(m.n_elem);
    } else if (name == "norm") {
      for (arma::uword k = 0; k < m.n_elem; ++k) acc += double(p[k]) * p[k];
      acc = std::sqrt(acc);
    } else if (name == "min") {
      for (arma::uword k = 0; k < m.n_elem; ++k) acc = std::min(acc, double(p[k]));
    } else {
      for (arma::uword k = 0; k < m.n_elem; ++k) acc = std::max(acc, double(p[k]));
    }
    lua_pushnumber(L, acc);
    return 1;
  });
}
int l_sum(lua_State* L) { return reduce(L, "sum"); }
int l_mean(lua_State* L) { return reduce(L, "mean"); }
int l_min(lua_State* L) { return reduce(L, "min"); }
int l_max(lua_State* L) { return reduce(L, "max"); }
int l_norm(lua_State* L) {
  if (!lua_isnoneornil(L, 2) &&
      !(lua_type(L, 2) == LUA_TSTRING && std::string(lua_tostring(L, 2)) == "fro"))
    return protect(L, [&]() -> int {
      throw_error("norm(): an fmatrix has the Frobenius norm only (\"fro\"); convert with "
                  "to_matrix() for the others");
    });
  return reduce(L, "norm");
}

int l_trace(lua_State* L) {
  return protect(L, [&] {
    const arma::fmat& m = check_fmatrix(L, 1, "trace");
    if (m.n_rows != m.n_cols) throw_error("trace(): the fmatrix is ", shape_of(m), ", not square");
    double acc = 0;
    for (arma::uword i = 0; i < m.n_rows; ++i) acc += m(i, i);
    lua_pushnumber(L, acc);
    return 1;
  });
}

const char* operand_type(lua_State* L, int index) {
  if (test_fmatrix(L, index)) return "ntk.fmatrix";
  if (test_matrix(L, index)) return "ntk.matrix";
  return luaL_typename(L, index);
}

int arithmetic(lua_State* L, char op) {
  return protect(L, [&] {
    arma::fmat* a = test_fmatrix(L, 1);
    arma::fmat* b = test_fmatrix(L, 2);
    const char* name = op == '+' ? "+" : op == '-' ? "-" : op == '*' ? "*" : "/";
    // fmatrix with fmatrix: + and - only (the product of two n × n kernels is not a use).
    if (a != nullptr && b != nullptr) {
      if (op == '*' || op == '/')
        throw_error("fmatrix ", name, " fmatrix is not supported; convert one with to_matrix()");
      if (a->n_rows != b->n_rows || a->n_cols != b->n_cols)
        throw_error("fmatrix ", name, ": shapes ", shape_of(*a), " and ", shape_of(*b), " differ");
      sdk::check_allocation(std::string("fmatrix ") + name, double(a->n_rows), double(a->n_cols),
                            sizeof(float));
      push_fmatrix(L, op == '+' ? arma::fmat(*a + *b) : arma::fmat(*a - *b));
      return 1;
    }
    // With a number: scale (or divide); + and - with a number are not matrix operations.
    const int number_index = a != nullptr ? 2 : 1;
    arma::fmat& f = a != nullptr ? *a : *b;
    if (lua_type(L, number_index) == LUA_TNUMBER) {
      const double s = lua_tonumber(L, number_index);
      if (op == '*' || (op == '/' && number_index == 2)) {
        if (op == '/' && s == 0) throw_error("fmatrix / 0");
        sdk::check_allocation(std::string("fmatrix ") + name, double(f.n_rows), double(f.n_cols),
                              sizeof(float));
        push_fmatrix(L, op == '*' ? arma::fmat(f * float(s)) : arma::fmat(f / float(s)));
        return 1;
      }
    }
    // With a float64 matrix: the product, in float64.
    if (op == '*') {
      if (a != nullptr && test_matrix(L, 2) != nullptr) {
        push_matrix(L, times(*a, *test_matrix(L, 2)));
        return 1;
      }
      if (b != nullptr && test_matrix(L, 1) != nullptr) {
        push_matrix(L, times(*test_matrix(L, 1), *b));
        return 1;
      }
    }
    throw_error("fmatrix ", name, ": unsupported operands ", operand_type(L, 1), " and ",
                operand_type(L, 2), " (fmatrix * ntk.matrix, ntk.matrix * fmatrix, fmatrix +/- "
                "fmatrix, fmatrix * number, fmatrix / number)");
  });
}
int l_add(lua_State* L) { return arithmetic(L, '+'); }
int l_sub(lua_State* L) { return arithmetic(L, '-'); }
int l_mul(lua_State* L) { return arithmetic(L, '*'); }
int l_div(lua_State* L) { return arithmetic(L, '/'); }
int l_unm(lua_State* L) {
  return protect(L, [&] {
    const arma::fmat& m = check_fmatrix(L, 1, "__unm");
    sdk::check_allocation("-fmatrix", double(m.n_rows), double(m.n_cols), sizeof(float));
    push_fmatrix(L, arma::fmat(-m));
    return 1;
  });
}

int l_tostring(lua_State* L) {
  return protect(L, [&] {
    const arma::fmat& m = check_fmatrix(L, 1, "tostring");
    constexpr arma::uword kMaxRows = 10, kMaxCols = 8;
    std::ostringstream out;
    out << "ntk.fmatrix " << shape_of(m) << " (float32)";
    const arma::uword rows = std::min(m.n_rows, kMaxRows), cols = std::min(m.n_cols, kMaxCols);
    char cell[32];
    for (arma::uword i = 0; i < rows; ++i) {
      out << '\n';
      for (arma::uword j = 0; j < cols; ++j) {
        std::snprintf(cell, sizeof cell, " %11.5g", double(m(i, j)));
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
    {"rows", l_rows},         {"cols", l_cols},
    {"size", l_size},         {"get", l_get},
    {"set", l_set},           {"diag", l_diag},
    {"col", l_col},           {"row", l_row},
    {"rows_range", l_rows_range}, {"cols_range", l_cols_range},
    {"t", l_t},               {"copy", l_copy},
    {"to_matrix", l_to_matrix}, {"sum", l_sum},
    {"mean", l_mean},         {"min", l_min},
    {"max", l_max},           {"norm", l_norm},
    {"trace", l_trace},       {"element_type", l_element_type},
    {nullptr, nullptr}};

const luaL_Reg kMetamethods[] = {{"__add", l_add}, {"__sub", l_sub}, {"__mul", l_mul},
                                 {"__div", l_div}, {"__unm", l_unm}, {"__len", l_len},
                                 {"__tostring", l_tostring}, {nullptr, nullptr}};

}  // namespace

int fmatrix_arithmetic(lua_State* L, char op) { return arithmetic(L, op); }

void push_fmatrix(lua_State* L, arma::fmat&& m) { push_box(L, FmatrixBox{std::move(m), nullptr}); }

void push_fmatrix_view(lua_State* L, arma::fmat&& m, std::shared_ptr<void> keep_alive) {
  push_box(L, FmatrixBox{std::move(m), std::move(keep_alive)});
}

arma::fmat* test_fmatrix(lua_State* L, int index) {
  auto* box = static_cast<FmatrixBox*>(luaL_testudata(L, index, kFmatrixMeta));
  return box == nullptr ? nullptr : &box->m;
}

arma::fmat& check_fmatrix(lua_State* L, int index, const char* function) {
  arma::fmat* m = test_fmatrix(L, index);
  if (m == nullptr) argument_error(L, index, function, kFmatrixMeta);
  return *m;
}

arma::mat times(const arma::fmat& f, const arma::mat& m) {
  if (f.n_cols != m.n_rows)
    throw_error("fmatrix * matrix: ", shape_of(f), " times ", m.n_rows, " x ", m.n_cols,
                " (inner sizes differ)");
  sdk::check_allocation("fmatrix * matrix: the result", double(f.n_rows), double(m.n_cols));
  arma::mat out(f.n_rows, m.n_cols, arma::fill::zeros);
  for (arma::uword j0 = 0; j0 < f.n_cols; j0 += kBlock) {
    const arma::uword j1 = std::min(f.n_cols, j0 + kBlock) - 1;
    const arma::mat block = arma::conv_to<arma::mat>::from(f.cols(j0, j1));
    out += block * m.rows(j0, j1);
  }
  return out;
}

arma::mat times(const arma::mat& m, const arma::fmat& f) {
  if (m.n_cols != f.n_rows)
    throw_error("matrix * fmatrix: ", m.n_rows, " x ", m.n_cols, " times ", shape_of(f),
                " (inner sizes differ)");
  sdk::check_allocation("matrix * fmatrix: the result", double(m.n_rows), double(f.n_cols));
  arma::mat out(m.n_rows, f.n_cols);
  for (arma::uword j0 = 0; j0 < f.n_cols; j0 += kBlock) {
    const arma::uword j1 = std::min(f.n_cols, j0 + kBlock) - 1;
    out.cols(j0, j1) = m * arma::conv_to<arma::mat>::from(f.cols(j0, j1));
  }
  return out;
}

void open_fmatrix(lua_State* L, Context&) {
  luaL_newmetatable(L, kFmatrixMeta);
  lua_pushcfunction(L, fmatrix_gc);
  lua_setfield(L, -2, "__gc");
  luaL_setfuncs(L, kMetamethods, 0);
  luaL_newlib(L, kMethods);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);

  lua_newtable(L);
  lua_pushcfunction(L, l_is);
  lua_setfield(L, -2, "is");
  lua_newtable(L);
  lua_pushcfunction(L, l_new);
  lua_setfield(L, -2, "__call");
  lua_setmetatable(L, -2);
  lua_setfield(L, -2, "fmatrix");
}

}  // namespace ntk::lua
