// Float32 kernels of the engines that compute in float64 — the conv tile engine and the graph
// engine — in tiles (issue 14: "bounded working memory besides the output" for every
// architecture). Without tiles their float32 result is the float64 n1 × n2 matrices converted
// at the end: at 60,000 images 28.8 GB per kernel before the 14.4 GB float32 one.
//
// The output is cut into tiles of up to `tile` × `tile` (a symmetric kernel: the tiles on and
// above the diagonal, a diagonal tile computed as a symmetric kernel of its examples, each
// off-diagonal tile mirrored). Each tile is the float64 engine's kernel of two column ranges of
// the inputs (aliasing their memory), rounded once to float: the entries are those of the
// untiled computation (the engines compute each example pair independently). Working memory
// besides the output: one tile's float64 kernels and what the engine needs for them.
#pragma once

#include <functional>
#include <string>

#include "ntk/sdk/architecture.hpp"

namespace ntk::sdk::stax_detail {

inline constexpr arma::uword kFloat32EngineTile = 2048;

// The tile size KernelProgram::run uses (kFloat32EngineTile unless a test set another, so
// that tiling is exercised on small inputs).
arma::uword float32_engine_tile();
void set_float32_engine_tile(arma::uword tile);

// The engine: float64 kernels of two inputs (the same object for a symmetric tile).
using Float64Engine = std::function<Kernels(const Inputs&, const Inputs&, const KernelRequest&)>;

// Inputs aliasing examples [c0, c1) of `in` (graphs: a copy of those graphs).
Inputs example_range(const Inputs& in, arma::uword c0, arma::uword c1);

// The float32 kernels asked for by `what` (its progress sink is told the tiles' progress),
// refusing (naming `caller`) an output and tile memory that would not fit.
Kernels float32_by_tiles(const Inputs& a, const Inputs& b, bool symmetric,
                         const KernelRequest& what, const Float64Engine& engine,
                         const std::string& caller, arma::uword tile = kFloat32EngineTile);

}  // namespace ntk::sdk::stax_detail
