// The tiles of an architecture's kernel, for fill_kernel_file (cached_kernel.hpp): each tile is
// the kernel of two column ranges of the inputs (aliasing their memory), computed by the
// plugin as a float32 kernel; a diagonal tile of a symmetric kernel passes the same inputs
// twice, so the engine computes one triangle of it.
#pragma once

#include <string>

#include "core/cache/cached_kernel.hpp"
#include "ntk/sdk/architecture.hpp"

namespace ntk::core::cache {

// A plugin that computes its kernels itself may ignore KernelRequest::output: its float64
// result is converted here (the SDK's engines fill nngp32 / ntk32 directly).
void float32_fallback(const sdk::KernelRequest& request, sdk::Kernels& k);

// Inputs aliasing examples [c0, c1) of `in` (graphs: a copy of those graphs).
sdk::Inputs columns(const sdk::Inputs& in, arma::uword c0, arma::uword c1);

// The tile function of the `ntk` (else NNGP) kernel of a and b; `where` names the file in
// errors (a non-finite entry, with its global position; values beyond float's range). The
// architecture and inputs must outlive the function.
TileFunction architecture_tiles(const sdk::Architecture& arch, const sdk::Inputs& a,
                                const sdk::Inputs& b, bool ntk, const std::string& where);

}  // namespace ntk::core::cache
