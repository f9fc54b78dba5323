// The list of Lua modules: new_state() calls open_all_modules with the `ntk` table on top.
// Each binding file adds its opener here (one declaration, one call).
#include "lua/module.hpp"

namespace ntk::lua {

void open_matrix(lua_State* L, Context& ctx);
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

void open_all_modules(lua_State* L, Context& ctx) {
  open_matrix(L, ctx);
  open_io(L, ctx);
  open_data(L, ctx);
  open_plot(L, ctx);
  open_arch(L, ctx);
  open_train(L, ctx);
  open_solve(L, ctx);
  open_analysis(L, ctx);
  open_graphs(L, ctx);  // after open_data: adds ntk.data.tu and ntk.data.graphs
  open_images(L, ctx);     // after open_data: adds ntk.data.deform and ntk.data.translate
  open_spherical(L, ctx);  // after open_analysis: adds ntk.analysis.funk_hecke and friends
  open_uci(L, ctx);        // after open_data: adds ntk.data.uci and ntk.data.uci_index
  open_arch_family(L, ctx);  // after open_arch: adds A:kernel_family
  open_classic_kernels(L, ctx);  // ntk.kernels: Gaussian and polynomial baselines
  open_progress(L, ctx);         // ntk.progress(false): no progress bars
}

}  // namespace ntk::lua
