// Lua object ntk.spectral (made by ntk.solve.spectral): one eigen-decomposition of the train
// kernel, then cheap answers for many ridges λ and gradient-flow times t
// (core/solve/spectral.hpp has the formulas and the time convention).
//
//   S = ntk.solve.spectral(K, Y [, {u0 = k × n, K_test = m × n, f0_test = k × m}])
//   S:ridge(lambda)              -> {lambda, alpha = n × k, train = k × n, test = k × m (with K_test)}
//   S:ridge{l1, l2, ...}         -> list of {lambda, train, test}, one matrix product for all
//   S:train_predictions(t)       -> k × n, u(t) = y + e^{−tK}(u0 − y); a list of t -> list
//   S:test_predictions(t)        -> k × m, f_t(x) = f0(x) + K(x,X)K⁻¹(I − e^{−tK})(y − u0); list ok
//   S:loss(t)                    -> 1/(2n) Σ_i ‖u_i(t) − y_i‖² (the loss of ntk.train.gd)
//   S:loss_curve(ts)             -> list of loss(t) for a list (or vector) of times
//   S:residual_norm2(t)          -> ‖u(t) − y‖²_F = Σ_i e^{−2λ_i t}⟨v_i, y − u0⟩²
//   S:eigenvalues()              -> n × 1, descending
//   S:warnings()                 -> list of the warnings of the decomposition (also on stderr)
//   S:size()                     -> n, k, m
// Time t is the gradient flow of u̇ = −K(u − y); t = math.huge is the converged model. For GD
// with learning rate η on ntk.train's loss 1/(2n)Σ‖f − y‖², s steps are t = η·s/n with K = Θ,
// or t = η·s with K = Θ/n.
#include <lua.hpp>

#include <new>
#include <string>

#include "core/solve/spectral.hpp"
#include "lua/dmatrix.hpp"
#include "lua/args.hpp"
#include "lua/module.hpp"
#include "lua/table_reader.hpp"
#include "lua/solve_args.hpp"
#include "lua/solve_models.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::lua {
namespace {

namespace solve = core::solve;
using namespace solve_args;

constexpr const char* kSpectralMeta = "ntk.spectral";

solve::SpectralSolver& self(lua_State* L, const char* method) {
  auto* s = static_cast<solve::SpectralSolver*>(luaL_testudata(L, 1, kSpectralMeta));
  if (!s) throw_error(method, "(): call it as a method, S:", method, "(...)");
  return *s;
}

// A list (table or vector matrix) of numbers, or nothing when the argument is a single number.
bool is_list(lua_State* L, int index) { return lua_istable(L, index) || test_matrix(L, index); }

arma::vec number_list(lua_State* L, int index, const char* fn) {
  if (test_matrix(L, index)) return values(L, index, fn, "the list of values");
  const lua_Integer count = luaL_len(L, index);
  arma::vec out(static_cast<arma::uword>(count));
  for (lua_Integer i = 1; i <= count; ++i) {
    lua_rawgeti(L, index, i);
    if (lua_type(L, -1) != LUA_TNUMBER) {
      lua_pop(L, 1);
      throw_error(fn, "(): list entry ", i, " is not a number");
    }
    out[static_cast<arma::uword>(i - 1)] = lua_tonumber(L, -1);
    lua_pop(L, 1);
  }
  return out;
}

void push_cube_as_list(lua_State* L, const arma::cube& c) {
  lua_createtable(L, static_cast<int>(c.n_slices), 0);
  for (arma::uword j = 0; j < c.n_slices; ++j) {
    push_matrix(L, c.slice(j));
    lua_rawseti(L, -2, static_cast<lua_Integer>(j + 1));
  }
}

int l_ridge(lua_State* L) {
  return protect(L, [&] {
    const solve::SpectralSolver& s = self(L, "ridge");
    if (!is_list(L, 2)) {
      const double ridge = number_arg(L, 2, "ridge");
      lua_createtable(L, 0, 4);
      set_number(L, "lambda", ridge);
      set_matrix(L, "alpha", s.ridge_alpha(ridge));
      set_matrix(L, "train", s.ridge_train_predictions(ridge));
      if (s.has_test()) set_matrix(L, "test", s.ridge_test_predictions(ridge));
      return 1;
    }
    const arma::vec ridges = number_list(L, 2, "ridge");
    const arma::cube train = s.ridge_train_predictions_many(ridges);
    arma::cube test;
    if (s.has_test()) test = s.ridge_test_predictions_many(ridges);
    lua_createtable(L, static_cast<int>(ridges.n_elem), 0);
    for (arma::uword j = 0; j < ridges.n_elem; ++j) {
      lua_createtable(L, 0, 3);
      set_number(L, "lambda", ridges[j]);
      set_matrix(L, "train", train.slice(j));
      if (s.has_test()) set_matrix(L, "test", test.slice(j));
      lua_rawseti(L, -2, static_cast<lua_Integer>(j + 1));
    }
    return 1;
  });
}

int l_train_predictions(lua_State* L) {
  return protect(L, [&] {
    const solve::SpectralSolver& s = self(L, "train_predictions");
    if (is_list(L, 2))
      push_cube_as_list(L, s.train_predictions_many(number_list(L, 2, "train_predictions")));
    else
      push_matrix(L, s.train_predictions(number_arg(L, 2, "train_predictions")));
    return 1;
  });
}

int l_test_predictions(lua_State* L) {
  return protect(L, [&] {
    const solve::SpectralSolver& s = self(L, "test_predictions");
    if (is_list(L, 2))
      push_cube_as_list(L, s.test_predictions_many(number_list(L, 2, "test_predictions")));
    else
      push_matrix(L, s.test_predictions(number_arg(L, 2, "test_predictions")));
    return 1;
  });
}

int l_loss(lua_State* L) {
  return protect(L, [&] {
    lua_pushnumber(L, self(L, "loss").loss(number_arg(L, 2, "loss")));
    return 1;
  });
}

int l_residual_norm2(lua_State* L) {
  return protect(L, [&] {
    lua_pushnumber(L, self(L, "residual_norm2").residual_norm2(number_arg(L, 2, "residual_norm2")));
    return 1;
  });
}

int l_loss_curve(lua_State* L) {
  return protect(L, [&] {
    const solve::SpectralSolver& s = self(L, "loss_curve");
    if (!is_list(L, 2)) argument_error(L, 2, "loss_curve", "list of times");
    const arma::vec curve = s.loss_curve(number_list(L, 2, "loss_curve"));
    lua_createtable(L, static_cast<int>(curve.n_elem), 0);
    for (arma::uword j = 0; j < curve.n_elem; ++j) {
      lua_pushnumber(L, curve[j]);
      lua_rawseti(L, -2, static_cast<lua_Integer>(j + 1));
    }
    return 1;
  });
}

int l_eigenvalues(lua_State* L) {
  return protect(L, [&] {
    push_matrix(L, arma::mat(arma::flipud(self(L, "eigenvalues").eigenvalues())));
    return 1;
  });
}

int l_warnings(lua_State* L) {
  return protect(L, [&] {
    const auto& warnings = self(L, "warnings").warnings();
    lua_createtable(L, static_cast<int>(warnings.size()), 0);
    for (std::size_t i = 0; i < warnings.size(); ++i) {
      lua_pushstring(L, warnings[i].c_str());
      lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
    }
    return 1;
  });
}

int l_size(lua_State* L) {
  return protect(L, [&] {
    const solve::SpectralSolver& s = self(L, "size");
    lua_pushinteger(L, static_cast<lua_Integer>(s.num_train()));
    lua_pushinteger(L, static_cast<lua_Integer>(s.num_outputs()));
    lua_pushinteger(L, static_cast<lua_Integer>(s.num_test()));
    return 3;
  });
}

int l_gc(lua_State* L) {
  if (auto* s = static_cast<solve::SpectralSolver*>(luaL_testudata(L, 1, kSpectralMeta))) {
    s->~SpectralSolver();
    lua_pushnil(L);
    lua_setmetatable(L, 1);  // a resurrected object is no longer a solver
  }
  return 0;
}

int l_tostring(lua_State* L) {
  auto* s = static_cast<solve::SpectralSolver*>(luaL_checkudata(L, 1, kSpectralMeta));
  lua_pushfstring(L, "ntk.spectral(n = %d, k = %d, test = %d)", static_cast<int>(s->num_train()),
                  static_cast<int>(s->num_outputs()), static_cast<int>(s->num_test()));
  return 1;
}

const luaL_Reg kMethods[] = {{"ridge", l_ridge},
                             {"train_predictions", l_train_predictions},
                             {"test_predictions", l_test_predictions},
                             {"loss", l_loss},
                             {"loss_curve", l_loss_curve},
                             {"residual_norm2", l_residual_norm2},
                             {"eigenvalues", l_eigenvalues},
                             {"warnings", l_warnings},
                             {"size", l_size},
                             {nullptr, nullptr}};

}  // namespace

int l_spectral(lua_State* L) {
  const char* fn = "spectral";
  return protect(L, [&] {
    if (test_dmatrix(L, 1)) return distributed_spectral(L);  // solve_distributed.cpp
    const arma::mat& K = matrix_arg(L, 1, fn);
    const arma::mat Y = targets(L, 2, K.n_rows, fn, "Y");
    solve::SpectralOptions options;
    if (!lua_isnoneornil(L, 3)) {
      const TableReader args(L, 3, "ntk.solve.spectral", {"u0", "K_test", "f0_test"});
      arma::mat storage;
      if (args.push("u0") != LUA_TNIL) options.u0 = targets(L, -1, K.n_rows, fn, "u0");
      lua_pop(L, 1);
      if (const arma::mat* m = args.matrix("K_test", storage)) options.K_test = *m;
      if (lua_getfield(L, 3, "f0_test") != LUA_TNIL) {
        const arma::uword m = options.K_test.n_rows;
        options.f0_test = targets(L, -1, m, fn, "f0_test");
      }
      lua_pop(L, 1);
    }
    solve::SpectralSolver solver(K, Y, options);
    options = {};  // free the copies before the object is pushed
    void* block = lua_newuserdatauv(L, sizeof(solve::SpectralSolver), 0);
    new (block) solve::SpectralSolver(std::move(solver));
    luaL_setmetatable(L, kSpectralMeta);
    return 1;
  });
}

void register_spectral(lua_State* L) {
  register_userdata_type(L, kSpectralMeta, l_gc, l_tostring, kMethods);
}

}  // namespace ntk::lua
