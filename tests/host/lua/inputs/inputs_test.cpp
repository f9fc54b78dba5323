// lua/inputs.hpp: the one conversion from Lua values to sdk::Inputs — dense matrices, images
// {x =, shape =}, graph collections — without copying the data, and its messages.
#include "../lua_fixture.hpp"

#include "lua/inputs.hpp"

using ntk::lua::InputsRef;
using ntk::lua::test::LuaFixture;
using ntk::sdk::Inputs;

namespace {

// Converts global `name`; the global keeps the Lua value alive after the pop.
InputsRef convert(LuaFixture& lua, const char* name) {
  lua_getglobal(lua.L, name);
  InputsRef in = ntk::lua::to_inputs(lua.L, -1, name);
  lua_pop(lua.L, 1);
  return in;
}

std::string convert_error(LuaFixture& lua, const char* name) {
  try {
    convert(lua, name);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

const double* memory_of(LuaFixture& lua, const std::string& expression) {
  lua.ok("probe_value = " + expression);
  lua_getglobal(lua.L, "probe_value");
  const double* p = ntk::lua::check_matrix(lua.L, -1).memptr();
  lua_pop(lua.L, 1);
  return p;
}

}  // namespace

TEST_CASE("to_inputs: a matrix is dense inputs over the ntk.matrix's own memory", "[lua][inputs]") {
  LuaFixture lua;
  lua.ok("M = ntk.matrix({{1, 2, 3}, {4, 5, 6}}); D = {x = M, y = ntk.matrix({{1, 2, 3}})}");
  const InputsRef in = convert(lua, "M");
  CHECK(in->kind() == Inputs::Kind::dense);
  CHECK(in->size() == 3);
  CHECK(in->dim() == 2);
  CHECK(in->x()(1, 2) == 6.0);
  CHECK(in->x().memptr() == memory_of(lua, "M"));  // no copy
  // A data table {x =, y =} without a shape is dense too (other fields are allowed).
  const InputsRef data = convert(lua, "D");
  CHECK(data->kind() == Inputs::Kind::dense);
  CHECK(data->x().memptr() == memory_of(lua, "M"));
}

TEST_CASE("to_inputs: {x =, shape = {C, H, W}} is images over the same memory", "[lua][inputs]") {
  LuaFixture lua;
  lua.ok(R"(
    X = ntk.matrix(12, 2)
    I = {x = X, shape = {3, 2, 2}}
    WRONG = {x = X, shape = {1, 2, 2}}
    FRACTION = {x = X, shape = {3, 2, 2.5}}
    TWO = {x = X, shape = {3, 4}}
    NO_X = {shape = {3, 2, 2}}
  )");
  const InputsRef in = convert(lua, "I");
  CHECK(in->kind() == Inputs::Kind::images);
  CHECK(in->shape().channels == 3);
  CHECK(in->shape().height == 2);
  CHECK(in->shape().width == 2);
  CHECK(in->size() == 2);
  CHECK(in->x().memptr() == memory_of(lua, "X"));
  CHECK(convert_error(lua, "WRONG") ==
        "WRONG: field 'shape' is {1, 2, 2} (4 values per image) but x is 12 x 2");
  CHECK(convert_error(lua, "FRACTION") ==
        "FRACTION: field 'shape' must be {C, H, W} with three positive integers");
  CHECK(convert_error(lua, "TWO") ==
        "TWO: field 'shape' must be {C, H, W} with three positive integers");
  CHECK(convert_error(lua, "NO_X") ==
        "NO_X: field 'x' must be an ntk.matrix (d x n) or ntk.graphs, got a nil");
  lua.ok("S = 'text'");
  CHECK(convert_error(lua, "S") ==
        "S must be an ntk.matrix (d x n), {x = ntk.matrix, shape = {C, H, W}} or ntk.graphs, "
        "got a string");
}

TEST_CASE("to_inputs: graph collections are shared with the ntk.graphs value", "[lua][inputs]") {
  LuaFixture lua;
  lua.ok(R"(
    local edge = ntk.matrix({{0, 1}, {1, 0}})
    G = ntk.data.graphs({{adjacency = edge, features = ntk.matrix({{1, 2}})},
                         {adjacency = ntk.matrix({{0}}), features = ntk.matrix({{3}})}})
    WRAPPED = {x = G, y = ntk.matrix({{1, -1}})}
    BAD = {x = G, shape = {1, 1, 1}}
  )");
  const InputsRef a = convert(lua, "G");
  const InputsRef b = convert(lua, "G");
  REQUIRE(a->kind() == Inputs::Kind::graphs);
  CHECK(a->size() == 2);
  CHECK(a->graph_list()[0].adjacency.n_nonzero == 2);
  CHECK(a->graph_list()[1].features(0, 0) == 3.0);
  CHECK(a.get() == b.get());  // the collection's own Inputs: no copy per conversion
  CHECK(convert(lua, "WRAPPED").get() == a.get());
  CHECK(convert_error(lua, "BAD") == "BAD: field 'shape' is for images; field 'x' holds graphs");
  // The Inputs keep the collection alive after Lua lets go of it.
  lua.ok("G, WRAPPED, BAD = nil, nil, nil; collectgarbage(); collectgarbage()");
  CHECK(a->graph_list()[0].features(0, 1) == 2.0);
}

TEST_CASE("inputs_value: aliases dense and image memory, copies the graph list", "[lua][inputs]") {
  LuaFixture lua;
  lua.ok("X = ntk.matrix(4, 3); I = {x = X, shape = {1, 2, 2}}");
  const InputsRef dense = convert(lua, "X");
  const Inputs value = ntk::lua::inputs_value(*dense);
  CHECK(value.kind() == Inputs::Kind::dense);
  CHECK(value.x().memptr() == dense->x().memptr());
  const Inputs images = ntk::lua::inputs_value(*convert(lua, "I"));
  CHECK(images.kind() == Inputs::Kind::images);
  CHECK(images.shape().size() == 4);
  CHECK(images.x().memptr() == dense->x().memptr());
}

TEST_CASE("ntk.data.deform and translate take images with their own shape", "[lua][inputs]") {
  LuaFixture lua;
  lua.ok(R"(
    X = ntk.matrix(4, 1)
    X:set(1, 1, 1)  -- pixel (row 1, column 1) of a 2 x 2 image
    A = ntk.data.translate(X, {shape = {1, 2, 2}, dx = 1})
    B = ntk.data.translate({x = X, shape = {1, 2, 2}}, {dx = 1})
  )");
  // Channel-major 2 x 2: index = row * 2 + column; moving right by one puts the pixel at 1.
  const arma::mat a = lua.matrix("A"), b = lua.matrix("B");
  CHECK(a(1, 0) == Approx(1.0));
  CHECK(arma::approx_equal(a, b, "absdiff", 0.0));
  CHECK_THAT(lua.error("ntk.data.translate(X, {dx = 1})"),
             Catch::Contains("ntk.data.translate: field 'shape' = {C, H, W} is required"));
}
