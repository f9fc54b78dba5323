#include "lua/kernel_cache.hpp"

#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "core/cache/architecture_tiles.hpp"
#include "core/cache/cached_kernel.hpp"
#include "core/cache/fingerprint.hpp"
#include "core/progress/switch.hpp"
#include "lua/fmatrix.hpp"
#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::lua {
namespace {

std::string number_text(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", v);  // round-trips: 1.4 and 1.4000000000000001 differ
  return text;
}

void write_options(std::ostream& out, const sdk::Options& options);

void write_value(std::ostream& out, const sdk::OptionValue& v) {
  if (auto* b = std::get_if<bool>(&v)) out << (*b ? "true" : "false");
  else if (auto* d = std::get_if<double>(&v)) out << number_text(*d);
  else if (auto* s = std::get_if<std::string>(&v)) out << '"' << *s << '"';
  else if (auto* list = std::get_if<std::vector<double>>(&v)) {
    out << '{';
    for (std::size_t i = 0; i < list->size(); ++i) out << (i ? ", " : "") << number_text((*list)[i]);
    out << '}';
  } else {
    out << '{';
    const auto& layers = std::get<std::vector<sdk::LayerSpec>>(v);
    for (std::size_t i = 0; i < layers.size(); ++i) {
      out << (i ? ", " : "") << "{\"" << layers[i].name << '"';
      if (!layers[i].options.values().empty()) out << ", ";
      write_options(out, layers[i].options);
      out << '}';
    }
    out << '}';
  }
}

void write_options(std::ostream& out, const sdk::Options& options) {
  bool first = true;
  for (const auto& [key, value] : options.values()) {  // std::map: sorted keys
    out << (first ? "" : ", ") << key << " = ";
    write_value(out, value);
    first = false;
  }
}

}  // namespace

std::string architecture_text(const std::string& name, const sdk::Options& options,
                              const std::string& description) {
  std::ostringstream out;
  out << name << " {";
  write_options(out, options);
  out << "}: " << description;
  return out.str();
}

void push_cached_kernel(lua_State* L, const sdk::Architecture& arch, const std::string& arch_text,
                        const sdk::Inputs& a, const sdk::Inputs& b, bool same,
                        const std::string& kind, const KernelCacheRequest& cache,
                        sdk::ProgressSink* progress) {
  core::cache::KernelKey key;
  key.rows = a.size();
  key.cols = b.size();
  key.kind = kind;
  key.arch_text = arch_text;
  key.rows_data = core::cache::fingerprint(a);
  key.cols_data = same ? key.rows_data : core::cache::fingerprint(b);
  // The same data given twice (two Lua values) is still one symmetric kernel.
  key.symmetric = key.rows == key.cols && key.rows_data == key.cols_data;
  core::cache::KernelFile file = core::cache::KernelFile::open(cache.path, key, cache.tile);

  const core::cache::TileFunction compute = core::cache::architecture_tiles(
      arch, a, b, kind == "ntk", "A:kernel(): cache '" + cache.path + "'");
  core::cache::FillReport report;
  core::cache::MappedKernel mapped = core::cache::fill_kernel_file(file, compute, progress, &report);
  if (core::progress::enabled() && report.tiles_on_disk > 0)
    std::cerr << "A:kernel(): cache '" << cache.path << "': " << report.tiles_on_disk << " of "
              << file.needed_count() << " tiles read from disk, " << report.tiles_computed
              << " computed\n";
  push_fmatrix_view(L, std::move(mapped.matrix), std::move(mapped.keep));
  // The second result: what this call computed and what it read.
  lua_createtable(L, 0, 6);
  lua_pushlstring(L, cache.path.data(), cache.path.size());
  lua_setfield(L, -2, "path");
  lua_pushinteger(L, lua_Integer(file.needed_count()));
  lua_setfield(L, -2, "tiles");
  lua_pushinteger(L, lua_Integer(report.tiles_on_disk));
  lua_setfield(L, -2, "tiles_from_disk");
  lua_pushinteger(L, lua_Integer(report.tiles_computed));
  lua_setfield(L, -2, "tiles_computed");
  lua_pushnumber(L, report.entries_computed);
  lua_setfield(L, -2, "entries_computed");
  lua_pushnumber(L, report.seconds);
  lua_setfield(L, -2, "seconds");
}

}  // namespace ntk::lua

namespace ntk::lua {

void check_kernel_fits(const char* function, arma::uword n1, arma::uword n2, int matrices,
                       int element_bytes) {
  const double entries = double(n1) * double(n2) * matrices;
  const double bytes = entries * element_bytes;
  if (bytes < 256e6) return;  // small kernels skip the /proc reads
  const sdk::MemoryLimit limit = sdk::memory_limit();
  if (bytes <= limit.bytes) return;
  const auto gb = [](double b) { return sdk::detail::gb(b); };
  std::ostringstream plan;
  plan << function << "(): the " << n1 << " x " << n2 << (matrices > 1 ? " kernels need " : " kernel needs ")
       << gb(bytes) << " as " << (element_bytes == 8 ? "float64" : "float32") << ", more than the "
       << gb(limit.bytes) << " this process may use (" << limit.source << "). Options: ";
  if (element_bytes == 8) {
    const double f32 = entries * 4;
    plan << "{precision = \"float32\"} needs " << gb(f32)
         << (f32 <= limit.bytes ? " (fits); " : " (does not fit either); ");
  }
  const arma::uword tile = 2048;
  plan << "{precision = \"float32\", cache = \"FILE\"} computes " << (matrices > 1 ? "each kernel" : "it")
       << " into a file tile by tile (" << gb(double(n1) * double(n2) * 4)
       << " of disk, " << gb(double(tile) * tile * 8 * 2) << " of working memory) and maps it";
  // n² · matrices · bytes ≤ limit for a square kernel of the first n examples.
  const double n_fit = std::floor(std::sqrt(limit.bytes / (double(matrices) * element_bytes)));
  const auto n = static_cast<unsigned long long>(n_fit);
  plan << "; or at most " << n << " examples (an " << n << " x " << n << " kernel) at this precision";
  throw_error(plan.str());
}

}  // namespace ntk::lua
