#include "core/cache/architecture_tiles.hpp"

#include <cmath>

#include "ntk/sdk/error.hpp"

namespace ntk::core::cache {

void float32_fallback(const sdk::KernelRequest& request, sdk::Kernels& k) {
  if (request.output != sdk::Precision::float32) return;
  if (k.nngp32.is_empty() && !k.nngp.is_empty()) {
    k.nngp32 = arma::conv_to<arma::fmat>::from(k.nngp);
    k.nngp.reset();
  }
  if (k.ntk32.is_empty() && !k.ntk.is_empty()) {
    k.ntk32 = arma::conv_to<arma::fmat>::from(k.ntk);
    k.ntk.reset();
  }
}

sdk::Inputs columns(const sdk::Inputs& in, arma::uword c0, arma::uword c1) {
  switch (in.kind()) {
    case sdk::Inputs::Kind::dense:
    case sdk::Inputs::Kind::images: {
      arma::mat view(const_cast<double*>(in.x().colptr(c0)), in.x().n_rows, c1 - c0, false, true);
      return in.kind() == sdk::Inputs::Kind::dense ? sdk::Inputs::dense(std::move(view))
                                                   : sdk::Inputs::images(std::move(view), in.shape());
    }
    case sdk::Inputs::Kind::graphs:
      return sdk::Inputs::graphs(std::vector<sdk::Graph>(in.graph_list().begin() + c0,
                                                         in.graph_list().begin() + c1));
  }
  return {};
}

TileFunction architecture_tiles(const sdk::Architecture& arch, const sdk::Inputs& a,
                                const sdk::Inputs& b, bool ntk, const std::string& where) {
  return [&arch, &a, &b, ntk, where](arma::uword r0, arma::uword r1, arma::uword c0,
                                     arma::uword c1, bool diagonal) {
    sdk::KernelRequest request{!ntk, ntk};
    request.output = sdk::Precision::float32;
    const sdk::Inputs rows = columns(a, r0, r1);
    sdk::Kernels k = diagonal ? arch.kernels(rows, rows, request)
                              : arch.kernels(rows, columns(b, c0, c1), request);
    float32_fallback(request, k);
    if (k.log2_scale != 0)
      throw_error(where, ": the kernel's values leave the float range (a common scale 2^",
                  k.log2_scale, "); a cache holds plain values");
    arma::fmat tile = std::move(ntk ? k.ntk32 : k.nngp32);
    if (!tile.is_finite())
      for (arma::uword j = 0; j < tile.n_cols; ++j)
        for (arma::uword i = 0; i < tile.n_rows; ++i)
          if (!std::isfinite(tile(i, j)))
            throw_error(where, ": entry (", r0 + i + 1, ", ", c0 + j + 1, ") of the ",
                        ntk ? "NTK" : "NNGP", " is ", tile(i, j),
                        " (the tiles finished before it are kept)");
    return tile;
  };
}

}  // namespace ntk::core::cache
