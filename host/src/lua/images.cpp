// Image deformations in ntk.data (core/data/deformations.hpp), for stability experiments:
//
//   ntk.data.deform(x, {shape = {C, H, W}, alpha = a, seed = s, smoothness = 4})
//        -> ntk.matrix: each column (an image, channel-major) moved by its own seeded smooth
//           random displacement field whose largest displacement is `alpha` pixels
//           (elastic distortions, Simard et al. 2003; smoothness = Gaussian σ in pixels)
//   ntk.data.translate(x, {shape = {C, H, W}, dx = right, dy = down})
//        -> ntk.matrix: every column shifted by dx columns and dy rows (bilinear, zero fill)
//
// x is a (C·H·W) × n ntk.matrix (e.g. d.train.x of ntk.data.mnist, shape {1, 28, 28}), or
// images {x =, shape =} such as d.train itself (lua/inputs.hpp), whose shape is then the default.
// The same seed gives the same deformations on every run; seed defaults to 0.
#include <cmath>
#include <string>

#include "core/data/deformations.hpp"
#include "lua/args.hpp"
#include "lua/inputs.hpp"
#include "lua/module.hpp"
#include "lua/table_reader.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::lua {
namespace {

// shape = {C, H, W}: three positive whole numbers; required unless the images carry their own
// shape ({x =, shape =}, e.g. a data set of ntk.data.mnist).
sdk::ImageShape shape_field(const TableReader& args, const sdk::Inputs& images) {
  const auto dims = args.numbers("shape", Range::at_least(1));
  if (!dims && images.kind() == sdk::Inputs::Kind::images) return images.shape();
  if (!dims) args.fail("shape", "= {C, H, W} is required (e.g. {1, 28, 28} for MNIST)");
  bool whole = dims->size() == 3;
  for (double v : *dims) whole = whole && v == std::floor(v) && v < 1e9;
  if (!whole) args.fail("shape", "must be {C, H, W} with three positive integers");
  return {arma::uword((*dims)[0]), arma::uword((*dims)[1]), arma::uword((*dims)[2])};
}

// Argument 1: images as lua/inputs.hpp reads them (a matrix, or {x =, shape =}); no copy.
InputsRef images_arg(lua_State* L, const char* function) {
  InputsRef in = to_inputs(L, 1, argument_name(L, 1, function));
  if (in->kind() == sdk::Inputs::Kind::graphs)
    throw_error(argument_name(L, 1, function), ": images are expected, got graphs");
  return in;
}

int l_deform(lua_State* L) {
  return protect(L, [&] {
    const char* who = "ntk.data.deform";
    const InputsRef images = images_arg(L, "deform");
    const arma::mat& x = images->x();
    const TableReader args(L, 2, who, {"shape", "alpha", "seed", "smoothness"});
    const sdk::ImageShape shape = shape_field(args, *images);
    const double alpha = args.required_number("alpha", Range::non_negative());
    const long long seed = args.integer("seed", 0, Range::non_negative());
    const double smoothness = args.number("smoothness", 4.0, Range::positive());
    push_matrix(L, core::data::deform(x, shape, alpha, smoothness, std::uint64_t(seed)));
    return 1;
  });
}

int l_translate(lua_State* L) {
  return protect(L, [&] {
    const char* who = "ntk.data.translate";
    const InputsRef images = images_arg(L, "translate");
    const arma::mat& x = images->x();
    const TableReader args(L, 2, who, {"shape", "dx", "dy"});
    const sdk::ImageShape shape = shape_field(args, *images);
    const double dx = args.number("dx", 0.0), dy = args.number("dy", 0.0);
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
  // Adds to ntk.data (shared with the other ntk.data openers, in any order).
  push_data_table(L);
  luaL_setfuncs(L, kImageFunctions, 0);
  lua_pop(L, 1);
}

}  // namespace ntk::lua
