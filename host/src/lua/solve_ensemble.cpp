// ntk.solve.ensemble: mean and covariance of the infinite ensemble of infinitely wide networks
// trained by gradient flow on the squared loss (core/solve/ensemble.hpp has the model, the time
// convention and the equations).
//
//   ntk.solve.ensemble{K_train =, K_test_train =, K_test_test =, Y =, t = number | "inf" | {...},
//                      kernel = "ntk" | "nngp", ridge = 0, covariance = true,
//                      nngp_train =, nngp_test_train =, nngp_test_test =}
//     -> {t =, mean = k × m, covariance = m × m} for a single t (a number or "inf"; math.huge
//        is ∞ too), a list of those for a list of t (one eigen-decomposition for all of them).
//   K_* are the blocks of the kernel that trains: the NTK for kernel = "ntk" (the default), the
//   NNGP for "nngp" (readout-only training; at t = "inf" the NNGP posterior). Y is k × n as in
//   ntk.solve.ridge. t is gradient-flow time on the loss 1/(2n) Σ‖f − y‖² of ntk.train.gd:
//   t = lr · steps. ridge λ ≥ 0 is added to K_train's diagonal (absolute, as ntk.solve.ridge);
//   at t = "inf" the mean is the ridge solution.
//   kernel = "ntk" with covariance also needs the NNGP blocks nngp_train (n × n),
//   nngp_test_train (m × n) and nngp_test_test (m × m): the covariance over initialisations is
//   the NNGP's pushed through the NTK's dynamics (Lee et al. 2019, Eq. 16). K_test_test is
//   then the NTK's, which Eq. 16 does not use (checked for shape only, may be omitted).
//   kernel = "nngp" needs K_test_test for the covariance and refuses nngp_*.
//   covariance = false: the mean only ({t =, mean =}); test-test and NNGP blocks not needed.
#include <lua.hpp>

#include <string>
#include <vector>

#include "core/solve/ensemble.hpp"
#include "lua/args.hpp"
#include "lua/module.hpp"
#include "lua/solve_args.hpp"
#include "lua/table_reader.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::lua {
namespace {

namespace solve = core::solve;
using namespace solve_args;

constexpr const char* kFn = "ntk.solve.ensemble";

// One time: a number (NaN and negatives are refused by the core, naming the entry) or "inf".
double time_value(lua_State* L, int index, const TableReader& args, const std::string& where) {
  if (lua_type(L, index) == LUA_TNUMBER) return lua_tonumber(L, index);
  if (lua_type(L, index) == LUA_TSTRING && std::string(lua_tostring(L, index)) == "inf")
    return arma::datum::inf;
  args.fail("t", "must be a number >= 0, \"inf\" or a list of those (" + where + " is a " +
                     luaL_typename(L, index) + ")");
}

// t = number | "inf" | list; `listed` tells whether a list was given (the result is then a list).
arma::vec read_times(lua_State* L, const TableReader& args, bool& listed) {
  const int type = args.push("t");
  const int top = lua_gettop(L);
  if (type == LUA_TNIL) args.fail("t", "is required (a number >= 0, \"inf\" or a list of those)");
  listed = type == LUA_TTABLE;
  std::vector<double> times;
  if (listed) {
    const lua_Integer count = luaL_len(L, top);
    if (count == 0) args.fail("t", "is an empty list");
    for (lua_Integer i = 1; i <= count; ++i) {
      lua_rawgeti(L, top, i);
      times.push_back(time_value(L, -1, args, "entry " + std::to_string(i)));
      lua_pop(L, 1);
    }
  } else {
    times.push_back(time_value(L, top, args, "it"));
  }
  lua_settop(L, top - 1);
  return arma::vec(times);
}

void push_prediction(lua_State* L, solve::EnsemblePrediction p) {
  lua_createtable(L, 0, 3);
  set_number(L, "t", p.time);
  set_matrix(L, "mean", std::move(p.mean));
  if (!p.covariance.is_empty()) set_matrix(L, "covariance", std::move(p.covariance));
}

}  // namespace

int l_ensemble(lua_State* L) {
  return protect(L, [&] {
    const TableReader args(L, 1, kFn,
                           {"K_train", "K_test_train", "K_test_test", "Y", "t", "kernel", "ridge",
                            "covariance", "nngp_train", "nngp_test_train", "nngp_test_test"});
    arma::mat storage[6];
    solve::EnsembleKernels k;
    k.train = &args.required_matrix("K_train", storage[0]);
    k.test_train = &args.required_matrix("K_test_train", storage[1]);
    k.test_test = args.matrix("K_test_test", storage[2]);
    k.nngp_train = args.matrix("nngp_train", storage[3]);
    k.nngp_test_train = args.matrix("nngp_test_train", storage[4]);
    k.nngp_test_test = args.matrix("nngp_test_test", storage[5]);
    if (!k.train->is_square())
      throw_error(kFn, ": K_train is ", k.train->n_rows, " x ", k.train->n_cols,
                  "; expected the square n x n train-train block");
    if (!args.has("Y")) args.fail("Y", "is required (k x n targets, or a vector of n values)");
    args.push("Y");
    const arma::mat Y = targets(L, lua_gettop(L), k.train->n_rows, kFn, "Y");
    lua_pop(L, 1);
    bool listed = false;
    const arma::vec times = read_times(L, args, listed);
    solve::EnsembleOptions options;
    options.kernel = args.choice("kernel", "ntk", {"ntk", "nngp"}) == "ntk"
                         ? solve::EnsembleKernel::ntk
                         : solve::EnsembleKernel::nngp;
    options.ridge = args.number("ridge", 0.0, Range::non_negative());
    options.covariance = args.boolean("covariance", true);
    std::vector<solve::EnsemblePrediction> out = solve::ensemble_predict(k, Y, times, options);
    if (!listed) {
      push_prediction(L, std::move(out.front()));
      return 1;
    }
    lua_createtable(L, static_cast<int>(out.size()), 0);
    for (std::size_t j = 0; j < out.size(); ++j) {
      push_prediction(L, std::move(out[j]));
      lua_rawseti(L, -2, static_cast<lua_Integer>(j + 1));
    }
    return 1;
  });
}

}  // namespace ntk::lua
