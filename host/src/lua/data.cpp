// Lua module ntk.data: loaders, generators, transforms and label noise (host/src/core/data).
//
// Data sets are tables {x =, y =, labels =, clean_y =, clean_labels =, classes =, shape =}
// (core/data/dataset.hpp); every function returns new tables and leaves its arguments as they
// were. Seeds are non-negative integers; the same seed gives the same data on every run.
//
//   ntk.data.idx(path)                       -> ntk.matrix (item size × items), raw values
//   ntk.data.mnist{classes =, n_train =, n_test =, seed =, labels =, normalize =, dir =}
//                                            -> {train =, test =}
//   ntk.data.fashion_mnist{same keys; n_train / n_test default to all}  -> {train =, test =}
//   ntk.data.csv(path, {label_column =, header =, delimiter =})         -> data set
//   ntk.data.bump{n =, seed =}, ntk.data.sphere{n =, d =, seed =}       -> data set
//   ntk.data.filter_classes(d, classes, [labels]), ntk.data.encode(d, [labels])
//   ntk.data.unit_norm(d), ntk.data.standardize(train, [test]) -> train, test
//   ntk.data.subsample(d, n, seed), ntk.data.split(d, n_train, n_test, seed) -> {train, test}
//   ntk.data.symmetric_noise(d, p, seed), ntk.data.transition_noise(d, P, seed)
//   ntk.data.dir(), ntk.data.path(relative)  -> the data folder / a file in it
// labels = "pm1" | "onehot" (default pm1 for two classes, onehot otherwise);
// normalize = "none" | "unit" | "standardize". See data/README.md.
#include <cmath>
#include <initializer_list>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/data/csv.hpp"
#include "core/data/data_dir.hpp"
#include "core/data/generators.hpp"
#include "core/data/idx.hpp"
#include "core/data/label_noise.hpp"
#include "core/data/labels.hpp"
#include "core/data/mnist.hpp"
#include "core/data/transforms.hpp"
#include "lua/args.hpp"
#include "lua/module.hpp"
#include "lua/table_reader.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::lua {

namespace data = core::data;

namespace {

// --- argument helpers: they throw ntk::Error (call inside protect) -------------------------

void require_table(lua_State* L, int index, const std::string& who, const char* what) {
  if (!lua_istable(L, index))
    throw_error(who, ": argument #", index, " must be ", what, ", got ",
                luaL_typename(L, index));
}

// A non-negative integer (a count or a seed) from a Lua number.
std::uint64_t to_count(double v, const std::string& who, const char* name) {
  if (!(v >= 0 && v == std::floor(v) && v < 9.007199254740992e15))
    throw_error(who, ": ", name, " must be a non-negative integer, got ", v);
  return static_cast<std::uint64_t>(v);
}

std::uint64_t required_count(const TableReader& args, const char* key) {
  return static_cast<std::uint64_t>(args.required_integer(key, Range::non_negative()));
}

std::optional<arma::uword> count(const TableReader& args, const char* key) {
  const auto v = args.integer(key, Range::non_negative());
  if (!v) return std::nullopt;
  return static_cast<arma::uword>(*v);
}

// A list of numbers at stack index `index` (e.g. classes = {3, 5}).
std::vector<double> number_list(lua_State* L, int index, const std::string& who, const char* name) {
  index = lua_absindex(L, index);
  if (!lua_istable(L, index))
    throw_error(who, ": ", name, " must be a list of numbers, got a ", luaL_typename(L, index));
  std::vector<double> out;
  const lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, index));
  for (lua_Integer i = 1; i <= n; ++i) {
    const bool number = lua_rawgeti(L, index, i) == LUA_TNUMBER;
    const double v = lua_tonumber(L, -1);
    lua_pop(L, 1);
    if (!number) throw_error(who, ": entry ", i, " of ", name, " is not a number");
    out.push_back(v);
  }
  return out;
}

void require_number(lua_State* L, int index, const std::string& who, const char* name) {
  if (lua_type(L, index) != LUA_TNUMBER)
    throw_error(who, ": argument #", index, " (", name, ") must be a number, got ",
                luaL_typename(L, index));
}

std::uint64_t count_arg(lua_State* L, int index, const std::string& who, const char* name) {
  require_number(L, index, who, name);
  return to_count(lua_tonumber(L, index), who, name);
}

std::string path_arg(lua_State* L, int index, const std::string& who) {
  if (lua_type(L, index) != LUA_TSTRING)
    throw_error(who, ": argument #", index, " (path) must be a string, got ",
                luaL_typename(L, index));
  return lua_tostring(L, index);
}

// The encoding argument, or the default for `n_classes`.
data::LabelEncoding encoding_arg(lua_State* L, int index, std::size_t n_classes,
                                 const std::string& who) {
  if (lua_isnoneornil(L, index))
    return n_classes == 2 ? data::LabelEncoding::pm1 : data::LabelEncoding::onehot;
  if (lua_type(L, index) != LUA_TSTRING)
    throw_error(who, ": argument #", index, " (labels) must be \"pm1\" or \"onehot\", got ",
                luaL_typename(L, index));
  return data::parse_encoding(lua_tostring(L, index), who);
}

core::Dataset dataset_arg(lua_State* L, int index, const std::string& who) {
  require_table(L, index, who, "a data set table {x =, y =, ...}");
  try {
    return to_dataset(L, index);
  } catch (const Error& e) {
    throw_error(who, ": argument #", index, ": ", e.what());
  }
}

void push_split(lua_State* L, const core::Split& split) {
  lua_createtable(L, 0, 2);
  push_dataset(L, split.train);
  lua_setfield(L, -2, "train");
  push_dataset(L, split.test);
  lua_setfield(L, -2, "test");
}

// --- loaders -------------------------------------------------------------------------------

data::ImageSetOptions image_set_options(lua_State* L, const std::string& who, bool counts_required) {
  const TableReader args(L, 1, who, {"classes", "n_train", "n_test", "seed", "labels", "normalize", "dir"});
  data::ImageSetOptions o;
  o.classes = args.numbers("classes").value_or(std::vector<double>{});
  if (counts_required) {
    o.n_train = required_count(args, "n_train");
    o.n_test = required_count(args, "n_test");
  } else {
    o.n_train = count(args, "n_train");
    o.n_test = count(args, "n_test");
  }
  o.seed = required_count(args, "seed");
  if (args.has("labels"))
    o.labels = data::parse_encoding(args.choice("labels", "pm1", {"pm1", "onehot"}), who);
  o.normalize = args.choice("normalize", "none", {"none", "unit", "standardize"});
  o.dir = args.string("dir", "");
  return o;
}

int l_idx(lua_State* L) {
  return protect(L, [&] {
    push_matrix(L, data::idx_to_matrix(data::read_idx(path_arg(L, 1, "ntk.data.idx"))));
    return 1;
  });
}

int l_mnist(lua_State* L) {
  return protect(L, [&] {
    push_split(L, data::mnist(image_set_options(L, "ntk.data.mnist", true)));
    return 1;
  });
}

int l_fashion_mnist(lua_State* L) {
  return protect(L, [&] {
    push_split(L, data::fashion_mnist(image_set_options(L, "ntk.data.fashion_mnist", false)));
    return 1;
  });
}

int l_csv(lua_State* L) {
  return protect(L, [&] {
    const std::string who = "ntk.data.csv";
    data::CsvOptions o;
    const std::string path = path_arg(L, 1, who);
    if (!lua_isnoneornil(L, 2)) {
      const TableReader args(L, 2, who, {"label_column", "header", "delimiter"});
      o.label_column = static_cast<long>(args.integer("label_column", o.label_column));
      o.header = args.boolean("header", o.header);
      const std::string delimiter = args.string("delimiter", std::string(1, o.delimiter));
      if (delimiter.size() != 1)
        args.fail("delimiter", "must be one character, got '" + delimiter + "'");
      o.delimiter = delimiter[0];
    }
    push_dataset(L, data::read_csv(path, o));
    return 1;
  });
}

// --- generators ----------------------------------------------------------------------------

int l_bump(lua_State* L) {
  return protect(L, [&] {
    const std::string who = "ntk.data.bump";
    const TableReader args(L, 1, who, {"n", "seed"});
    push_dataset(L, data::bump(required_count(args, "n"), required_count(args, "seed")));
    return 1;
  });
}

int l_sphere(lua_State* L) {
  return protect(L, [&] {
    const std::string who = "ntk.data.sphere";
    const TableReader args(L, 1, who, {"n", "d", "seed"});
    push_dataset(L, data::sphere(required_count(args, "n"), required_count(args, "d"),
                                 required_count(args, "seed")));
    return 1;
  });
}

// --- transforms ----------------------------------------------------------------------------

int l_filter_classes(lua_State* L) {
  return protect(L, [&] {
    const std::string who = "ntk.data.filter_classes";
    const core::Dataset d = dataset_arg(L, 1, who);
    const std::vector<double> classes = number_list(L, 2, who, "classes (argument #2)");
    push_dataset(L, data::filter_classes(d, classes, encoding_arg(L, 3, classes.size(), who)));
    return 1;
  });
}

int l_encode(lua_State* L) {
  return protect(L, [&] {
    const std::string who = "ntk.data.encode";
    const core::Dataset d = dataset_arg(L, 1, who);
    const std::set<double> distinct(d.labels.begin(), d.labels.end());
    push_dataset(L, data::encode(d, encoding_arg(L, 2, distinct.size(), who)));
    return 1;
  });
}

int l_unit_norm(lua_State* L) {
  return protect(L, [&] {
    push_dataset(L, data::unit_norm(dataset_arg(L, 1, "ntk.data.unit_norm")));
    return 1;
  });
}

int l_standardize(lua_State* L) {
  return protect(L, [&] {
    const std::string who = "ntk.data.standardize";
    core::Dataset train = dataset_arg(L, 1, who);
    const bool has_test = !lua_isnoneornil(L, 2);
    core::Dataset test = has_test ? dataset_arg(L, 2, who) : core::Dataset{};
    data::standardize(train, test);
    push_dataset(L, train);
    if (!has_test) return 1;
    push_dataset(L, test);
    return 2;
  });
}

int l_subsample(lua_State* L) {
  return protect(L, [&] {
    const std::string who = "ntk.data.subsample";
    const core::Dataset d = dataset_arg(L, 1, who);
    push_dataset(L, data::subsample(d, count_arg(L, 2, who, "n"), count_arg(L, 3, who, "seed")));
    return 1;
  });
}

int l_split(lua_State* L) {
  return protect(L, [&] {
    const std::string who = "ntk.data.split";
    const core::Dataset d = dataset_arg(L, 1, who);
    push_split(L, data::split(d, count_arg(L, 2, who, "n_train"), count_arg(L, 3, who, "n_test"),
                              count_arg(L, 4, who, "seed")));
    return 1;
  });
}

// --- label noise ---------------------------------------------------------------------------

int l_symmetric_noise(lua_State* L) {
  return protect(L, [&] {
    const std::string who = "ntk.data.symmetric_noise";
    const core::Dataset d = dataset_arg(L, 1, who);
    require_number(L, 2, who, "p");
    push_dataset(L, data::symmetric_noise(d, lua_tonumber(L, 2), count_arg(L, 3, who, "seed")));
    return 1;
  });
}

int l_transition_noise(lua_State* L) {
  return protect(L, [&] {
    const std::string who = "ntk.data.transition_noise";
    const core::Dataset d = dataset_arg(L, 1, who);
    if (lua_isnoneornil(L, 2))
      throw_error(who, ": argument #2 (the k x k transition matrix P) is missing");
    const arma::mat P = to_matrix(L, 2);
    push_dataset(L, data::transition_noise(d, P, count_arg(L, 3, who, "seed")));
    return 1;
  });
}

// --- locations -----------------------------------------------------------------------------

int l_dir(lua_State* L) {
  return protect(L, [&] {
    const std::string dir = data::data_dir();
    lua_pushstring(L, dir.c_str());
    return 1;
  });
}

int l_path(lua_State* L) {
  return protect(L, [&] {
    const std::string path = data::find_data_file(path_arg(L, 1, "ntk.data.path"));
    lua_pushstring(L, path.c_str());
    return 1;
  });
}

const luaL_Reg kFunctions[] = {
    {"idx", l_idx},
    {"mnist", l_mnist},
    {"fashion_mnist", l_fashion_mnist},
    {"csv", l_csv},
    {"bump", l_bump},
    {"sphere", l_sphere},
    {"filter_classes", l_filter_classes},
    {"encode", l_encode},
    {"unit_norm", l_unit_norm},
    {"standardize", l_standardize},
    {"subsample", l_subsample},
    {"split", l_split},
    {"symmetric_noise", l_symmetric_noise},
    {"transition_noise", l_transition_noise},
    {"dir", l_dir},
    {"path", l_path},
    {nullptr, nullptr},
};

}  // namespace

void open_data(lua_State* L, Context&) {
  // Other loaders (TU graphs, UCI, image deformations) add their functions to the same table
  // from their own binding files, before or after this opener.
  push_data_table(L);
  luaL_setfuncs(L, kFunctions, 0);
  lua_pop(L, 1);
}

}  // namespace ntk::lua
