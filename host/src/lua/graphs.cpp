// Lua graph collections: the TU benchmarks (core/data/tu_graphs.hpp) and user-made graphs,
// usable as inputs of arch:kernel / network methods of the gnn plugin.
//
//   G = ntk.data.tu(name_or_path, {degree_as_tag = b})  -- name: data/graphs/NAME/NAME.txt;
//        degree_as_tag defaults to true for IMDBBINARY, IMDBMULTI, COLLAB (as GIN and GNTK)
//   G = ntk.data.graphs(list [, labels])  -- list of {adjacency = n×n matrix (symmetric,
//        zero diagonal), features = f×n matrix}; labels: list or 1×n matrix (default zeros)
//   G:size(), #G          number of graphs
//   G:labels()            1 × n ntk.matrix of class ids 0, 1, … (first-appearance order)
//   G:classes()           list: the file's label of each class id
//   G:nodes(i), G:edges(i) nodes / undirected edges of graph i (1-based)
//   G:features()          node-feature dimension f
//   G:graph(i)            {adjacency = n×n matrix, features = f×n matrix}
//   G:subset(indices)     a new collection of graphs indices (1-based list or matrix)
//   G:folds()             the shipped 10 folds: list of {train = {...}, test = {...}},
//                         1-based indices (a TU data set only, not a subset)
//   G:name(), tostring(G)
#include "lua/graphs.hpp"

#include <cmath>
#include <filesystem>
#include <memory>
#include <new>
#include <sstream>
#include <string>
#include <vector>

#include "core/data/tu_graphs.hpp"
#include "lua/args.hpp"
#include "lua/module.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::lua {

namespace data = core::data;

namespace {

struct GraphSet {
  std::string name;
  std::string path;  // the TU file this came from, for folds(); empty for subsets and user graphs
  std::vector<sdk::Graph> graphs;
  arma::rowvec labels;
  std::vector<double> classes;
  arma::uword features = 0;
};

struct GraphHandle {
  std::shared_ptr<const GraphSet> set;
};

int graphs_gc(lua_State* L) {
  auto* h = static_cast<GraphHandle*>(lua_touserdata(L, 1));
  h->~GraphHandle();
  new (h) GraphHandle{};  // a resurrected object stays valid (empty; methods refuse it)
  return 0;
}

void push_graphs(lua_State* L, std::shared_ptr<const GraphSet> set) {
  void* block = lua_newuserdatauv(L, sizeof(GraphHandle), 0);
  new (block) GraphHandle{std::move(set)};
  luaL_setmetatable(L, kGraphsMeta);
}

const GraphSet& self(lua_State* L, const char* method) {
  auto* h = static_cast<GraphHandle*>(luaL_testudata(L, 1, kGraphsMeta));
  if (h == nullptr) throw_error(method, "(): call it as a method, graphs:", method, "(...)");
  if (!h->set) throw_error(method, "(): the graph collection was already finalised");
  return *h->set;
}

arma::uword graph_index(lua_State* L, int index, const GraphSet& set, const char* method) {
  const long long i = integer_arg(L, index, method);
  if (i < 1 || static_cast<arma::uword>(i) > set.graphs.size())
    throw_error(method, "(): graph index ", i, " is outside 1..", set.graphs.size());
  return static_cast<arma::uword>(i - 1);
}

// 1-based indices from a Lua list or an ntk.matrix (any shape, read in column-major order).
std::vector<arma::uword> index_list(lua_State* L, int index, arma::uword size, const char* method) {
  std::vector<double> raw;
  if (arma::mat* m = test_matrix(L, index)) {
    raw.assign(m->begin(), m->end());
  } else if (lua_istable(L, index)) {
    const lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, index));
    for (lua_Integer k = 1; k <= n; ++k) {
      lua_rawgeti(L, index, k);
      int ok = 0;
      const double v = lua_tonumberx(L, -1, &ok);
      lua_pop(L, 1);
      if (!ok) throw_error(method, "(): entry ", k, " of the index list is not a number");
      raw.push_back(v);
    }
  } else {
    argument_error(L, index, method, "list of 1-based indices or ntk.matrix");
  }
  std::vector<arma::uword> out;
  for (std::size_t k = 0; k < raw.size(); ++k) {
    const double v = raw[k];
    if (v != std::floor(v) || v < 1 || v > double(size))
      throw_error(method, "(): index ", v, " (entry ", k + 1, ") is not a whole number in 1..", size);
    out.push_back(static_cast<arma::uword>(v) - 1);
  }
  return out;
}

void push_index_list(lua_State* L, const std::vector<arma::uword>& indices) {
  lua_createtable(L, static_cast<int>(indices.size()), 0);
  for (std::size_t k = 0; k < indices.size(); ++k) {
    lua_pushinteger(L, static_cast<lua_Integer>(indices[k] + 1));
    lua_rawseti(L, -2, static_cast<lua_Integer>(k + 1));
  }
}

int l_size(lua_State* L) {
  return protect(L, [&] {
    lua_pushinteger(L, static_cast<lua_Integer>(self(L, "size").graphs.size()));
    return 1;
  });
}

int l_labels(lua_State* L) {
  return protect(L, [&] {
    push_matrix(L, arma::mat(self(L, "labels").labels));
    return 1;
  });
}

int l_classes(lua_State* L) {
  return protect(L, [&] {
    const GraphSet& s = self(L, "classes");
    lua_createtable(L, static_cast<int>(s.classes.size()), 0);
    for (std::size_t c = 0; c < s.classes.size(); ++c) {
      lua_pushnumber(L, s.classes[c]);
      lua_rawseti(L, -2, static_cast<lua_Integer>(c + 1));
    }
    return 1;
  });
}

int l_nodes(lua_State* L) {
  return protect(L, [&] {
    const GraphSet& s = self(L, "nodes");
    lua_pushinteger(L, static_cast<lua_Integer>(s.graphs[graph_index(L, 2, s, "nodes")].adjacency.n_rows));
    return 1;
  });
}

int l_edges(lua_State* L) {
  return protect(L, [&] {
    const GraphSet& s = self(L, "edges");
    const arma::sp_mat& a = s.graphs[graph_index(L, 2, s, "edges")].adjacency;
    lua_pushinteger(L, static_cast<lua_Integer>(a.n_nonzero / 2));
    return 1;
  });
}

int l_features(lua_State* L) {
  return protect(L, [&] {
    lua_pushinteger(L, static_cast<lua_Integer>(self(L, "features").features));
    return 1;
  });
}

int l_name(lua_State* L) {
  return protect(L, [&] {
    lua_pushstring(L, self(L, "name").name.c_str());
    return 1;
  });
}

int l_graph(lua_State* L) {
  return protect(L, [&] {
    const GraphSet& s = self(L, "graph");
    const sdk::Graph& g = s.graphs[graph_index(L, 2, s, "graph")];
    lua_createtable(L, 0, 2);
    push_matrix(L, arma::mat(g.adjacency));
    lua_setfield(L, -2, "adjacency");
    push_matrix(L, g.features);
    lua_setfield(L, -2, "features");
    return 1;
  });
}

int l_subset(lua_State* L) {
  return protect(L, [&] {
    const GraphSet& s = self(L, "subset");
    const std::vector<arma::uword> indices = index_list(L, 2, s.graphs.size(), "subset");
    auto out = std::make_shared<GraphSet>();
    out->name = s.name + " (subset)";
    out->classes = s.classes;
    out->features = s.features;
    out->labels.set_size(indices.size());
    for (std::size_t k = 0; k < indices.size(); ++k) {
      out->graphs.push_back(s.graphs[indices[k]]);
      out->labels(k) = s.labels(indices[k]);
    }
    push_graphs(L, std::move(out));
    return 1;
  });
}

int l_folds(lua_State* L) {
  return protect(L, [&] {
    const GraphSet& s = self(L, "folds");
    if (s.path.empty())
      throw_error("folds(): '", s.name, "' is not a whole TU data set loaded by ntk.data.tu; "
                  "folds are read from its 10fold_idx folder");
    const std::vector<data::TuFold> folds = data::read_tu_folds(s.path, s.graphs.size());
    lua_createtable(L, static_cast<int>(folds.size()), 0);
    for (std::size_t k = 0; k < folds.size(); ++k) {
      lua_createtable(L, 0, 2);
      push_index_list(L, folds[k].train);
      lua_setfield(L, -2, "train");
      push_index_list(L, folds[k].test);
      lua_setfield(L, -2, "test");
      lua_rawseti(L, -2, static_cast<lua_Integer>(k + 1));
    }
    return 1;
  });
}

int l_tostring(lua_State* L) {
  return protect(L, [&] {
    const GraphSet& s = self(L, "tostring");
    std::ostringstream out;
    out << "ntk.graphs " << s.name << ": " << s.graphs.size() << " graphs, " << s.classes.size()
        << " classes, " << s.features << " node features";
    lua_pushstring(L, out.str().c_str());
    return 1;
  });
}

// ntk.data.tu(name_or_path, {degree_as_tag = b})
int l_tu(lua_State* L) {
  return protect(L, [&] {
    const std::string target = string_arg(L, 1, "tu");
    const std::string file = data::find_tu_file(target);
    const std::string stem = std::filesystem::path(file).stem().string();
    bool degree_as_tag = data::tu_default_degree_as_tag(stem);
    if (!lua_isnoneornil(L, 2)) {
      table_arg(L, 2, "tu");
      lua_pushnil(L);
      while (lua_next(L, 2) != 0) {
        const bool known = lua_type(L, -2) == LUA_TSTRING &&
                           std::string(lua_tostring(L, -2)) == "degree_as_tag";
        if (!known) {
          const std::string key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2)
                                                                 : luaL_typename(L, -2);
          lua_pop(L, 2);
          throw_error("tu(): unknown option '", key, "' (known: degree_as_tag)");
        }
        if (!lua_isboolean(L, -1)) {
          const std::string type = luaL_typename(L, -1);
          lua_pop(L, 2);
          throw_error("tu(): option 'degree_as_tag' must be a boolean, got a ", type);
        }
        degree_as_tag = lua_toboolean(L, -1);
        lua_pop(L, 1);
      }
    }
    data::TuGraphs d = data::read_tu_graphs(file, degree_as_tag);
    auto set = std::make_shared<GraphSet>();
    set->name = d.name;
    set->path = d.path;
    set->graphs = std::move(d.graphs);
    set->labels = std::move(d.labels);
    set->classes = std::move(d.classes);
    set->features = d.features();
    push_graphs(L, std::move(set));
    return 1;
  });
}

// ntk.data.graphs(list [, labels])
int l_graphs(lua_State* L) {
  return protect(L, [&] {
    table_arg(L, 1, "graphs");
    auto set = std::make_shared<GraphSet>();
    set->name = "graphs";
    const lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, 1));
    for (lua_Integer k = 1; k <= n; ++k) {
      lua_rawgeti(L, 1, k);
      if (!lua_istable(L, -1)) {
        lua_pop(L, 1);
        throw_error("graphs(): entry ", k, " must be a table {adjacency =, features =}");
      }
      lua_getfield(L, -1, "adjacency");
      lua_getfield(L, -2, "features");
      arma::mat* a = test_matrix(L, -2);
      arma::mat* x = test_matrix(L, -1);
      lua_pop(L, 3);  // the matrices stay referenced by the argument table
      if (a == nullptr || x == nullptr)
        throw_error("graphs(): entry ", k, " needs adjacency and features as ntk.matrix values");
      if (a->n_rows != a->n_cols || x->n_cols != a->n_rows)
        throw_error("graphs(): entry ", k, " has a ", shape_text(*a), " adjacency and ",
                    shape_text(*x), " features; n x n and f x n are expected");
      if (!a->is_symmetric() || arma::any(a->diag() != 0.0) || !a->is_finite())
        throw_error("graphs(): entry ", k, " needs a finite symmetric adjacency with a zero "
                    "diagonal (self-loops are added by the network itself)");
      if (k > 1 && x->n_rows != set->features)
        throw_error("graphs(): entry ", k, " has ", x->n_rows, " features, entry 1 has ",
                    set->features);
      set->features = x->n_rows;
      set->graphs.push_back({arma::sp_mat(*a), *x});
    }
    set->labels.zeros(set->graphs.size());
    if (!lua_isnoneornil(L, 2)) {
      const arma::mat labels = to_matrix(L, 2);
      if (labels.n_elem != set->graphs.size())
        throw_error("graphs(): ", labels.n_elem, " labels for ", set->graphs.size(), " graphs");
      set->labels = arma::rowvec(arma::vectorise(labels).t());
    }
    const arma::vec distinct = arma::unique(arma::vec(set->labels.t()));
    set->classes.assign(distinct.begin(), distinct.end());
    push_graphs(L, std::move(set));
    return 1;
  });
}

const luaL_Reg kMethods[] = {
    {"size", l_size},     {"labels", l_labels},     {"classes", l_classes},
    {"nodes", l_nodes},   {"edges", l_edges},       {"features", l_features},
    {"name", l_name},     {"graph", l_graph},       {"subset", l_subset},
    {"folds", l_folds},   {nullptr, nullptr},
};

}  // namespace

bool to_graph_inputs(lua_State* L, int index, sdk::Inputs& out) {
  auto* h = static_cast<GraphHandle*>(luaL_testudata(L, index, kGraphsMeta));
  if (h == nullptr || !h->set) return false;
  out = sdk::Inputs::graphs(h->set->graphs);
  return true;
}

void open_graphs(lua_State* L, Context&) {
  register_userdata_type(L, kGraphsMeta, graphs_gc, l_tostring, kMethods, l_size);
  push_data_table(L);
  lua_pushcfunction(L, l_tu);
  lua_setfield(L, -2, "tu");
  lua_pushcfunction(L, l_graphs);
  lua_setfield(L, -2, "graphs");
  lua_pop(L, 1);
}

}  // namespace ntk::lua
