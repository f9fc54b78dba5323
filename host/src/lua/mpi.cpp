// Lua module ntk.mpi: the ranks of `mpirun -np R ntklab run SCRIPT` (issue 16, core/mpi/comm.hpp).
//
//   ntk.mpi.available()  -> true when this ntklab was built with MPI and ScaLAPACK
//   ntk.mpi.rank()       -> this process's rank, 0..R-1 (0 without mpirun)
//   ntk.mpi.size()       -> R (1 without mpirun)
//   ntk.mpi.host()       -> this rank's host name
//   ntk.mpi.hosts()      -> every rank's host name, in rank order          (collective)
//   ntk.mpi.barrier()    -> waits for every rank                           (collective)
//   ntk.mpi.output(on)   -> this rank writes files and prints too (on = true) or not
//   ntk.mpi.sum(x)       -> the sum over the ranks of a number or an ntk.matrix (the same
//                           shape on every rank), on every rank            (collective)
//                           e.g. Monte-Carlo over ranks: each rank its own seeds, then sum
//
// Output: the script runs on every rank; only rank 0 prints (print) and writes
// (ntk.io.write_jsonl, M:save, M:save_csv) unless ntk.mpi.output(true) was called on a rank.
// On the other ranks those calls do nothing, so a script written for one process writes its
// results once under mpirun.
#include <lua.hpp>

#include "core/mpi/comm.hpp"
#include "lua/args.hpp"
#include "lua/module.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::lua {
namespace {

int l_available(lua_State* L) {
  lua_pushboolean(L, core::mpi::built_with_mpi());
  return 1;
}

int l_rank(lua_State* L) {
  lua_pushinteger(L, core::mpi::rank());
  return 1;
}

int l_size(lua_State* L) {
  lua_pushinteger(L, core::mpi::size());
  return 1;
}

int l_host(lua_State* L) {
  return protect(L, [&] {
    const std::string name = core::mpi::host_name();
    lua_pushlstring(L, name.data(), name.size());
    return 1;
  });
}

int l_hosts(lua_State* L) {
  return protect(L, [&] {
    core::mpi::enter_collective("ntk.mpi.hosts()");
    const auto names = core::mpi::all_host_names();
    lua_createtable(L, int(names.size()), 0);
    for (std::size_t i = 0; i < names.size(); ++i) {
      lua_pushlstring(L, names[i].data(), names[i].size());
      lua_rawseti(L, -2, lua_Integer(i + 1));
    }
    return 1;
  });
}

int l_barrier(lua_State* L) {
  return protect(L, [&] {
    core::mpi::enter_collective("ntk.mpi.barrier()");
    core::mpi::barrier();
    return 0;
  });
}

int l_output(lua_State* L) {
  return protect(L, [&] {
    if (lua_type(L, 1) != LUA_TBOOLEAN)
      throw_error("ntk.mpi.output(on): on must be true or false, got ", luaL_typename(L, 1));
    core::mpi::set_writes(lua_toboolean(L, 1) != 0);
    return 0;
  });
}

int l_sum(lua_State* L) {
  return protect(L, [&] {
    core::mpi::enter_collective("ntk.mpi.sum()");
    if (lua_type(L, 1) == LUA_TNUMBER) {
      double value = lua_tonumber(L, 1);
      core::mpi::allreduce_sum(&value, 1);
      lua_pushnumber(L, value);
      return 1;
    }
    arma::mat m = matrix_arg(L, 1, "ntk.mpi.sum");
    const arma::uword shape[2] = {m.n_rows, m.n_cols};
    core::mpi::check_same(core::mpi::fingerprint(shape, sizeof shape), "ntk.mpi.sum()",
                          "the matrix's shape");
    core::mpi::allreduce_sum(m.memptr(), m.n_elem);
    push_matrix(L, std::move(m));
    return 1;
  });
}

// print on a rank that does not write: nothing.
int l_quiet_print(lua_State*) { return 0; }

int l_print(lua_State* L) {
  if (!core::mpi::writes()) return l_quiet_print(L);
  lua_pushvalue(L, lua_upvalueindex(1));  // Lua's own print
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 0);
  return 0;
}

const luaL_Reg kMpi[] = {{"available", l_available}, {"rank", l_rank},       {"size", l_size},
                         {"host", l_host},           {"hosts", l_hosts},     {"barrier", l_barrier},
                         {"output", l_output},       {"sum", l_sum},
                         {nullptr, nullptr}};

}  // namespace

void open_mpi(lua_State* L, Context&) {
  lua_newtable(L);
  luaL_setfuncs(L, kMpi, 0);
  lua_setfield(L, -2, "mpi");
  // Under mpirun, print goes through the writer check (the global print of the state).
  if (core::mpi::size() > 1) {
    lua_getglobal(L, "print");
    if (lua_isfunction(L, -1)) {
      lua_pushcclosure(L, l_print, 1);
      lua_setglobal(L, "print");
    } else {
      lua_pop(L, 1);
    }
  }
}

}  // namespace ntk::lua
