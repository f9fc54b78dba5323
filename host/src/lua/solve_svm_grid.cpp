// ntk.solve.svm_grid: a C-SVM grid over kernels × splits × C values (core/solve/svm_grid.hpp).
//
//   r = ntk.solve.svm_grid{K = n × n kernel | {K1, K2, ...}, labels = n integer labels,
//                          splits = {{train = {...}, test = {...}}, ...}  (1-based indices, as
//                                    ntk.solve.kfold / folds / G:folds() give them),
//                          C = {...}, tolerance = 1e-3, cache_mb = 100, shrinking = true,
//                          threads = omp_get_max_threads()}
//   r.accuracy  -> #splits × #C ntk.matrix of test accuracies (fractions); a list of them, one
//                  per kernel, when K is a list
//   r.fits, r.fits_saved, r.seconds   (fits run; grid cells taken from a smaller C's fit because
//                  that fit had no coefficient at its bound, so larger C give the same model)
// Equal to one ntk.solve.svm fit per (kernel, split, C) up to libsvm's tolerance, faster: one
// libsvm problem per (kernel, split) reused across C, tasks in parallel.
#include <lua.hpp>

#include <vector>

#include "core/solve/svm_grid.hpp"
#include "lua/args.hpp"
#include "lua/module.hpp"
#include "lua/solve_args.hpp"
#include "lua/solve_models.hpp"
#include "lua/table_reader.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::lua {
namespace {

namespace solve = core::solve;
using namespace solve_args;
constexpr const char* kFn = "ntk.solve.svm_grid";

// K: one ntk.matrix or a list of them; `storage` keeps converted tables alive.
std::vector<const arma::mat*> kernels_field(lua_State* L, const TableReader& args,
                                            bool& is_list) {
  if (!args.has("K")) args.fail("K", "is required");
  args.push("K");
  std::vector<const arma::mat*> out;
  is_list = false;
  if (const arma::mat* single = test_matrix(L, -1)) {
    out.push_back(single);
  } else if (lua_istable(L, -1)) {
    is_list = true;
    const lua_Integer count = static_cast<lua_Integer>(lua_rawlen(L, -1));
    if (count == 0) args.fail("K", "is an empty list; give an ntk.matrix or a list of them");
    for (lua_Integer i = 1; i <= count; ++i) {
      lua_rawgeti(L, -1, i);
      const arma::mat* m = test_matrix(L, -1);
      if (!m) args.fail("K", "item " + std::to_string(i) + " is not an ntk.matrix");
      out.push_back(m);
      lua_pop(L, 1);
    }
  } else {
    args.fail("K", "must be an ntk.matrix or a list of them");
  }
  lua_pop(L, 1);
  return out;
}

std::vector<solve::SvmSplit> splits_field(lua_State* L, const TableReader& args, arma::uword n) {
  if (!args.has("splits")) args.fail("splits", "is required (a list of {train = ..., test = ...})");
  args.push("splits");
  if (!lua_istable(L, -1)) args.fail("splits", "must be a list of {train = ..., test = ...}");
  std::vector<solve::SvmSplit> out;
  const lua_Integer count = static_cast<lua_Integer>(lua_rawlen(L, -1));
  if (count == 0) args.fail("splits", "is empty");
  for (lua_Integer i = 1; i <= count; ++i) {
    lua_rawgeti(L, -1, i);
    const TableReader split = TableReader::record(L, -1, std::string(kFn) + " splits[" +
                                                              std::to_string(i) + "]");
    solve::SvmSplit s;
    for (const char* key : {"train", "test"}) {
      if (!split.has(key)) split.fail(key, "is required");
      split.push(key);
      (key[1] == 'r' ? s.train : s.test) = index_list(L, -1, n, "svm_grid", key);
      lua_pop(L, 1);
    }
    out.push_back(std::move(s));
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return out;
}

}  // namespace

int l_svm_grid(lua_State* L) {
  return protect(L, [&] {
    const TableReader args(L, 1, kFn,
                           {"K", "labels", "splits", "C", "tolerance", "cache_mb", "shrinking",
                            "threads"});
    bool is_list = false;
    const std::vector<const arma::mat*> kernels = kernels_field(L, args, is_list);
    if (!args.has("labels")) args.fail("labels", "is required");
    args.push("labels");
    const arma::vec y = labels(L, -1, "svm_grid", "labels");
    lua_pop(L, 1);
    const std::vector<solve::SvmSplit> splits = splits_field(L, args, y.n_elem);
    const auto C = args.numbers("C", Range::positive());
    if (!C || C->empty()) args.fail("C", "is required (a list of C values > 0)");
    solve::SvmOptions options;
    options.tolerance = args.number("tolerance", options.tolerance, Range::positive());
    options.cache_mb = args.number("cache_mb", options.cache_mb, Range::positive());
    options.shrinking = args.boolean("shrinking", options.shrinking);
    const int threads = static_cast<int>(args.integer("threads", 0, Range::at_least(0)));

    const solve::SvmGridResult r = solve::svm_grid(kernels, y, splits, *C, options, threads);
    lua_createtable(L, 0, 4);
    if (is_list) {
      lua_createtable(L, static_cast<int>(r.accuracy.size()), 0);
      for (std::size_t k = 0; k < r.accuracy.size(); ++k) {
        push_matrix(L, r.accuracy[k]);
        lua_rawseti(L, -2, static_cast<lua_Integer>(k + 1));
      }
    } else {
      push_matrix(L, r.accuracy.front());
    }
    lua_setfield(L, -2, "accuracy");
    lua_pushinteger(L, static_cast<lua_Integer>(r.fits));
    lua_setfield(L, -2, "fits");
    lua_pushinteger(L, static_cast<lua_Integer>(r.fits_saved));
    lua_setfield(L, -2, "fits_saved");
    lua_pushnumber(L, r.seconds);
    lua_setfield(L, -2, "seconds");
    return 1;
  });
}

}  // namespace ntk::lua
