// A:kernel(x1, x2, kind, {precision = "float32", cache = "path"[, cache_tile = T]}): the
// kernel through a file on disk (core/cache): computed tile by tile into the file the first
// time, resumed where a stopped run left it, mapped (not recomputed) by later runs; returned as
// an ntk.fmatrix over the mapping (private: an in-place ridge never changes the file).
#pragma once

#include <lua.hpp>

#include <string>

#include "ntk/sdk/architecture.hpp"
#include "ntk/sdk/progress.hpp"

namespace ntk::lua {

// The text a cache file is tied to: the plugin name, every option the user gave (sorted, full
// precision, layer lists included) and the architecture's own description.
std::string architecture_text(const std::string& name, const sdk::Options& options,
                              const std::string& description);

struct KernelCacheRequest {
  std::string path;
  arma::uword tile = 2048;  // rows and columns of a tile
};

// Pushes the `kind` ("ntk" / "nngp") kernel of a and b (same: the same examples) as an
// ntk.fmatrix mapped from the cache file, and a table {path, tiles, tiles_from_disk,
// tiles_computed, entries_computed, seconds} (two Lua values).
void push_cached_kernel(lua_State* L, const sdk::Architecture& arch, const std::string& arch_text,
                        const sdk::Inputs& a, const sdk::Inputs& b, bool same,
                        const std::string& kind, const KernelCacheRequest& cache,
                        sdk::ProgressSink* progress);

}  // namespace ntk::lua

namespace ntk::lua {

// Refuses, before anything is allocated, kernels whose output alone (`matrices` n1 × n2 of
// `element_bytes`) exceeds the memory limit, with the plan: the float32 size, a cache file
// computed tile by tile (and the disk it needs), the largest n that fits.
void check_kernel_fits(const char* function, arma::uword n1, arma::uword n2, int matrices,
                       int element_bytes);

}  // namespace ntk::lua
