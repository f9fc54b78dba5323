// Internals of layers_conv.cpp shared with its tile engine (layers_conv_engine.cpp).
#pragma once

#include <armadillo>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "layers_conv.hpp"
#include "layers_conv_grid.hpp"

namespace ntk::sdk::layers::detail {

// Everything the engine needs that does not depend on the examples.
struct ConvPlan {
  ImageShape shape;
  std::vector<ImageRule> rules;
  bool circular = false;          // every conv rule has circular padding (mixing is refused)
  arma::uword margin_h = 0, margin_w = 0;  // the largest half filters (qh − 1)/2, (qw − 1)/2
  // The output image on the input's grid: rows [h0, h1), columns [w0, w1) (the whole grid
  // unless VALID convs shrank it; layers_conv.hpp).
  Rect output;
  arma::mat readout_h, readout_w;  // axis weights of the readout over the output image
  // The offsets (d, e) with non-zero readout weight: d ∈ (−H', H') for SAME/VALID padding
  // (H' the output's height), the torus offsets d ∈ [0, H) for CIRCULAR (and the same for e).
  std::vector<std::pair<long long, long long>> offsets;
  bool track_ntk = true;
  std::size_t nesting = 0;  // deepest residual nesting: the saved grids a tile needs
  bool gaussian = false;    // the state after the last rule is Gaussian
  Precision precision = Precision::float64;  // the scalar of the tiles (the range they hold)
  std::string caller;       // what errors are prefixed with
};

inline long long half_height(const ImageRule& r) { return static_cast<long long>(r.filter_height / 2); }
inline long long half_width(const ImageRule& r) { return static_cast<long long>(r.filter_width / 2); }

// The rectangle left of `r` by a VALID conv (each side moves in by the half filter).
inline Rect shrink(const Rect& r, const ImageRule& conv) {
  return {r.h0 + half_height(conv), r.h1 - half_height(conv), r.w0 + half_width(conv),
          r.w1 - half_width(conv)};
}

inline bool is_activation(const ImageRule& r) {
  return r.kind == ImageRule::Kind::relu || r.kind == ImageRule::Kind::erf ||
         r.kind == ImageRule::Kind::activation;
}

// One set of examples (set 0 = a, set 1 = b) and its per-pixel variances before each
// activation rule (H·W × n, double).
struct ExampleSet {
  const arma::mat* x = nullptr;
  std::vector<arma::mat> variances;
};

constexpr std::size_t kTileLanes = 16;  // example pairs per tile: one AVX-512 register of floats

// A tile of 16 example pairs. Lane p pairs example 16·left_block + p of set `left_set` with
// example 16·right + (p + rotation) mod 16 of `right_set` (right_block) or with the single
// example `right` of `right_set`. A lane whose example is past the end of its set repeats the
// last example. Rotations 0..8 of a block against itself hold every pair of the block once
// (a difference d or 16 − d is at most 8), where 16 broadcast tiles would compute 256 pairs
// for its 136.
struct TileSpec {
  std::uint8_t left_set = 0, right_set = 0;
  arma::uword left_block = 0;
  bool right_block = false;
  arma::uword right = 0;
  std::uint8_t rotation = 0;  // right_block only
};

// The right-hand example of lane p (before clamping to the set).
inline arma::uword right_example(const TileSpec& t, std::size_t p) {
  return t.right_block ? t.right * kTileLanes + (p + t.rotation) % kTileLanes : t.right;
}

// Runs the plan on every tile; writes lane p of tile t's readout NNGP and NTK to
// nngp[16t + p], ntk[16t + p] (ntk may be null when !plan.track_ntk). Parallel over tiles;
// each finished tile is one unit of `progress`. A tile whose readout is not finite is run
// again with a check after every rule, and the first rule where a value went non-finite is
// refused (layers_conv_range.hpp): no kernel entry comes back non-finite.
template <class T>
void run_tiles(const ConvPlan& plan, const ExampleSet sets[2], const std::vector<TileSpec>& tiles,
               double* nngp, double* ntk, ProgressCounter& progress);

// Per-pixel variances of the columns of x before each activation rule (H·W × n, on the input's
// grid: the pixels outside the active rectangle are meaningless), and after all rules (the last
// matrix, the output image's H'·W' × n). Parallel over examples. Refuses a variance that leaves
// the range of plan.precision after the input or any rule (layers_conv_range.hpp), naming the
// rule, `which` set's example ("" or "the first set's") and the pixel.
std::vector<arma::mat> variance_recursion(const ConvPlan& plan, const arma::mat& x,
                                          const char* which = "");

}  // namespace ntk::sdk::layers::detail
