// Lua object ntk.svm (made by ntk.solve.svm): C-SVM on a precomputed kernel through libsvm
// (core/solve/kernel_svm.hpp); multi-class by libsvm's one-vs-one voting.
//
//   model = ntk.solve.svm{K = n × n, labels = n integer labels (vector, list, or a k × n
//                         one-hot / score matrix whose column argmax is the class 1..k),
//                         C = 1, tolerance = 1e-3, cache_mb = 100, shrinking = true}
//   model:predict(K_test_train)          -> 1 × m predicted labels (m × n test-train kernel)
//   model:decision_values(K_test_train)  -> (c(c−1)/2) × m one-vs-one decision values
//   model:accuracy(K_test_train, labels) -> fraction of test labels predicted right
//   model:classes()                      -> list of class labels in libsvm's order
//   model:support_indices()              -> list of 1-based training indices of the SVs
#include <lua.hpp>

#include <new>
#include <optional>

#include "core/solve/kernel_svm.hpp"
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

constexpr const char* kSvmMeta = "ntk.svm";

const solve::KernelSvm& self(lua_State* L, const char* method) {
  auto* s = static_cast<solve::KernelSvm*>(luaL_testudata(L, 1, kSvmMeta));
  if (!s) throw_error(method, "(): call it as a method, model:", method, "(...)");
  return *s;
}

int l_predict(lua_State* L) {
  return protect(L, [&] {
    const solve::KernelSvm& s = self(L, "predict");
    push_matrix(L, arma::mat(s.predict(matrix_arg(L, 2, "predict")).t()));
    return 1;
  });
}

int l_decision_values(lua_State* L) {
  return protect(L, [&] {
    const solve::KernelSvm& s = self(L, "decision_values");
    push_matrix(L, s.decision_values(matrix_arg(L, 2, "decision_values")));
    return 1;
  });
}

int l_accuracy(lua_State* L) {
  return protect(L, [&] {
    const solve::KernelSvm& s = self(L, "accuracy");
    const arma::mat& K_test = matrix_arg(L, 2, "accuracy");
    const arma::vec truth = labels(L, 3, "accuracy", "labels");
    if (truth.n_elem != K_test.n_rows)
      throw_error("accuracy(): ", truth.n_elem, " labels for ", K_test.n_rows, " test points");
    const arma::vec predicted = s.predict(K_test);
    lua_pushnumber(L, static_cast<double>(arma::accu(predicted == truth)) /
                          static_cast<double>(truth.n_elem));
    return 1;
  });
}

int l_classes(lua_State* L) {
  return protect(L, [&] {
    const arma::vec classes = self(L, "classes").classes();
    lua_createtable(L, static_cast<int>(classes.n_elem), 0);
    for (arma::uword c = 0; c < classes.n_elem; ++c) {
      push_integer_if_whole(L, classes[c]);
      lua_rawseti(L, -2, static_cast<lua_Integer>(c + 1));
    }
    return 1;
  });
}

int l_support_indices(lua_State* L) {
  return protect(L, [&] {
    push_index_list(L, self(L, "support_indices").support_indices());
    return 1;
  });
}

int l_gc(lua_State* L) {
  if (auto* s = static_cast<solve::KernelSvm*>(luaL_testudata(L, 1, kSvmMeta))) {
    s->~KernelSvm();
    lua_pushnil(L);
    lua_setmetatable(L, 1);
  }
  return 0;
}

int l_tostring(lua_State* L) {
  auto* s = static_cast<solve::KernelSvm*>(luaL_checkudata(L, 1, kSvmMeta));
  lua_pushfstring(L, "ntk.svm(n = %d, classes = %d, support vectors = %d)",
                  static_cast<int>(s->num_train()), static_cast<int>(s->classes().n_elem),
                  static_cast<int>(s->support_indices().n_elem));
  return 1;
}

const luaL_Reg kMethods[] = {{"predict", l_predict},
                             {"decision_values", l_decision_values},
                             {"accuracy", l_accuracy},
                             {"classes", l_classes},
                             {"support_indices", l_support_indices},
                             {nullptr, nullptr}};

}  // namespace

int l_svm(lua_State* L) {
  const char* fn = "svm";
  return protect(L, [&] {
    const TableReader args(L, 1, "ntk.solve.svm",
                           {"K", "labels", "C", "tolerance", "cache_mb", "shrinking"});
    arma::mat storage;
    const arma::mat& K = args.required_matrix("K", storage);
    if (!args.has("labels")) args.fail("labels", "is required");
    args.push("labels");
    const arma::vec y = labels(L, -1, fn, "labels");
    lua_pop(L, 1);
    solve::SvmOptions options;
    options.C = args.number("C", options.C, Range::positive());
    options.tolerance = args.number("tolerance", options.tolerance, Range::positive());
    options.cache_mb = args.number("cache_mb", options.cache_mb, Range::positive());
    options.shrinking = args.boolean("shrinking", options.shrinking);
    solve::KernelSvm model(K, y, options);
    void* block = lua_newuserdatauv(L, sizeof(solve::KernelSvm), 0);
    new (block) solve::KernelSvm(std::move(model));
    luaL_setmetatable(L, kSvmMeta);
    return 1;
  });
}

void register_svm(lua_State* L) {
  register_userdata_type(L, kSvmMeta, l_gc, l_tostring, kMethods);
}

void register_solve_models(lua_State* L) {
  register_spectral(L);
  register_svm(L);
}

}  // namespace ntk::lua
