// The list of Lua modules: new_state() calls open_all_modules with the `ntk` table on top.
// Each binding file adds its opener here (one declaration, one entry in the list). Openers get
// or create what they add to (ntk.data, ntk.analysis, method tables: lua/args.hpp), so the
// order of the list does not matter.
#include <vector>

#include "lua/module.hpp"

namespace ntk::lua {

void open_matrix(lua_State* L, Context& ctx);
void open_fmatrix(lua_State* L, Context& ctx);
void open_io(lua_State* L, Context& ctx);
void open_data(lua_State* L, Context& ctx);
void open_plot(lua_State* L, Context& ctx);
void open_arch(lua_State* L, Context& ctx);
void open_train(lua_State* L, Context& ctx);
void open_solve(lua_State* L, Context& ctx);
void open_analysis(lua_State* L, Context& ctx);
void open_graphs(lua_State* L, Context& ctx);
void open_images(lua_State* L, Context& ctx);
void open_spherical(lua_State* L, Context& ctx);
void open_uci(lua_State* L, Context& ctx);
void open_arch_family(lua_State* L, Context& ctx);
void open_classic_kernels(lua_State* L, Context& ctx);
void open_progress(lua_State* L, Context& ctx);
void open_threads(lua_State* L, Context& ctx);
void open_mpi(lua_State* L, Context& ctx);

const std::vector<ModuleOpener>& module_openers() {
  static const std::vector<ModuleOpener> openers = {
      {"matrix", open_matrix},
      {"fmatrix", open_fmatrix},            // float32 matrices (kernels of whole data sets)
      {"io", open_io},
      {"data", open_data},
      {"plot", open_plot},
      {"arch", open_arch},
      {"train", open_train},
      {"solve", open_solve},
      {"analysis", open_analysis},
      {"graphs", open_graphs},              // ntk.data.tu, ntk.data.graphs
      {"images", open_images},              // ntk.data.deform, ntk.data.translate
      {"spherical", open_spherical},        // ntk.analysis.funk_hecke and friends
      {"uci", open_uci},                    // ntk.data.uci, ntk.data.uci_index
      {"arch_family", open_arch_family},    // A:kernel_family
      {"classic_kernels", open_classic_kernels},  // ntk.kernels: Gaussian, polynomial
      {"progress", open_progress},          // ntk.progress(false): no progress bars
      {"threads", open_threads},            // ntk.threads(): the threads of the next call
      {"mpi", open_mpi},                    // ntk.mpi: ranks of mpirun (issue 16)
  };
  return openers;
}

void open_modules(lua_State* L, Context& ctx, const std::vector<ModuleOpener>& openers) {
  for (const ModuleOpener& opener : openers) opener.open(L, ctx);
}

void open_all_modules(lua_State* L, Context& ctx) { open_modules(L, ctx, module_openers()); }

}  // namespace ntk::lua
