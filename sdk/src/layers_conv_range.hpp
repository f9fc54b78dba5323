// Range checks of the convolutional kernel engine (issue 13: never silently wrong).
//
// The pixel-pair maps are right wherever their inputs and results are numbers of the tiles'
// scalar (layers_elementwise.hpp rescales relu and erf entries by exact powers of two), so the
// engine checks two things and refuses, naming the rule, the example and the pixel:
//   * the per-pixel variances, once per example and rule (O(n·pixels), beside the recursion
//     that computes them): a value that is not finite or exceeds the scalar's largest, one
//     below its smallest normal value (its precision is gone), or 0 from a positive value
//     under a rule that keeps variances positive (a conv with w_std ≠ 0, relu, erf);
//   * the tiles' readout sums, one cheap pass over 2 × 16 numbers per tile: a tile whose sums
//     are not finite (the NTK can outgrow the variances, a float32 box sum can overflow) is
//     replayed with a check after every rule to find where the first non-finite value came
//     from — as apply_rules does for the example-pair pass (layers.cpp).
// Steps number the states a tile or a variance passes through: 0 is the input kernel, k the
// state after rules[k − 1], rules.size() + 1 the readout's sum.
#pragma once

#include <cmath>
#include <cstddef>
#include <string>

#include "layers_conv_detail.hpp"

namespace ntk::sdk::layers::detail {

// The values a tile of `precision` holds: finite and at most `largest`, 0 or at least
// `smallest_normal` in magnitude.
struct ValueRange {
  double largest = 0, smallest_normal = 0;
};
ValueRange value_range(Precision precision);

// "layer 3 (Conv(...))" (the rule's label), "image rule 3 (Relu)" without one, "the input
// kernel" for step 0 and "the spatial readout" for step rules.size() + 1.
std::string step_label(const ConvPlan& plan, std::size_t step);

// Whether a rule's variances stay positive where they were (so 0 afterwards is an underflow).
bool keeps_positive(const ImageRule& rule);

enum class Trouble { none, overflow, underflow };

// What happened to a pixel variance `before` → `after` under a rule (keeps_positive as above).
inline Trouble variance_trouble(double before, double after, bool positive, const ValueRange& range) {
  if (!(std::fabs(after) <= range.largest)) return Trouble::overflow;  // inf, NaN, too large
  if (after != 0 && std::fabs(after) < range.smallest_normal) return Trouble::underflow;
  if (positive && after == 0 && before > 0) return Trouble::underflow;
  return Trouble::none;
}

// The first variance (in step order, then example) that left the range.
struct VarianceFault {
  Trouble trouble = Trouble::none;
  std::size_t step = 0;
  arma::uword example = 0;  // 0-based
  long long h = 0, w = 0;   // the pixel on the input's grid
  double before = 0, after = 0;  // step 0: the largest |x_c| of the pixel, and x·x/C
  bool found() const { return trouble != Trouble::none; }
  bool precedes(const VarianceFault& o) const {
    return !o.found() || step < o.step || (step == o.step && example < o.example);
  }
};
[[noreturn]] void throw_variance_fault(const ConvPlan& plan, const VarianceFault& fault,
                                       const char* which);

// The first non-finite tile value (in step order, then tile).
struct TileFault {
  bool found = false;
  std::size_t step = 0, tile = 0, lane = 0;
  bool ntk = false;             // in the NTK (else the NNGP)
  // The left example's pixel and the right example's, on the input's grid (step ≤ rules.size()).
  long long h = 0, w = 0, h2 = 0, w2 = 0;
  // Filled by run_tiles from the tile: the two examples (0-based) and their sets (0, 1).
  unsigned left_set = 0, right_set = 0;
  arma::uword left_example = 0, right_example = 0;
  bool precedes(const TileFault& o) const {
    return !o.found || step < o.step || (step == o.step && tile < o.tile);
  }
};
[[noreturn]] void throw_tile_fault(const ConvPlan& plan, const TileFault& fault, bool symmetric);

}  // namespace ntk::sdk::layers::detail
