// The one reader of Lua argument tables (ntk.train.gd{...}, ntk.data.mnist{...}, ...).
//
// A TableReader is made for one function and the keys it declares; it refuses unknown keys at
// construction and reads fields with typed getters that check ranges. Every message has one
// format, naming the function, the field, what was expected and what was given:
//   "ntk.train.gd: unknown field 'epochs' (known fields: data, lr, max_steps, net)"
//   "ntk.train.gd: field 'lr' must be a number > 0, got -1"
//   "ntk.data.mnist: field 'n_train' is required"
// All getters THROW ntk::Error: use them inside `protect` (lua/module.hpp). Matrices are read
// without a copy when the field is an ntk.matrix (a table of rows is converted into storage).
#pragma once

#include <lua.hpp>

#include <armadillo>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace ntk::lua {

// A closed or open interval for numeric fields; the default accepts every finite number.
struct Range {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_open = false;  // true: value > min (instead of ≥)
  bool max_open = false;

  static Range positive() { return {0.0, std::numeric_limits<double>::infinity(), true, false}; }
  static Range non_negative() { return {0.0, std::numeric_limits<double>::infinity()}; }
  static Range at_least(double v) { return {v, std::numeric_limits<double>::infinity()}; }
  static Range between(double lo, double hi) { return {lo, hi}; }
  static Range unit_open() { return {0.0, 1.0, true, false}; }  // (0, 1]

  bool contains(double v) const;
  std::string text() const;  // "> 0", "in [0, 1]", "" for any
};

class TableReader {
 public:
  // Reads the table at `index` (absolute or relative) for `function` (its Lua name, e.g.
  // "ntk.train.gd"). Throws if the value is not a table or has a key not in `keys`.
  TableReader(lua_State* L, int index, std::string function, std::vector<std::string> keys);
  TableReader(lua_State* L, int index, std::string function,
              std::initializer_list<const char*> keys);
  // A record such as a data set {x =, y =, labels =, ...}: fields are read with the same
  // getters and messages, but keys the reader does not ask for are allowed (a record carries
  // fields for other readers too).
  static TableReader record(lua_State* L, int index, std::string function);

  lua_State* state() const { return L_; }
  int index() const { return t_; }
  const std::string& function() const { return fn_; }

  // True if the field is present (not nil).
  bool has(const char* key) const;
  // Pushes the field's value (even nil) and returns its Lua type: for custom reads.
  int push(const char* key) const;

  std::optional<double> number(const char* key, Range range = {}) const;
  double number(const char* key, double fallback, Range range = {}) const;
  double required_number(const char* key, Range range = {}) const;

  // Numbers with an exact integer value (3 and 3.0 both accepted).
  std::optional<long long> integer(const char* key, Range range = {}) const;
  long long integer(const char* key, long long fallback, Range range = {}) const;
  long long required_integer(const char* key, Range range = {}) const;

  std::optional<bool> boolean(const char* key) const;
  bool boolean(const char* key, bool fallback) const;

  std::optional<std::string> string(const char* key) const;
  std::string string(const char* key, const std::string& fallback) const;
  std::string required_string(const char* key) const;
  // A string out of `choices` ("field 'reduce' must be one of sum, mean, got 'max'").
  std::string choice(const char* key, const std::string& fallback,
                     std::initializer_list<const char*> choices) const;

  // An ntk.matrix (no copy) or a table of rows (converted into `storage`); nullptr when absent.
  const arma::mat* matrix(const char* key, arma::mat& storage) const;
  const arma::mat& required_matrix(const char* key, arma::mat& storage) const;

  // A list of numbers ({1, 2, 3}) or a single number (a list of one).
  std::optional<std::vector<double>> numbers(const char* key, Range range = {}) const;

  // Throws "<function>: field '<key>' <what>".
  [[noreturn]] void fail(const char* key, const std::string& what) const;

 private:
  void check_keys() const;
  [[noreturn]] void type_error(const char* key, const std::string& expected) const;

  TableReader(lua_State* L, int index, std::string function);  // no key check (record)

  lua_State* L_;
  int t_;
  std::string fn_;
  std::vector<std::string> keys_;
};

}  // namespace ntk::lua
