// Lua type ntk.dmatrix (dmatrix.hpp), made by A:kernel(x1, x2, kind, {distributed = true}).
//
//   D:size()        -> n1, n2 (the whole matrix)
//   D:local_size()  -> the rows and columns this rank holds
//   D:grid()        -> {rows, cols, block, row, col}: the grid of ranks, the block size, and
//                      this rank's place in the grid
//   D:precision()   -> "float64" | "float32"
//   D:symmetric()   -> true for the kernel of one set of inputs with itself
//   D:seconds()     -> {setup, compute, mirror}: this rank's wall seconds checking and
//                      allocating, computing its blocks (until every rank had finished) and
//                      mirroring the triangle (symmetric kernels)
//   D:gather()      -> the whole matrix as ntk.matrix on rank 0, nil on the others (collective;
//                      checked against rank 0's memory: for tests and small kernels)
//   tostring(D)     -> "a 2000 x 2000 distributed NTK (float64, 2 x 2 ranks, blocks of 128)"
#include "lua/dmatrix.hpp"

#include <new>

#include "core/distributed/distributed.hpp"
#include "lua/args.hpp"
#include "lua/module.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::lua {
namespace {

using core::distributed::DistributedMatrix;

struct Handle {
  std::shared_ptr<DistributedMatrix> matrix;
};

int l_gc(lua_State* L) {
  auto* h = static_cast<Handle*>(lua_touserdata(L, 1));
  h->~Handle();
  new (h) Handle{};
  return 0;
}

int l_tostring(lua_State* L) {
  return protect(L, [&] {
    const std::string text = check_dmatrix(L, 1, "tostring").describe();
    lua_pushlstring(L, text.data(), text.size());
    return 1;
  });
}

int l_size(lua_State* L) {
  return protect(L, [&] {
    const DistributedMatrix& m = check_dmatrix(L, 1, "size");
    lua_pushinteger(L, lua_Integer(m.n_rows()));
    lua_pushinteger(L, lua_Integer(m.n_cols()));
    return 2;
  });
}

int l_local_size(lua_State* L) {
  return protect(L, [&] {
    const DistributedMatrix& m = check_dmatrix(L, 1, "local_size");
    lua_pushinteger(L, lua_Integer(m.layout.local_rows()));
    lua_pushinteger(L, lua_Integer(m.layout.local_cols()));
    return 2;
  });
}

int l_grid(lua_State* L) {
  return protect(L, [&] {
    const DistributedMatrix& m = check_dmatrix(L, 1, "grid");
    lua_createtable(L, 0, 5);
    const std::pair<const char*, lua_Integer> fields[] = {
        {"rows", m.layout.grid_rows}, {"cols", m.layout.grid_cols},
        {"block", lua_Integer(m.layout.block)}, {"row", m.layout.my_row}, {"col", m.layout.my_col}};
    for (const auto& [name, value] : fields) {
      lua_pushinteger(L, value);
      lua_setfield(L, -2, name);
    }
    return 1;
  });
}

int l_precision(lua_State* L) {
  return protect(L, [&] {
    lua_pushstring(L, check_dmatrix(L, 1, "precision").float32 ? "float32" : "float64");
    return 1;
  });
}

int l_symmetric(lua_State* L) {
  return protect(L, [&] {
    lua_pushboolean(L, check_dmatrix(L, 1, "symmetric").symmetric);
    return 1;
  });
}

int l_seconds(lua_State* L) {
  return protect(L, [&] {
    const DistributedMatrix& m = check_dmatrix(L, 1, "seconds");
    lua_createtable(L, 0, 3);
    lua_pushnumber(L, m.seconds.setup);
    lua_setfield(L, -2, "setup");
    lua_pushnumber(L, m.seconds.compute);
    lua_setfield(L, -2, "compute");
    lua_pushnumber(L, m.seconds.mirror);
    lua_setfield(L, -2, "mirror");
    return 1;
  });
}

int l_gather(lua_State* L) {
  return protect(L, [&] {
    arma::mat whole = core::distributed::gather(check_dmatrix(L, 1, "gather"));
    if (whole.is_empty() && check_dmatrix(L, 1, "gather").n_rows() > 0) lua_pushnil(L);
    else push_matrix(L, std::move(whole));
    return 1;
  });
}

const luaL_Reg kMethods[] = {{"size", l_size},         {"local_size", l_local_size},
                             {"grid", l_grid},         {"precision", l_precision},
                             {"symmetric", l_symmetric}, {"gather", l_gather},
                             {"seconds", l_seconds},
                             {nullptr, nullptr}};

}  // namespace

void push_dmatrix(lua_State* L, DistributedMatrix&& m) {
  void* block = lua_newuserdatauv(L, sizeof(Handle), 0);
  new (block) Handle{std::make_shared<DistributedMatrix>(std::move(m))};
  if (luaL_getmetatable(L, kDmatrixMeta) == LUA_TNIL) {
    lua_pop(L, 1);
    register_userdata_type(L, kDmatrixMeta, l_gc, l_tostring, kMethods);
    luaL_getmetatable(L, kDmatrixMeta);
  }
  lua_setmetatable(L, -2);
}

DistributedMatrix* test_dmatrix(lua_State* L, int index) {
  auto* h = static_cast<Handle*>(luaL_testudata(L, index, kDmatrixMeta));
  return h && h->matrix ? h->matrix.get() : nullptr;
}

DistributedMatrix& check_dmatrix(lua_State* L, int index, const char* function) {
  DistributedMatrix* m = test_dmatrix(L, index);
  if (m == nullptr) argument_error(L, index, function, "ntk.dmatrix");
  return *m;
}

std::shared_ptr<DistributedMatrix> shared_dmatrix(lua_State* L, int index, const char* function) {
  check_dmatrix(L, index, function);
  return static_cast<Handle*>(lua_touserdata(L, index))->matrix;
}

}  // namespace ntk::lua
