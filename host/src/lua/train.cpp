// Lua module ntk.train: gradient descent on finite networks and on their linearisation
// (numerics in host/src/core/train; this file only reads arguments and pushes results).
//
//   ntk.train.gd{net =, data =, lr = number | "auto", lr_fraction = 1, until_loss =,
//                max_steps = 10000, record_every = 1, record = {test = data},
//                regularizer = "none" | "rdi" | "aux", lambda =, probe = x, snapshot_every = 100}
//       -> result; trains `net` IN PLACE (its params are the final ones; on divergence the last
//          ones before the blow-up). The loss is L = 1/(2n) Σ ‖f(x_i) − y_i‖²; "auto" (the
//          default) is lr = lr_fraction · n / λ_max(empirical NTK on data), see
//          core/train/learning_rate.hpp. Stops at objective ≤ until_loss or after max_steps.
//   ntk.train.linearized{net =, data =, lr =, steps = (or max_steps), until_loss =,
//                record_every =, record = {test = data}, regularizer =, lambda =, update = false}
//       -> result + params (P × 1): GD on f_lin(x) = f(x; w*) + J(x; w*)(w − w*) with w* the
//          net's params; the net is left at w* unless update = true.
//   ntk.train.linearized_closed_form{net =, data =, lr = number | "auto", steps = | time =,
//                test = data | x}
//       -> {lr, train = k × n, test = k × n_test, train_loss, test_loss, train_accuracy,
//           test_accuracy, eigenvalues}: the exact f_lin after `steps` GD steps, or after
//          gradient flow for time lr·time (lr defaults to "auto" with steps, to 1 with time).
//   ntk.train.kernel_distance(A, B) -> 1 − ⟨A, B⟩_F / (‖A‖_F ‖B‖_F)
//
// result = {status = "converged" | "max_steps" | "diverged", message, steps, lr, objective,
//           train_loss, test_loss, train_accuracy, test_accuracy, train_predictions,
//           test_predictions, history = {{step, objective, train_loss, test_loss,
//           train_accuracy, test_accuracy}, ...}, aux (k × n, regularizer "aux"),
//           kernel_distance = {...} (from the first snapshot), kernel = {steps, snapshots,
//           distance_from_init, velocity (per step)}}.
// Accuracy fields are absent for regression targets, test fields without a test set.
// Data tables are {x = d × n, y = k × n, ...} (lua/module.hpp); an optional shape = {C, H, W}
// makes x images. Inputs (probe, test) are a d × n matrix or {x =, shape =}.
#include <lua.hpp>

#include <cmath>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/train/gradient_descent.hpp"
#include "core/train/kernel_trace.hpp"
#include "core/train/linearized.hpp"
#include "core/train/metrics.hpp"
#include "lua/arch.hpp"
#include "lua/args.hpp"
#include "lua/module.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::lua {
namespace {

namespace train = core::train;

// --- reading the argument table (all throw ntk::Error; call inside protect) ---------------

void check_keys(lua_State* L, int t, const char* where, const std::set<std::string>& known) {
  lua_pushnil(L);
  while (lua_next(L, t) != 0) {
    lua_pop(L, 1);
    const std::string key = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
    if (!known.count(key)) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      throw_error(where, ": unknown field '", key.empty() ? luaL_typename(L, -1) : key,
                  "'; known fields are: ", list);
    }
  }
}

// Pushes field `key` of table t; returns false (and pushes nothing) when it is nil.
bool push_field(lua_State* L, int t, const char* key) {
  if (lua_getfield(L, t, key) != LUA_TNIL) return true;
  lua_pop(L, 1);
  return false;
}

std::optional<double> opt_number(lua_State* L, int t, const char* key, const char* where) {
  if (!push_field(L, t, key)) return std::nullopt;
  if (lua_type(L, -1) != LUA_TNUMBER)
    throw_error(where, ": field '", key, "' must be a number, got a ", luaL_typename(L, -1));
  const double v = lua_tonumber(L, -1);
  lua_pop(L, 1);
  return v;
}

std::optional<arma::uword> opt_count(lua_State* L, int t, const char* key, const char* where) {
  const std::optional<double> v = opt_number(L, t, key, where);
  if (!v) return std::nullopt;
  if (!(*v >= 0) || *v != std::floor(*v) || *v > 1e15)
    throw_error(where, ": field '", key, "' = ", *v, " must be an integer >= 0");
  return static_cast<arma::uword>(*v);
}

std::optional<std::string> opt_string(lua_State* L, int t, const char* key, const char* where) {
  if (!push_field(L, t, key)) return std::nullopt;
  if (lua_type(L, -1) != LUA_TSTRING)
    throw_error(where, ": field '", key, "' must be a string, got a ", luaL_typename(L, -1));
  std::string s = lua_tostring(L, -1);
  lua_pop(L, 1);
  return s;
}

// lr = number | "auto" | nil (→ nullopt = auto, or `fallback` when given).
std::optional<double> lr_field(lua_State* L, int t, const char* where,
                               std::optional<double> fallback = std::nullopt) {
  if (!push_field(L, t, "lr")) return fallback;
  if (lua_type(L, -1) == LUA_TSTRING && std::string(lua_tostring(L, -1)) == "auto") {
    lua_pop(L, 1);
    return std::nullopt;
  }
  if (lua_type(L, -1) != LUA_TNUMBER)
    throw_error(where, ": field 'lr' must be a positive number or \"auto\", got a ",
                luaL_typename(L, -1));
  const double v = lua_tonumber(L, -1);
  lua_pop(L, 1);
  return v;
}

sdk::ImageShape image_shape(lua_State* L, int t, const char* where) {
  sdk::ImageShape shape;
  arma::uword* dims[3] = {&shape.channels, &shape.height, &shape.width};
  for (int i = 0; i < 3; ++i) {
    lua_rawgeti(L, t, i + 1);
    if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) <= 0)
      throw_error(where, ": shape must be {C, H, W} with positive integers");
    *dims[i] = static_cast<arma::uword>(lua_tointeger(L, -1));
    lua_pop(L, 1);
  }
  return shape;
}

// Inputs from the value on top of the stack: a matrix or {x = matrix, shape = {C, H, W}}.
sdk::Inputs inputs_on_top(lua_State* L, const char* where, const char* key) {
  const int v = lua_gettop(L);
  if (arma::mat* x = test_matrix(L, v)) return sdk::Inputs::dense(*x);
  if (!lua_istable(L, v))
    throw_error(where, ": field '", key, "' must be an ntk.matrix (d x n) or {x =, shape =}, got a ",
                luaL_typename(L, v));
  lua_getfield(L, v, "x");
  arma::mat* x = test_matrix(L, -1);
  lua_pop(L, 1);
  if (!x) throw_error(where, ": field '", key, ".x' must be an ntk.matrix (d x n)");
  if (!push_field(L, v, "shape")) return sdk::Inputs::dense(*x);
  const sdk::ImageShape shape = image_shape(L, lua_gettop(L), where);
  lua_pop(L, 1);
  return sdk::Inputs::images(*x, shape);
}

// A data table {x =, y =, [shape =], ...} on top of the stack (see lua/module.hpp).
train::Labelled labelled_on_top(lua_State* L, const char* where, const char* key) {
  const int v = lua_gettop(L);
  if (!lua_istable(L, v))
    throw_error(where, ": field '", key, "' must be a data table {x =, y =}, got a ",
                luaL_typename(L, v));
  const core::Dataset data = to_dataset(L, v);
  if (data.y.is_empty()) throw_error(where, ": field '", key, "' has no targets y");
  return train::labelled(data);  // images when the table has shape = {C, H, W}
}

train::Labelled required_data(lua_State* L, int t, const char* where) {
  if (!push_field(L, t, "data")) throw_error(where, ": field 'data' is required");
  train::Labelled out = labelled_on_top(L, where, "data");
  lua_pop(L, 1);
  return out;
}

std::shared_ptr<sdk::Network> required_net(lua_State* L, int t, const char* where) {
  if (lua_getfield(L, t, "net") == LUA_TNIL) throw_error(where, ": field 'net' is required");
  std::shared_ptr<sdk::Network> net = arg_network(L, lua_gettop(L), where);
  lua_pop(L, 1);
  return net;
}

// record = {test = data}
std::optional<train::Labelled> record_test(lua_State* L, int t, const char* where) {
  if (!push_field(L, t, "record")) return std::nullopt;
  if (!lua_istable(L, -1)) throw_error(where, ": field 'record' must be a table {test = data}");
  const int r = lua_gettop(L);
  check_keys(L, r, where, {"test"});
  std::optional<train::Labelled> test;
  if (push_field(L, r, "test")) {
    test = labelled_on_top(L, where, "record.test");
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return test;
}

// Options shared by gd and linearized; `probe` receives the probe inputs (kept alive here).
train::TrainOptions train_options(lua_State* L, int t, const char* where,
                                  std::optional<sdk::Inputs>& probe) {
  train::TrainOptions o;
  o.lr = lr_field(L, t, where);
  if (auto v = opt_number(L, t, "lr_fraction", where)) o.auto_fraction = *v;
  o.until_loss = opt_number(L, t, "until_loss", where);
  const auto steps = opt_count(L, t, "steps", where);
  const auto max_steps = opt_count(L, t, "max_steps", where);
  if (steps && max_steps) throw_error(where, ": give either 'steps' or 'max_steps', not both");
  if (steps || max_steps) o.max_steps = steps ? *steps : *max_steps;
  if (auto v = opt_count(L, t, "record_every", where)) o.record_every = *v;
  if (auto v = opt_string(L, t, "regularizer", where)) o.regularizer = train::parse_regularizer(*v);
  if (auto v = opt_number(L, t, "lambda", where)) o.lambda = *v;
  if (auto v = opt_count(L, t, "snapshot_every", where)) o.snapshot_every = *v;
  if (push_field(L, t, "probe")) {
    probe = inputs_on_top(L, where, "probe");
    lua_pop(L, 1);
    o.probe = &*probe;
  }
  return o;
}

// --- pushing results ------------------------------------------------------------------------

void set_number(lua_State* L, const char* key, double v) {
  lua_pushnumber(L, v);
  lua_setfield(L, -2, key);
}
// Accuracies/test values that do not exist (NaN) are left out of the table.
void set_if_defined(lua_State* L, const char* key, double v) {
  if (!std::isnan(v)) set_number(L, key, v);
}
void set_matrix(lua_State* L, const char* key, arma::mat m) {
  push_matrix(L, std::move(m));
  lua_setfield(L, -2, key);
}
void set_list(lua_State* L, const char* key, const std::vector<double>& values) {
  lua_createtable(L, static_cast<int>(values.size()), 0);
  for (std::size_t i = 0; i < values.size(); ++i) {
    lua_pushnumber(L, values[i]);
    lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
  }
  lua_setfield(L, -2, key);
}

void push_train_result(lua_State* L, const train::TrainResult& r, bool has_test) {
  lua_newtable(L);
  lua_pushstring(L, train::status_name(r.status));
  lua_setfield(L, -2, "status");
  lua_pushstring(L, r.message.c_str());
  lua_setfield(L, -2, "message");
  set_number(L, "steps", double(r.steps));
  set_number(L, "lr", r.lr);
  set_number(L, "objective", r.objective);
  set_number(L, "train_loss", r.train_loss);
  set_if_defined(L, "train_accuracy", r.train_accuracy);
  set_matrix(L, "train_predictions", r.train_predictions);
  if (has_test) {
    set_number(L, "test_loss", r.test_loss);
    set_if_defined(L, "test_accuracy", r.test_accuracy);
    set_matrix(L, "test_predictions", r.test_predictions);
  }
  if (!r.aux.is_empty()) set_matrix(L, "aux", r.aux);

  lua_createtable(L, static_cast<int>(r.history.size()), 0);
  for (std::size_t i = 0; i < r.history.size(); ++i) {
    const train::HistoryRow& row = r.history[i];
    lua_createtable(L, 0, 6);
    set_number(L, "step", double(row.step));
    set_number(L, "objective", row.objective);
    set_number(L, "train_loss", row.train_loss);
    set_if_defined(L, "train_accuracy", row.train_accuracy);
    if (has_test) {
      set_number(L, "test_loss", row.test_loss);
      set_if_defined(L, "test_accuracy", row.test_accuracy);
    }
    lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
  }
  lua_setfield(L, -2, "history");

  if (!r.kernel.empty()) {
    set_list(L, "kernel_distance", r.kernel.distance_from_init);
    lua_newtable(L);
    set_list(L, "steps", std::vector<double>(r.kernel.steps.begin(), r.kernel.steps.end()));
    set_list(L, "distance_from_init", r.kernel.distance_from_init);
    set_list(L, "velocity", r.kernel.velocity);
    lua_createtable(L, static_cast<int>(r.kernel.snapshots.size()), 0);
    for (std::size_t i = 0; i < r.kernel.snapshots.size(); ++i) {
      push_matrix(L, r.kernel.snapshots[i]);
      lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
    }
    lua_setfield(L, -2, "snapshots");
    lua_setfield(L, -2, "kernel");
  }
}

// --- functions ------------------------------------------------------------------------------

const std::set<std::string> kCommonKeys = {"net", "data", "lr", "lr_fraction", "until_loss",
                                           "steps", "max_steps", "record_every", "record",
                                           "regularizer", "lambda", "probe", "snapshot_every"};

int l_gd(lua_State* L) {
  return protect(L, [&] {
    const char* where = "ntk.train.gd()";
    table_arg(L, 1, "gd");
    check_keys(L, 1, where, kCommonKeys);
    const std::shared_ptr<sdk::Network> net = required_net(L, 1, where);
    const train::Labelled data = required_data(L, 1, where);
    const std::optional<train::Labelled> test = record_test(L, 1, where);
    std::optional<sdk::Inputs> probe;
    const train::TrainOptions options = train_options(L, 1, where, probe);
    const train::TrainResult r =
        train::gradient_descent(*net, data, options, test ? &*test : nullptr);
    push_train_result(L, r, test.has_value());
    return 1;
  });
}

int l_linearized(lua_State* L) {
  return protect(L, [&] {
    const char* where = "ntk.train.linearized()";
    table_arg(L, 1, "linearized");
    std::set<std::string> keys = kCommonKeys;
    keys.insert("update");
    check_keys(L, 1, where, keys);
    const std::shared_ptr<sdk::Network> net = required_net(L, 1, where);
    const train::Labelled data = required_data(L, 1, where);
    const std::optional<train::Labelled> test = record_test(L, 1, where);
    std::optional<sdk::Inputs> probe;
    const train::TrainOptions options = train_options(L, 1, where, probe);
    bool update = false;
    if (push_field(L, 1, "update")) {
      if (!lua_isboolean(L, -1)) throw_error(where, ": field 'update' must be a boolean");
      update = lua_toboolean(L, -1);
      lua_pop(L, 1);
    }
    const train::TrainResult r =
        train::linearized_gd(*net, data, options, test ? &*test : nullptr, update);
    push_train_result(L, r, test.has_value());
    set_matrix(L, "params", r.params);
    return 1;
  });
}

int l_linearized_closed_form(lua_State* L) {
  return protect(L, [&] {
    const char* where = "ntk.train.linearized_closed_form()";
    table_arg(L, 1, "linearized_closed_form");
    check_keys(L, 1, where, {"net", "data", "lr", "lr_fraction", "steps", "time", "test"});
    const std::shared_ptr<sdk::Network> net = required_net(L, 1, where);
    const train::Labelled data = required_data(L, 1, where);
    train::ClosedFormOptions o;
    o.steps = opt_count(L, 1, "steps", where);
    o.time = opt_number(L, 1, "time", where);
    o.lr = lr_field(L, 1, where, o.time ? std::optional<double>(1.0) : std::nullopt);
    if (auto v = opt_number(L, 1, "lr_fraction", where)) o.auto_fraction = *v;
    std::optional<train::Labelled> test;
    std::optional<sdk::Inputs> test_x;
    if (push_field(L, 1, "test")) {
      // A data table (with y) gives losses too; a matrix or {x =, shape =} only predictions.
      bool has_y = false;
      if (lua_istable(L, -1) && !is_matrix(L, -1)) {
        has_y = lua_getfield(L, -1, "y") != LUA_TNIL;
        lua_pop(L, 1);
      }
      if (has_y) {
        test = labelled_on_top(L, where, "test");
        test_x = test->x;
      } else {
        test_x = inputs_on_top(L, where, "test");
      }
      lua_pop(L, 1);
    }
    const train::ClosedFormResult r =
        train::linearized_closed_form(*net, data, o, test_x ? &*test_x : nullptr);
    lua_newtable(L);
    set_number(L, "lr", r.lr);
    set_number(L, "train_loss", r.train_loss);
    set_if_defined(L, "train_accuracy", train::accuracy(r.train_predictions, data.y));
    set_matrix(L, "train", r.train_predictions);
    set_matrix(L, "eigenvalues", r.eigenvalues);
    if (test_x) set_matrix(L, "test", r.test_predictions);
    if (test) {
      set_number(L, "test_loss", train::squared_loss(r.test_predictions, test->y));
      set_if_defined(L, "test_accuracy", train::accuracy(r.test_predictions, test->y));
    }
    return 1;
  });
}

int l_kernel_distance(lua_State* L) {
  return protect(L, [&] {
    const arma::mat& a = matrix_arg(L, 1, "kernel_distance");
    const arma::mat& b = matrix_arg(L, 2, "kernel_distance");
    lua_pushnumber(L, train::kernel_distance(a, b));
    return 1;
  });
}

}  // namespace

void open_train(lua_State* L, Context& /*ctx*/) {
  static const luaL_Reg functions[] = {{"gd", l_gd},
                                       {"linearized", l_linearized},
                                       {"linearized_closed_form", l_linearized_closed_form},
                                       {"kernel_distance", l_kernel_distance},
                                       {nullptr, nullptr}};
  luaL_newlib(L, functions);
  lua_setfield(L, -2, "train");
}

}  // namespace ntk::lua
