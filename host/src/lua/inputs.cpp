// Lua values -> sdk::Inputs without copying the data (see inputs.hpp).
#include "lua/inputs.hpp"

#include "lua/args.hpp"
#include "lua/graphs.hpp"
#include "lua/module.hpp"
#include "lua/table_reader.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::lua {
namespace {

// An Armadillo matrix over m's memory. The Inputs only read it; Armadillo's aliasing
// constructor takes a non-const pointer, hence the cast.
arma::mat alias_of(const arma::mat& m) {
  if (m.is_empty()) return arma::mat(m.n_rows, m.n_cols);
  return arma::mat(const_cast<double*>(m.memptr()), m.n_rows, m.n_cols, false, true);
}

InputsRef dense(const arma::mat& x) {
  return std::make_shared<const sdk::Inputs>(sdk::Inputs::dense(alias_of(x)));
}

const char* const kExpected =
    "an ntk.matrix (d x n), {x = ntk.matrix, shape = {C, H, W}} or ntk.graphs";

// shape = {C, H, W}: three positive integers.
sdk::ImageShape shape_of(const TableReader& table) {
  const auto dims = table.numbers("shape", Range::at_least(1));
  if (!dims) return {};
  const bool whole = dims->size() == 3 && (*dims)[0] == arma::uword((*dims)[0]) &&
                     (*dims)[1] == arma::uword((*dims)[1]) && (*dims)[2] == arma::uword((*dims)[2]);
  if (!whole) table.fail("shape", "must be {C, H, W} with three positive integers");
  return {arma::uword((*dims)[0]), arma::uword((*dims)[1]), arma::uword((*dims)[2])};
}

}  // namespace

bool is_inputs(lua_State* L, int index) {
  if (is_matrix(L, index) || graph_inputs(L, index)) return true;
  if (!lua_istable(L, index)) return false;
  const bool has_x = lua_getfield(L, index, "x") != LUA_TNIL;
  lua_pop(L, 1);
  return has_x;
}

InputsRef to_inputs(lua_State* L, int index, const std::string& what) {
  index = lua_absindex(L, index);
  if (const arma::mat* x = test_matrix(L, index)) return dense(*x);
  if (InputsRef graphs = graph_inputs(L, index)) return graphs;
  if (!lua_istable(L, index))
    throw_error(what, " must be ", kExpected, ", got a ", luaL_typename(L, index));
  const TableReader table = TableReader::record(L, index, what);
  const sdk::ImageShape shape = shape_of(table);
  lua_getfield(L, index, "x");  // popped below; the table keeps the value alive
  const arma::mat* x = test_matrix(L, -1);
  InputsRef graphs = x ? nullptr : graph_inputs(L, -1);
  const std::string type = luaL_typename(L, -1);
  lua_pop(L, 1);
  if (graphs) {
    if (shape.size() != 0) table.fail("shape", "is for images; field 'x' holds graphs");
    return graphs;
  }
  if (x == nullptr) table.fail("x", "must be an ntk.matrix (d x n) or ntk.graphs, got a " + type);
  if (shape.size() == 0) return dense(*x);
  if (x->n_rows != shape.size())
    table.fail("shape", "is {" + std::to_string(shape.channels) + ", " +
                            std::to_string(shape.height) + ", " + std::to_string(shape.width) +
                            "} (" + std::to_string(shape.size()) + " values per image) but x is " +
                            shape_text(*x));
  return std::make_shared<const sdk::Inputs>(sdk::Inputs::images(alias_of(*x), shape));
}

sdk::Inputs inputs_value(const sdk::Inputs& in) {
  switch (in.kind()) {
    case sdk::Inputs::Kind::dense: return sdk::Inputs::dense(alias_of(in.x()));
    case sdk::Inputs::Kind::images: return sdk::Inputs::images(alias_of(in.x()), in.shape());
    case sdk::Inputs::Kind::graphs: return sdk::Inputs::graphs(in.graph_list());
  }
  return in;
}

}  // namespace ntk::lua
