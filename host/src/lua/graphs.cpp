// Lua graph collections: the TU benchmarks (core/data/tu_graphs.hpp) and user-made graphs,
// usable as inputs of arch:kernel / network methods of the gnn plugin.
//
//   G = ntk.data.tu(name_or_path, {degree_as_tag = b})  -- name: data/graphs/NAME/NAME.txt;
//        degree_as_tag defaults to true for IMDBBINARY, IMDBMULTI, COLLAB (as GIN and GNTK)
//   G = ntk.data.graphs(list [, labels])  -- list of {adjacency = n×n matrix (symmetric,
//        zero diagonal), features = f×n matrix}; labels: list or 1×n matrix (default zeros);
//        the features are stored sparse (their zeros dropped), as ntk.data.tu's one-hot ones
//   G:size(), #G          number of graphs
//   G:labels()            1 × n ntk.matrix of class ids 0, 1, … (first-appearance order)
//   G:classes()           list: the file's label of each class id
//   G:nodes(i), G:edges(i) nodes / undirected edges of graph i (1-based)
//   G:features()          node-feature dimension f
//   G:graph(i)            {adjacency = n×n matrix, features = f×n matrix} (dense copies of
//                         one graph; the collection keeps its features sparse)
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
#include "lua/table_reader.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::lua {

namespace data = core::data;

namespace {

struct GraphSet {
  std::string name;
  std::string path;  // the TU file this came from, for folds(); empty for subsets and user graphs
  sdk::Inputs inputs;  // the graphs, shared with kernels and networks without a copy
  arma::rowvec labels;
  std::vector<double> classes;
  arma::uword features = 0;
};

struct GraphHandle {
  std::shared_ptr<const GraphSet> set;
};

const std::vector<sdk::Graph>& graphs_of(const GraphSet& set) { return set.inputs.graph_list(); }

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
  if (i < 1 || static_cast<arma::uword>(i) > graphs_of(set).size())
    throw_error(method, "(): graph index ", i, " is outside 1..", graphs_of(set).size());
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
    lua_pushinteger(L, static_cast<lua_Integer>(graphs_of(self(L, "size")).size()));
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
      push_integer_if_whole(L, s.classes[c]);
      lua_rawseti(L, -2, static_cast<lua_Integer>(c + 1));
    }
    return 1;
  });
}

int l_nodes(lua_State* L) {
  return protect(L, [&] {
    const GraphSet& s = self(L, "nodes");
    lua_pushinteger(L, static_cast<lua_Integer>(graphs_of(s)[graph_index(L, 2, s, "nodes")].adjacency.n_rows));
    return 1;
  });
}

int l_edges(lua_State* L) {
  return protect(L, [&] {
    const GraphSet& s = self(L, "edges");
    const arma::sp_mat& a = graphs_of(s)[graph_index(L, 2, s, "edges")].adjacency;
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
    const sdk::Graph& g = graphs_of(s)[graph_index(L, 2, s, "graph")];
    lua_createtable(L, 0, 2);
    push_matrix(L, arma::mat(g.adjacency));
    lua_setfield(L, -2, "adjacency");
    push_matrix(L, arma::mat(g.features));
    lua_setfield(L, -2, "features");
    return 1;
  });
}

int l_subset(lua_State* L) {
  return protect(L, [&] {
    const GraphSet& s = self(L, "subset");
    const std::vector<arma::uword> indices = index_list(L, 2, graphs_of(s).size(), "subset");
    auto out = std::make_shared<GraphSet>();
    out->name = s.name + " (subset)";
    out->classes = s.classes;
    out->features = s.features;
    out->labels.set_size(indices.size());
    std::vector<sdk::Graph> graphs;
    for (std::size_t k = 0; k < indices.size(); ++k) {
      graphs.push_back(graphs_of(s)[indices[k]]);
      out->labels(k) = s.labels(indices[k]);
    }
    out->inputs = sdk::Inputs::graphs(std::move(graphs));
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
    const std::vector<data::TuFold> folds = data::read_tu_folds(s.path, graphs_of(s).size());
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
    out << "ntk.graphs " << s.name << ": " << graphs_of(s).size() << " graphs, " << s.classes.size()
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
    if (!lua_isnoneornil(L, 2))
      degree_as_tag = TableReader(L, 2, "ntk.data.tu", {"degree_as_tag"})
                          .boolean("degree_as_tag", degree_as_tag);
    data::TuGraphs d = data::read_tu_graphs(file, degree_as_tag);
    auto set = std::make_shared<GraphSet>();
    set->name = d.name;
    set->path = d.path;
    set->inputs = sdk::Inputs::graphs(std::move(d.graphs));
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
    table_arg(L, 1, "graphs");  // a list of {adjacency =, features =}
    auto set = std::make_shared<GraphSet>();
    set->name = "graphs";
    std::vector<sdk::Graph> graphs;
    const lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, 1));
    for (lua_Integer k = 1; k <= n; ++k) {
      lua_rawgeti(L, 1, k);  // popped below; the argument table keeps its matrices alive
      const TableReader entry(L, -1, "ntk.data.graphs: entry " + std::to_string(k),
                              {"adjacency", "features"});
      arma::mat a_storage, x_storage;
      const arma::mat* a = &entry.required_matrix("adjacency", a_storage);
      const arma::mat* x = &entry.required_matrix("features", x_storage);
      lua_pop(L, 1);
      if (a->n_rows != a->n_cols || x->n_cols != a->n_rows)
        throw_error("ntk.data.graphs: entry ", k, " has a ", shape_text(*a), " adjacency and ",
                    shape_text(*x), " features; n x n and f x n are expected");
      if (!a->is_symmetric() || arma::any(a->diag() != 0.0) || !a->is_finite())
        throw_error("ntk.data.graphs: entry ", k, " needs a finite symmetric adjacency with a zero "
                    "diagonal (self-loops are added by the network itself)");
      if (k > 1 && x->n_rows != set->features)
        throw_error("ntk.data.graphs: entry ", k, " has ", x->n_rows, " features, entry 1 has ",
                    set->features);
      set->features = x->n_rows;
      graphs.push_back({arma::sp_mat(*a), arma::sp_mat(*x)});  // the collection owns its graphs
    }
    set->inputs = sdk::Inputs::graphs(std::move(graphs));
    set->labels.zeros(graphs_of(*set).size());
    if (!lua_isnoneornil(L, 2)) {
      const arma::mat labels = to_matrix(L, 2);
      if (labels.n_elem != graphs_of(*set).size())
        throw_error("ntk.data.graphs: ", labels.n_elem, " labels for ", graphs_of(*set).size(), " graphs");
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

InputsRef graph_inputs(lua_State* L, int index) {
  auto* h = static_cast<GraphHandle*>(luaL_testudata(L, index, kGraphsMeta));
  if (h == nullptr || !h->set) return nullptr;
  return InputsRef(h->set, &h->set->inputs);  // shares ownership of the collection
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
