// Image deformations in ntk.data (core/data/deformations.hpp), for stability experiments:
//
//   ntk.data.deform(x, {shape = {C, H, W}, alpha = a, seed = s, smoothness = 4})
//        -> ntk.matrix: each column (an image, channel-major) moved by its own seeded smooth
//           random displacement field whose largest displacement is `alpha` pixels
//           (elastic distortions, Simard et al. 2003; smoothness = Gaussian σ in pixels)
//   ntk.data.translate(x, {shape = {C, H, W}, dx = right, dy = down})
//        -> ntk.matrix: every column shifted by dx columns and dy rows (bilinear, zero fill)
//
// x is a (C·H·W) × n ntk.matrix (e.g. d.train.x of ntk.data.mnist, shape {1, 28, 28}).
// The same seed gives the same deformations on every run; seed defaults to 0.
#include <cmath>
#include <initializer_list>
#include <sstream>
#include <string>

#include "core/data/deformations.hpp"
#include "lua/args.hpp"
#include "lua/module.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::lua {
namespace {

// Every key of the options table must be known; the values are read with the helpers below.
void check_keys(lua_State* L, int t, const char* who, std::initializer_list<const char*> known) {
  lua_pushnil(L);
  while (lua_next(L, t) != 0) {
    lua_pop(L, 1);
    bool ok = lua_type(L, -1) == LUA_TSTRING;
    if (ok) {
      ok = false;
      for (const char* k : known) ok = ok || std::string(k) == lua_tostring(L, -1);
    }
    if (!ok) {
      const std::string key = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : luaL_typename(L, -1);
      lua_pop(L, 1);
      std::ostringstream list;
      for (const char* k : known) list << (list.tellp() > 0 ? ", " : "") << k;
      throw_error(who, ": unknown option '", key, "' (known: ", list.str(), ")");
    }
  }
}

double number_field(lua_State* L, int t, const char* key, const char* who, double fallback,
                    bool required = false) {
  const int type = lua_getfield(L, t, key);
  const bool is_number = type == LUA_TNUMBER;
  const double v = is_number ? lua_tonumber(L, -1) : fallback;
  const std::string got = luaL_typename(L, -1);
  lua_pop(L, 1);
  if (type == LUA_TNIL && required) throw_error(who, ": option '", key, "' is required");
  if (type != LUA_TNIL && !is_number)
    throw_error(who, ": option '", key, "' must be a number, got a ", got);
  return v;
}

sdk::ImageShape shape_field(lua_State* L, int t, const char* who) {
  const int type = lua_getfield(L, t, "shape");
  if (type != LUA_TTABLE) {
    lua_pop(L, 1);
    throw_error(who, ": option 'shape' = {C, H, W} is required (e.g. {1, 28, 28} for MNIST)");
  }
  double dims[3] = {0, 0, 0};
  const lua_Integer length = luaL_len(L, -1);
  for (int i = 0; i < 3 && i < length; ++i) {
    lua_geti(L, -1, i + 1);
    dims[i] = lua_isnumber(L, -1) ? lua_tonumber(L, -1) : 0;
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  for (double v : dims)
    if (length != 3 || !(v >= 1 && v == std::floor(v) && v < 1e9))
      throw_error(who, ": option 'shape' must be {C, H, W} with positive whole numbers");
  return {arma::uword(dims[0]), arma::uword(dims[1]), arma::uword(dims[2])};
}

int l_deform(lua_State* L) {
  return protect(L, [&] {
    const char* who = "ntk.data.deform";
    const arma::mat& x = matrix_arg(L, 1, "deform");
    table_arg(L, 2, "deform");
    check_keys(L, 2, who, {"shape", "alpha", "seed", "smoothness"});
    const sdk::ImageShape shape = shape_field(L, 2, who);
    const double alpha = number_field(L, 2, "alpha", who, 0, true);
    const double seed = number_field(L, 2, "seed", who, 0);
    if (!(seed >= 0 && seed == std::floor(seed) && seed < 9.007199254740992e15))
      throw_error(who, ": seed must be a non-negative integer, got ", seed);
    const double smoothness = number_field(L, 2, "smoothness", who, 4.0);
    push_matrix(L, core::data::deform(x, shape, alpha, smoothness, std::uint64_t(seed)));
    return 1;
  });
}

int l_translate(lua_State* L) {
  return protect(L, [&] {
    const char* who = "ntk.data.translate";
    const arma::mat& x = matrix_arg(L, 1, "translate");
    table_arg(L, 2, "translate");
    check_keys(L, 2, who, {"shape", "dx", "dy"});
    const sdk::ImageShape shape = shape_field(L, 2, who);
    const double dx = number_field(L, 2, "dx", who, 0), dy = number_field(L, 2, "dy", who, 0);
    push_matrix(L, core::data::translate(x, shape, dy, dx));
    return 1;
  });
}

const luaL_Reg kImageFunctions[] = {
    {"deform", l_deform},
    {"translate", l_translate},
    {nullptr, nullptr},
};

}  // namespace

void open_images(lua_State* L, Context&) {
  // Adds to ntk.data (created by open_data; created here if this opener runs alone).
  push_data_table(L);
  luaL_setfuncs(L, kImageFunctions, 0);
  lua_pop(L, 1);
}

}  // namespace ntk::lua
