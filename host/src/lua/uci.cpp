// Lua access to the UCI classification sets of Arora et al. 2020 (core/data/uci.hpp):
//
//   d = ntk.data.uci(name_or_path)
//     d.name        "iris"
//     d.x, d.X      d × n ntk.matrix of (standardised) features, one sample per column
//     d.labels, d.y 1 × n ntk.matrix of class ids 0..k−1 (as in the file; the SVM's labels)
//     d.classes     {0, 1, …, k−1};  d.n_classes = k;  d.d = features;  d.n = samples
//     d.split       {train = {…}, val = {…}}: conxuntos.dat (hyper-parameter selection)
//     d.folds       {{train = {…}, test = {…}} × 4}: conxuntos_kfold.dat
//   Indices are 1-based in Lua (0-based in the files).
//   ntk.data.uci_index([all])  -> list of names from data/uci/INDEX.tsv: the 90 sets of the
//                                paper (in_arora2020_90 = yes), or every row with all = true
#include <lua.hpp>

#include "core/data/uci.hpp"
#include "lua/args.hpp"
#include "lua/module.hpp"
#include "lua/solve_args.hpp"

namespace ntk::lua {
namespace {

namespace data = core::data;

void push_indices(lua_State* L, const std::vector<arma::uword>& zero_based) {
  solve_args::push_index_list(L, arma::uvec(zero_based));
}

void push_split(lua_State* L, const data::UciSplit& s, const char* test_name) {
  lua_createtable(L, 0, 2);
  push_indices(L, s.train);
  lua_setfield(L, -2, "train");
  push_indices(L, s.test);
  lua_setfield(L, -2, test_name);
}

int l_uci(lua_State* L) {
  return protect(L, [&] {
    const data::UciDataset d = data::read_uci(string_arg(L, 1, "uci"));
    lua_createtable(L, 0, 12);
    lua_pushstring(L, d.name.c_str());
    lua_setfield(L, -2, "name");
    push_matrix(L, d.x);
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "X");
    lua_setfield(L, -2, "x");
    push_matrix(L, arma::conv_to<arma::mat>::from(d.labels));
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "y");
    lua_setfield(L, -2, "labels");
    lua_createtable(L, static_cast<int>(d.classes), 0);
    for (arma::uword c = 0; c < d.classes; ++c) {
      lua_pushinteger(L, static_cast<lua_Integer>(c));
      lua_rawseti(L, -2, static_cast<lua_Integer>(c + 1));
    }
    lua_setfield(L, -2, "classes");
    lua_pushinteger(L, static_cast<lua_Integer>(d.classes));
    lua_setfield(L, -2, "n_classes");
    lua_pushinteger(L, static_cast<lua_Integer>(d.x.n_rows));
    lua_setfield(L, -2, "d");
    lua_pushinteger(L, static_cast<lua_Integer>(d.x.n_cols));
    lua_setfield(L, -2, "n");
    push_split(L, d.validation, "val");
    lua_setfield(L, -2, "split");
    lua_createtable(L, static_cast<int>(d.folds.size()), 0);
    for (std::size_t k = 0; k < d.folds.size(); ++k) {
      push_split(L, d.folds[k], "test");
      lua_rawseti(L, -2, static_cast<lua_Integer>(k + 1));
    }
    lua_setfield(L, -2, "folds");
    return 1;
  });
}

int l_uci_index(lua_State* L) {
  return protect(L, [&] {
    if (!lua_isnoneornil(L, 1) && !lua_isboolean(L, 1))
      argument_error(L, 1, "uci_index", "boolean or nil");
    const std::vector<std::string> names = data::uci_index(!lua_toboolean(L, 1));
    lua_createtable(L, static_cast<int>(names.size()), 0);
    for (std::size_t i = 0; i < names.size(); ++i) {
      lua_pushstring(L, names[i].c_str());
      lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
    }
    return 1;
  });
}

}  // namespace

void open_uci(lua_State* L, Context&) {
  push_data_table(L);  // shared with the other ntk.data openers, in any order
  lua_pushcfunction(L, l_uci);
  lua_setfield(L, -2, "uci");
  lua_pushcfunction(L, l_uci_index);
  lua_setfield(L, -2, "uci_index");
  lua_pop(L, 1);
}

}  // namespace ntk::lua
