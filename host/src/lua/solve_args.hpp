// Argument helpers shared by the ntk.solve and ntk.analysis bindings (solve*.cpp, analysis.cpp).
//
// All of them THROW ntk::Error (call them inside `protect`, module.hpp). Matrices are read
// without a copy when the argument is an ntk.matrix, so an n × n kernel is not duplicated.
#pragma once

#include <lua.hpp>

#include <armadillo>
#include <string>
#include <vector>

#include "lua/table_reader.hpp"

namespace ntk::lua::solve_args {

// The matrix at `index`: the ntk.matrix itself, or a table converted into `storage`.
const arma::mat& matrix_ref(lua_State* L, int index, const char* fn, const char* what,
                            arma::mat& storage);

// Targets k × n for n training examples: a k × n matrix, or a 1 × n / n × 1 vector or list
// (taken as one output, 1 × n).
arma::mat targets(lua_State* L, int index, arma::uword n, const char* fn, const char* what);

// A vector of values: a matrix with one row or one column, or a list of numbers.
arma::vec values(lua_State* L, int index, const char* fn, const char* what);

// Class labels: a vector of labels, or a k × n target matrix with k ≥ 2 rows (one-hot /
// scores) whose per-column argmax (1-based row) is the label.
arma::vec labels(lua_State* L, int index, const char* fn, const char* what);

// A Lua list of 1-based indices in 1..n, as 0-based indices.
arma::uvec index_list(lua_State* L, int index, arma::uword n, const char* fn, const char* what);

// Argument tables are read with TableReader (lua/table_reader.hpp).

// Setting fields of the table on top of the stack.
void set_number(lua_State* L, const char* key, double value);
void set_string(lua_State* L, const char* key, const std::string& value);
void set_matrix(lua_State* L, const char* key, arma::mat value);
void set_strings(lua_State* L, const char* key, const std::vector<std::string>& list);
void set_numbers(lua_State* L, const char* key, const std::vector<double>& list);
// Pushes a Lua list of 1-based indices.
void push_index_list(lua_State* L, const arma::uvec& zero_based);

// The iterative-refinement options both refined ridges take (ntk.fmatrix, ntk.dmatrix):
// tolerance, max_steps, max_residual and keep_kernel, into any options struct with those fields.
template <class Options>
void read_refinement_options(const TableReader& args, Options& options) {
  options.tolerance = args.number("tolerance", options.tolerance, Range::positive());
  options.max_steps =
      static_cast<int>(args.integer("max_steps", options.max_steps, Range::between(0, 1000)));
  options.max_residual = args.number("max_residual", options.max_residual, Range::positive());
  options.keep_kernel = args.boolean("keep_kernel", options.keep_kernel);
}

}  // namespace ntk::lua::solve_args
