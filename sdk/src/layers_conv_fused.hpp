// The fused float32 path of the conv tile engine (layers_conv_engine.cpp) for the networks
// most CNTKs are: serial(Conv(SAME), Relu) × L and any spatial readout. Per offset image it
// sweeps each layer once, row by row: the separable box sums of Σ and Θ (row sums kept in a
// ring of the last q rows, so the layer works in place), the conv's scale and shift, the ReLU
// map (layers_conv_lanes.hpp) and, after the last layer, the readout's weighted sum: no
// intermediate grid, no clearing between offsets, the 16 lanes of a tile in one vector.
// Same results as the rule-by-rule walk to float rounding (tests/sdk/layers_conv).
#pragma once

#include "layers_conv_detail.hpp"
#include "layers_conv_tile.hpp"

namespace ntk::sdk::layers::detail {

// Whether run_tile_fused runs the plan: rules (Conv(SAME), Relu) × L, L ≥ 1, nothing else,
// and the path is enabled.
bool fused_applies(const ConvPlan& plan);

// On by default. Off, every plan takes the rule walk: tests and bench/cnn_benchmark.cpp
// compare the two paths on the same inputs. Not for use while kernels are being computed.
void set_fused_enabled(bool enabled);

// Sums the tile's readout into t.sum_nngp and t.sum_ntk (as run_tile does). Needs the sets'
// root arrays (Interleaved with roots). Leaves values in the grids outside any offset's
// rectangle: call t.clear_grids() before running the rule walk on the same tile.
void run_tile_fused(const ConvPlan& plan, Tile<float>& t);

}  // namespace ntk::sdk::layers::detail
