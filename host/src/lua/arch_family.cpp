// A:kernel_family(x1 [, x2] [, {depths = {…}, nngp = false, ntk = true}]) on ntk.arch values:
// the architecture's kernel family from one pass (sdk Architecture::kernel_family), e.g. for fc
// every depth d ≤ the configured depth × every fixed_layers F = 0..d.
//   -> list of {depth = d, fixed_layers = F, ntk = M, nngp = M}: one table per member with its
//      settings as fields (numbers) and the requested n1 × n2 matrices
// x1, x2 are inputs as for A:kernel (ntk.matrix d × n, {x =, shape =} images, graph collections);
// x2 omitted (or the same value) computes one triangle. `depths` (fc) or `blocks` and
// `jumping_knowledge` (gnn) narrow the family; every member's matrices exist at once, so for large n ask
// one depth at a time. Architectures without families raise "not supported".
#include <lua.hpp>

#include "lua/arch.hpp"
#include "core/progress/kernel_progress.hpp"
#include "lua/args.hpp"
#include "lua/inputs.hpp"
#include "lua/module.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::lua {
namespace {

void push_setting(lua_State* L, const sdk::OptionValue& value) {
  if (const double* d = std::get_if<double>(&value)) {
    if (*d == double(lua_Integer(*d))) lua_pushinteger(L, lua_Integer(*d));
    else lua_pushnumber(L, *d);
  } else if (const bool* b = std::get_if<bool>(&value)) {
    lua_pushboolean(L, *b);
  } else if (const std::string* s = std::get_if<std::string>(&value)) {
    lua_pushstring(L, s->c_str());
  } else {
    push_option_value(L, value);  // lists of numbers and of named tables
  }
}

int l_kernel_family(lua_State* L) {
  const char* fn = "kernel_family";
  return protect(L, [&] {
    const auto arch = arg_arch(L, 1, fn);
    const bool second = is_inputs(L, 3);
    const int options_index = second ? 4 : 3;
    const bool same = !second || lua_rawequal(L, 2, 3);
    sdk::FamilyRequest request;
    sdk::Options options = to_options(L, options_index, "kernel_family()");
    for (const auto& [key, value] : options.values()) {
      if (key == "nngp" || key == "ntk") {
        const bool* flag = std::get_if<bool>(&value);
        if (!flag) throw_error("kernel_family(): option '", key, "' must be a boolean");
        (key == "nngp" ? request.nngp : request.ntk) = *flag;
      } else {
        request.select.set(key, value);  // the architecture checks its selection keys
      }
    }
    const InputsRef a = inputs_arg(L, 2, fn);
    std::vector<sdk::FamilyMember> members;
    arma::uword n2 = a->size();
    // A bar for long kernels (core/progress; silent for short ones).
    core::progress::KernelProgress progress("A:kernel_family()");
    request.progress = &progress;
    if (same) {
      members = arch->kernel_family(*a, *a, request);
    } else {
      const InputsRef b = inputs_arg(L, 3, fn);
      n2 = b->size();
      members = arch->kernel_family(*a, *b, request);
    }
    progress.finish();
    const arma::uword n1 = a->size();
    lua_createtable(L, int(members.size()), 0);
    for (std::size_t m = 0; m < members.size(); ++m) {
      sdk::FamilyMember& member = members[m];
      for (const arma::mat* k : {&member.ntk, &member.nngp})
        if (!k->is_empty() && (k->n_rows != n1 || k->n_cols != n2))
          throw_error("kernel_family(): the plugin returned a ", shape_text(*k), " kernel for ",
                      n1, " and ", n2, " inputs");
      lua_createtable(L, 0, 4);
      for (const auto& [key, value] : member.settings.values()) {
        push_setting(L, value);
        lua_setfield(L, -2, key.c_str());
      }
      if (request.ntk) {
        push_matrix(L, std::move(member.ntk));
        lua_setfield(L, -2, "ntk");
      }
      if (request.nngp) {
        push_matrix(L, std::move(member.nngp));
        lua_setfield(L, -2, "nngp");
      }
      lua_rawseti(L, -2, lua_Integer(m + 1));
    }
    return 1;
  });
}

}  // namespace

// Adds kernel_family to the methods of ntk.arch values (before or after open_arch).
void open_arch_family(lua_State* L, Context&) {
  push_methods_table(L, kArchMeta);  // made here when open_arch has not run yet
  lua_pushcfunction(L, l_kernel_family);
  lua_setfield(L, -2, "kernel_family");
  lua_pop(L, 1);
}

}  // namespace ntk::lua
