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
//       -> {status = "ok" | "diverged", message, lr, train = k × n, test = k × n_test,
//           train_loss, test_loss, train_accuracy, test_accuracy, eigenvalues}: the exact f_lin after `steps` GD steps, or after
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
// Data tables are {x = inputs, y = k × n, ...}: x is anything lua/inputs.hpp converts (a d × n
// matrix, images with shape = {C, H, W} in the same table, or a graph collection of
// ntk.data.tu / ntk.data.graphs), so any architecture's network trains. Inputs (probe, test)
// are converted the same way; nothing is copied.
#include <lua.hpp>

#include <cmath>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "core/train/gradient_descent.hpp"
#include "core/train/kernel_trace.hpp"
#include "core/train/linearized.hpp"
#include "core/train/metrics.hpp"
#include "lua/arch.hpp"
#include "lua/args.hpp"
#include "lua/inputs.hpp"
#include "lua/module.hpp"
#include "lua/table_reader.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::lua {
namespace {

namespace train = core::train;

// --- reading the argument table (all throw ntk::Error; call inside protect) ---------------

// lr = number > 0 | "auto" | nil (→ nullopt = auto, or `fallback` when given).
std::optional<double> learning_rate(const TableReader& args,
                                    std::optional<double> fallback = std::nullopt) {
  lua_State* L = args.state();
  const int type = args.push("lr");
  // lua_tolstring converts a number in place; the value is popped right after.
  const std::string text = type == LUA_TSTRING || type == LUA_TNUMBER ? lua_tostring(L, -1) : "";
  const std::string type_name = luaL_typename(L, -1);
  const double value = type == LUA_TNUMBER ? lua_tonumber(L, -1) : 0.0;
  lua_pop(L, 1);
  if (type == LUA_TNIL) return fallback;
  if (type == LUA_TSTRING && text == "auto") return std::nullopt;
  if (type != LUA_TNUMBER || !Range::positive().contains(value))
    args.fail("lr", "must be a number > 0 or \"auto\", got " +
                        (type == LUA_TSTRING ? "'" + text + "'"
                                             : type == LUA_TNUMBER ? text : "a " + type_name));
  return value;
}

// A data table {x = inputs, y = k × n, [shape = {C, H, W}], ...} at `index` (other fields
// such as labels are allowed); x is converted by lua/inputs.hpp without a copy.
train::Labelled labelled_at(lua_State* L, int index, const std::string& what) {
  if (!lua_istable(L, index))
    throw_error(what, " must be a data table {x =, y =}, got a ", luaL_typename(L, index));
  const TableReader data = TableReader::record(L, index, what);
  arma::mat storage;
  const arma::mat& y = data.required_matrix("y", storage);
  return train::Labelled{inputs_value(*to_inputs(L, index, what)), y};
}

std::string field_name(const TableReader& args, const char* key) {
  return args.function() + ": field '" + key + "'";
}

train::Labelled required_data(const TableReader& args) {
  if (!args.has("data")) args.fail("data", "is required");
  args.push("data");
  train::Labelled out = labelled_at(args.state(), -1, field_name(args, "data"));
  lua_pop(args.state(), 1);
  return out;
}

std::shared_ptr<sdk::Network> required_net(const TableReader& args) {
  if (!args.has("net")) args.fail("net", "is required");
  lua_State* L = args.state();
  args.push("net");
  std::shared_ptr<sdk::Network> net = arg_network(L, lua_gettop(L), args.function().c_str());
  lua_pop(L, 1);
  return net;
}

// record = {test = data}
std::optional<train::Labelled> record_test(const TableReader& args) {
  if (!args.has("record")) return std::nullopt;
  lua_State* L = args.state();
  args.push("record");
  std::optional<train::Labelled> test;
  {
    const TableReader record(L, -1, field_name(args, "record"), {"test"});
    if (record.has("test")) {
      record.push("test");
      test = labelled_at(L, -1, field_name(args, "record.test"));
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 1);
  return test;
}

// Options shared by gd and linearized; `probe` keeps the probe inputs alive for the call.
train::TrainOptions train_options(const TableReader& args, InputsRef& probe) {
  train::TrainOptions o;
  o.lr = learning_rate(args);
  o.auto_fraction = args.number("lr_fraction", o.auto_fraction, Range::positive());
  o.until_loss = args.number("until_loss");
  const auto steps = args.integer("steps", Range::non_negative());
  const auto max_steps = args.integer("max_steps", Range::non_negative());
  if (steps && max_steps)
    throw_error(args.function(), ": give either 'steps' or 'max_steps', not both");
  if (steps || max_steps) o.max_steps = arma::uword(steps ? *steps : *max_steps);
  o.record_every = arma::uword(args.integer("record_every", 1, Range::at_least(1)));
  o.regularizer = train::parse_regularizer(args.choice("regularizer", "none", {"none", "rdi", "aux"}));
  o.lambda = args.number("lambda", o.lambda, Range::non_negative());
  o.snapshot_every = arma::uword(args.integer("snapshot_every", 100, Range::at_least(1)));
  if (args.has("probe")) {
    args.push("probe");
    probe = to_inputs(args.state(), -1, field_name(args, "probe"));
    lua_pop(args.state(), 1);
    o.probe = probe.get();
  }
  return o;
}

// --- pushing results ------------------------------------------------------------------------

void set_number(lua_State* L, const char* key, double v) {
  lua_pushnumber(L, v);
  lua_setfield(L, -2, key);
}
void set_integer(lua_State* L, const char* key, arma::uword v) {
  lua_pushinteger(L, static_cast<lua_Integer>(v));
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
template <class T>
void set_list(lua_State* L, const char* key, const std::vector<T>& values) {
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

void push_train_result(lua_State* L, const train::TrainResult& r, bool has_test) {
  lua_newtable(L);
  lua_pushstring(L, train::status_name(r.status));
  lua_setfield(L, -2, "status");
  lua_pushstring(L, r.message.c_str());
  lua_setfield(L, -2, "message");
  set_integer(L, "steps", r.steps);
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
    set_integer(L, "step", row.step);
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
    set_list(L, "steps", r.kernel.steps);
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

#define NTK_TRAIN_KEYS                                                                      \
  "net", "data", "lr", "lr_fraction", "until_loss", "steps", "max_steps", "record_every", \
      "record", "regularizer", "lambda", "probe", "snapshot_every"

int l_gd(lua_State* L) {
  return protect(L, [&] {
    const TableReader args(L, 1, "ntk.train.gd", {NTK_TRAIN_KEYS});
    const std::shared_ptr<sdk::Network> net = required_net(args);
    const train::Labelled data = required_data(args);
    const std::optional<train::Labelled> test = record_test(args);
    InputsRef probe;
    const train::TrainOptions options = train_options(args, probe);
    const train::TrainResult r =
        train::gradient_descent(*net, data, options, test ? &*test : nullptr);
    push_train_result(L, r, test.has_value());
    return 1;
  });
}

int l_linearized(lua_State* L) {
  return protect(L, [&] {
    const TableReader args(L, 1, "ntk.train.linearized", {NTK_TRAIN_KEYS, "update"});
    const std::shared_ptr<sdk::Network> net = required_net(args);
    const train::Labelled data = required_data(args);
    const std::optional<train::Labelled> test = record_test(args);
    InputsRef probe;
    const train::TrainOptions options = train_options(args, probe);
    const bool update = args.boolean("update", false);
    const train::TrainResult r =
        train::linearized_gd(*net, data, options, test ? &*test : nullptr, update);
    push_train_result(L, r, test.has_value());
    set_matrix(L, "params", r.params);
    return 1;
  });
}

#undef NTK_TRAIN_KEYS

int l_linearized_closed_form(lua_State* L) {
  return protect(L, [&] {
    const TableReader args(L, 1, "ntk.train.linearized_closed_form",
                           {"net", "data", "lr", "lr_fraction", "steps", "time", "test"});
    const std::shared_ptr<sdk::Network> net = required_net(args);
    const train::Labelled data = required_data(args);
    train::ClosedFormOptions o;
    if (auto steps = args.integer("steps", Range::non_negative())) o.steps = arma::uword(*steps);
    o.time = args.number("time", Range::non_negative());
    o.lr = learning_rate(args, o.time ? std::optional<double>(1.0) : std::nullopt);
    o.auto_fraction = args.number("lr_fraction", o.auto_fraction, Range::positive());
    std::optional<train::Labelled> test;
    InputsRef test_inputs;  // plain test inputs (no targets)
    const sdk::Inputs* test_x = nullptr;
    if (args.has("test")) {
      // A data table (with y) gives losses too; plain inputs only predictions.
      args.push("test");
      bool has_y = false;
      if (lua_istable(L, -1)) {
        has_y = lua_getfield(L, -1, "y") != LUA_TNIL;
        lua_pop(L, 1);
      }
      if (has_y) {
        test = labelled_at(L, -1, field_name(args, "test"));
        test_x = &test->x;
      } else {
        test_inputs = to_inputs(L, -1, field_name(args, "test"));
        test_x = test_inputs.get();
      }
      lua_pop(L, 1);
    }
    const train::ClosedFormResult r =
        train::linearized_closed_form(*net, data, o, test_x);
    lua_newtable(L);
    lua_pushstring(L, r.status.c_str());
    lua_setfield(L, -2, "status");
    lua_pushstring(L, r.message.c_str());
    lua_setfield(L, -2, "message");
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
  push_subtable(L, "train");
  luaL_setfuncs(L, functions, 0);
  lua_pop(L, 1);
}

}  // namespace ntk::lua
