// ntk.solve on distributed kernels (ntk.dmatrix, issue 16; core/distributed/distributed.hpp).
// Every call is collective: every rank makes it with the same arguments (Y, λ and the inputs
// are checked). Small results come back on every rank.
//
//   ntk.solve.ridge(D, Y, lambda [, {tolerance, max_steps, max_residual, estimate_condition,
//                                     keep_kernel = true}])   (keep_kernel = false: D keeps the
//       factor instead of being restored, saving one exchange of half the matrix; D is then
//       unusable)
//   ntk.solve.interpolate(D, Y [, options])
//       -> {alpha = n × k, method = "scalapack_cholesky" | "scalapack_cholesky_float32_refined",
//           condition_number (float64), residual, refinement_steps, residual_history,
//           seconds = {factorisation, solve, residual, condition, restore, total}}; D is
//           restored before returning
//   ntk.solve.predict(D_test, alpha | result) -> k × m predictions (D_test: m × n distributed)
//   ntk.solve.spectral(D, Y [, {u0 = k × n, K_test = D_test (m × n distributed), f0_test}])
//       -> S with S:ridge(lambda) -> {lambda, alpha, train, test}, S:train_predictions(t),
//          S:test_predictions(t), S:loss(t), S:loss_curve(ts), S:residual_norm2(t),
//          S:eigenvalues() (n × 1, descending, as ntk.spectral), S:size() -> n, k, m
#include <cmath>
#include <memory>
#include <new>

#include "core/distributed/distributed.hpp"
#include "lua/args.hpp"
#include "lua/dmatrix.hpp"
#include "lua/module.hpp"
#include "lua/solve_args.hpp"
#include "lua/table_reader.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::lua {
namespace {

namespace dist = core::distributed;
using namespace solve_args;

// The ntk.matrix alpha of argument `index`, or of a ridge result table there.
const arma::mat& alpha_arg(lua_State* L, int index, const char* fn) {
  arma::mat* alpha = test_matrix(L, index);
  if (!alpha && lua_istable(L, index)) {
    lua_getfield(L, index, "alpha");
    alpha = test_matrix(L, -1);
    lua_pop(L, 1);  // the result table keeps it alive
  }
  if (!alpha) argument_error(L, index, fn, "ntk.matrix alpha or a ridge result");
  return *alpha;
}

struct SpectralHandle {
  std::unique_ptr<dist::DistributedSpectral> solver;
  std::shared_ptr<dist::DistributedMatrix> test;  // K_test, when given (kept alive here)
  arma::mat f0_test;
};

constexpr const char* kMeta = "ntk.dspectral";

SpectralHandle& spectral_arg(lua_State* L, const char* fn) {
  auto* h = static_cast<SpectralHandle*>(luaL_testudata(L, 1, kMeta));
  if (!h || !h->solver) argument_error(L, 1, fn, "ntk.dspectral");
  return *h;
}

double time_arg(lua_State* L, int index, const char* fn) {
  const double t = number_arg(L, index, fn);
  if (!(t >= 0)) throw_error(fn, "(): t must be >= 0 (math.huge for the converged model), got ", t);
  return t;
}

arma::mat test_predictions(const SpectralHandle& h, const arma::mat& alpha, const char* fn) {
  if (!h.test) throw_error(fn, "(): the solver has no K_test (give K_test = D_test to ntk.solve.spectral)");
  arma::mat f = dist::distributed_predict(*h.test, alpha);
  if (!h.f0_test.is_empty()) f += h.f0_test;
  return f;
}

int s_gc(lua_State* L) {
  auto* h = static_cast<SpectralHandle*>(lua_touserdata(L, 1));
  h->~SpectralHandle();
  new (h) SpectralHandle{};
  return 0;
}

int s_tostring(lua_State* L) {
  SpectralHandle& h = spectral_arg(L, "tostring");
  lua_pushfstring(L, "ntk.dspectral (n = %d, k = %d, distributed)", int(h.solver->num_train()),
                  int(h.solver->num_outputs()));
  return 1;
}

int s_ridge(lua_State* L) {
  return protect(L, [&] {
    SpectralHandle& h = spectral_arg(L, "ridge");
    const double lambda = number_arg(L, 2, "ridge");
    arma::mat alpha = h.solver->ridge_alpha(lambda);
    lua_createtable(L, 0, 4);
    set_number(L, "lambda", lambda);
    push_matrix(L, h.solver->ridge_train_predictions(lambda));
    lua_setfield(L, -2, "train");
    if (h.test) {
      push_matrix(L, dist::distributed_predict(*h.test, alpha));
      lua_setfield(L, -2, "test");
    }
    push_matrix(L, std::move(alpha));
    lua_setfield(L, -2, "alpha");
    return 1;
  });
}

int s_train(lua_State* L) {
  return protect(L, [&] {
    SpectralHandle& h = spectral_arg(L, "train_predictions");
    push_matrix(L, h.solver->train_predictions(time_arg(L, 2, "train_predictions")));
    return 1;
  });
}

int s_test(lua_State* L) {
  return protect(L, [&] {
    SpectralHandle& h = spectral_arg(L, "test_predictions");
    const double t = time_arg(L, 2, "test_predictions");
    push_matrix(L, test_predictions(h, h.solver->flow_alpha(t), "test_predictions"));
    return 1;
  });
}

int s_loss(lua_State* L) {
  return protect(L, [&] {
    SpectralHandle& h = spectral_arg(L, "loss");
    lua_pushnumber(L, h.solver->loss(time_arg(L, 2, "loss")));
    return 1;
  });
}

int s_residual(lua_State* L) {
  return protect(L, [&] {
    SpectralHandle& h = spectral_arg(L, "residual_norm2");
    lua_pushnumber(L, h.solver->residual_norm2(time_arg(L, 2, "residual_norm2")));
    return 1;
  });
}

int s_loss_curve(lua_State* L) {
  return protect(L, [&] {
    SpectralHandle& h = spectral_arg(L, "loss_curve");
    luaL_checktype(L, 2, LUA_TTABLE);
    const lua_Integer n = luaL_len(L, 2);
    lua_createtable(L, int(n), 0);
    for (lua_Integer i = 1; i <= n; ++i) {
      lua_geti(L, 2, i);
      const double t = time_arg(L, -1, "loss_curve");
      lua_pop(L, 1);
      lua_pushnumber(L, h.solver->loss(t));
      lua_rawseti(L, -2, i);
    }
    return 1;
  });
}

int s_eigenvalues(lua_State* L) {
  return protect(L, [&] {
    SpectralHandle& h = spectral_arg(L, "eigenvalues");
    push_matrix(L, arma::mat(arma::reverse(h.solver->eigenvalues())));
    return 1;
  });
}

int s_size(lua_State* L) {
  return protect(L, [&] {
    SpectralHandle& h = spectral_arg(L, "size");
    lua_pushinteger(L, lua_Integer(h.solver->num_train()));
    lua_pushinteger(L, lua_Integer(h.solver->num_outputs()));
    lua_pushinteger(L, h.test ? lua_Integer(h.test->n_rows()) : 0);
    return 3;
  });
}

const luaL_Reg kMethods[] = {{"ridge", s_ridge},
                             {"train_predictions", s_train},
                             {"test_predictions", s_test},
                             {"loss", s_loss},
                             {"loss_curve", s_loss_curve},
                             {"residual_norm2", s_residual},
                             {"eigenvalues", s_eigenvalues},
                             {"size", s_size},
                             {nullptr, nullptr}};

}  // namespace

int distributed_ridge(lua_State* L, const char* fn, bool has_ridge) {
  dist::DistributedMatrix& K = check_dmatrix(L, 1, fn);
  const arma::mat Y = targets(L, 2, K.n_rows(), fn, "Y");
  const double ridge = has_ridge ? number_arg(L, 3, fn) : 0.0;
  const int options_index = has_ridge ? 4 : 3;
  dist::DistributedRidgeOptions options;
  if (!lua_isnoneornil(L, options_index)) {
    const TableReader args(L, options_index, std::string("ntk.solve.") + fn + " (distributed)",
                           {"tolerance", "max_steps", "max_residual", "estimate_condition",
                            "keep_kernel"});
    read_refinement_options(args, options);
    options.estimate_condition = args.boolean("estimate_condition", options.estimate_condition);
  }
  dist::DistributedRidgeSolution s = dist::distributed_ridge(K, Y, ridge, options);
  lua_createtable(L, 0, 8);
  push_matrix(L, std::move(s.alpha));
  lua_setfield(L, -2, "alpha");
  lua_pushlstring(L, s.method.data(), s.method.size());
  lua_setfield(L, -2, "method");
  set_number(L, "condition_number", s.condition_number);
  set_number(L, "residual", s.residual);
  lua_pushinteger(L, s.refinement_steps);
  lua_setfield(L, -2, "refinement_steps");
  set_numbers(L, "residual_history", s.residual_history);
  lua_createtable(L, 0, 6);
  set_number(L, "factorisation", s.seconds.factorisation);
  set_number(L, "solve", s.seconds.solve);
  set_number(L, "residual", s.seconds.residual);
  set_number(L, "condition", s.seconds.condition);
  set_number(L, "restore", s.seconds.restore);
  set_number(L, "total", s.seconds.total);
  lua_setfield(L, -2, "seconds");
  lua_newtable(L);
  lua_setfield(L, -2, "warnings");
  return 1;
}

int distributed_predict(lua_State* L) {
  const dist::DistributedMatrix& K = check_dmatrix(L, 1, "predict");
  push_matrix(L, dist::distributed_predict(K, alpha_arg(L, 2, "predict")));
  return 1;
}

int distributed_spectral(lua_State* L) {
  const char* fn = "spectral";
  dist::DistributedMatrix& K = check_dmatrix(L, 1, fn);
  const arma::mat Y = targets(L, 2, K.n_rows(), fn, "Y");
  arma::mat u0, f0_test;
  std::shared_ptr<dist::DistributedMatrix> test;
  if (!lua_isnoneornil(L, 3)) {
    const TableReader args(L, 3, "ntk.solve.spectral (distributed)", {"u0", "K_test", "f0_test"});
    if (args.push("u0") != LUA_TNIL) u0 = targets(L, -1, K.n_rows(), fn, "u0");
    lua_pop(L, 1);
    if (args.push("K_test") != LUA_TNIL) {
      test = shared_dmatrix(L, -1, "ntk.solve.spectral K_test");  // kept, not copied
      if (test->n_cols() != K.n_rows())
        throw_error("ntk.solve.spectral: K_test is ", test->n_rows(), " x ", test->n_cols(),
                    "; expected m x ", K.n_rows());
    }
    lua_pop(L, 1);
    if (args.push("f0_test") != LUA_TNIL) {
      if (!test) throw_error("ntk.solve.spectral: f0_test needs K_test");
      f0_test = targets(L, -1, test->n_rows(), fn, "f0_test");
    }
    lua_pop(L, 1);
  }
  auto solver = std::make_unique<dist::DistributedSpectral>(K, Y, u0);
  void* block = lua_newuserdatauv(L, sizeof(SpectralHandle), 0);
  new (block) SpectralHandle{std::move(solver), std::move(test), std::move(f0_test)};
  if (luaL_getmetatable(L, kMeta) == LUA_TNIL) {
    lua_pop(L, 1);
    register_userdata_type(L, kMeta, s_gc, s_tostring, kMethods);
    luaL_getmetatable(L, kMeta);
  }
  lua_setmetatable(L, -2);
  return 1;
}

}  // namespace ntk::lua
