// Lua module ntk.arch: architectures from plugins and their finite networks.
//
//   ntk.arch(name, options)          -> architecture (options: a table of numbers, booleans,
//                                       strings, lists of numbers; unknown keys are an error
//                                       from the plugin listing the keys it knows)
//   ntk.plugins()                    -> list of {name=, version=, summary=, path=,
//                                       options = list of {name=, default=, doc=}}
//   A:kernel(x1, x2, "ntk"|"nngp")   -> n1 × n2 ntk.matrix (default "ntk"; x2 may be omitted
//                                       for x1; the same matrix twice computes one triangle)
//   A:kernel(x1, x2, "ntk", {log_scale = true}) -> M, s: the true kernel is M·2^s (s = 0
//                                       unless it leaves the double range, e.g. deep ReLU nets
//                                       at large w_std; without log_scale that is an error)
//   A:kernels(x1, x2[, {log_scale = true}]) -> {nngp = M, ntk = M[, log2_scale = s]}
//   {precision = "float32"} in either options table: the kernels come back as ntk.fmatrix
//                                       values (4 bytes an entry; never a float64 copy)
//   A:kernel(x1, x2, "ntk", {precision = "float32", cache = "K.ntkkernel"[, cache_tile = 2048]})
//                                    -> K, info: the kernel through a file: computed tile by tile into
//                                       it (resumed where a stopped run left it), mapped by
//                                       later runs with the same architecture and data
//                                       (lua/kernel_cache.hpp); info = {path, tiles,
//                                       tiles_from_disk, tiles_computed, entries_computed,
//                                       seconds}
//   A:kernel(x1, x2, "ntk", {distributed = true[, grid = {rows, cols}][, block = nb]
//            [, precision = "float32"]})
//                                    -> ntk.dmatrix: under `mpirun -np R`, the kernel in
//                                       ScaLAPACK's block-cyclic layout, each rank computing
//                                       only its blocks (one triangle when x2 is x1); grid:
//                                       default the most square grid of the R ranks; block:
//                                       default 128 (lua/dmatrix.cpp, core/distributed)
//   A:describe(), A:name(), A:outputs(), tostring(A)
//   A:network{width = m, seed = s}   -> network (seed defaults to 0)
//   N:forward(x) (k × n), N:ntk(x1, x2) (n1 × n2, x2 optional), N:jacobian(x) ((n·k) × P),
//   N:jvp(x, v) (k × n, v has P entries), N:vjp(x, r) (P × 1, r is k × n), N:params() (P × 1),
//   N:set_params(v) (returns N), N:num_params(), N:outputs(), tostring(N)
//
// Inputs x are converted by lua/inputs.hpp: d × n ntk.matrix values (columns are examples),
// {x = M, shape = {C, H, W}} for images flattened channel-major, or graph collections; no
// copy of the data is made (the values are on the Lua stack for the call).
#include "lua/arch.hpp"

#include <cmath>
#include <new>
#include <sstream>
#include <string>

#include "core/cache/architecture_tiles.hpp"
#include "core/distributed/distributed.hpp"
#include "core/progress/kernel_progress.hpp"
#include "lua/args.hpp"
#include "lua/dmatrix.hpp"
#include "lua/file_access.hpp"
#include "lua/fmatrix.hpp"
#include "lua/kernel_cache.hpp"
#include "lua/module.hpp"
#include "lua/table_reader.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::lua {
namespace {

struct ArchHandle {
  std::shared_ptr<sdk::Architecture> arch;
  std::string name;
  std::string text;  // kernel_cache.hpp's architecture_text: what a cached kernel is tied to
};

struct NetworkHandle {
  std::shared_ptr<sdk::Network> network;
  std::shared_ptr<sdk::Architecture> arch;
};

template <class Handle>
int handle_gc(lua_State* L) {
  auto* h = static_cast<Handle*>(lua_touserdata(L, 1));
  h->~Handle();
  new (h) Handle{};  // a resurrected object stays valid (empty; methods then refuse it)
  return 0;
}

template <class Handle>
Handle* test_handle(lua_State* L, int index, const char* meta) {
  return static_cast<Handle*>(luaL_testudata(L, index, meta));
}

ArchHandle& arch_handle(lua_State* L, int index, const char* function) {
  auto* h = test_handle<ArchHandle>(L, index, kArchMeta);
  if (h == nullptr) argument_error(L, index, function, "ntk.arch");
  if (!h->arch) throw_error(function, "(): the architecture was already finalised");
  return *h;
}

NetworkHandle& network_handle(lua_State* L, int index, const char* function) {
  auto* h = test_handle<NetworkHandle>(L, index, kNetworkMeta);
  if (h == nullptr) argument_error(L, index, function, "ntk.network");
  if (!h->network) throw_error(function, "(): the network was already finalised");
  return *h;
}

}  // namespace

namespace {

sdk::KernelRequest request_for(const std::string& which) {
  if (which == "ntk") return {false, true};
  if (which == "nngp") return {true, false};
  throw_error("kernel(): unknown kernel \"", which, "\"; use \"ntk\" or \"nngp\"");
}


// Calls `body(a, b)` with the inputs of arguments i and j; the same Lua value twice gives one
// Inputs object, so the plugin sees &a == &b and computes one triangle.
template <class Body>
void with_input_pair(lua_State* L, int i, int j, const char* function, Body&& body) {
  const InputsRef a = inputs_arg(L, i, function);
  if (lua_isnoneornil(L, j) || lua_rawequal(L, i, j)) return body(*a, *a);
  const InputsRef b = inputs_arg(L, j, function);
  body(*a, *b);
}

// The options table of A:kernel / A:kernels, if there is one at `index`, into the request:
// {log_scale = true} asks for K / 2^s and s when the kernel leaves the double range (SDK 4.0,
// kernel_state.hpp); {precision = "float32"} for float32 kernels (ntk.fmatrix values);
// {cache = path, cache_tile = T} (A:kernel only) for a kernel through a file (kernel_cache.hpp).
struct DistributionRequest {
  bool on = false;
  core::distributed::DistributeOptions options;
};

// {distributed = true, grid = {rows, cols}, block = nb} (A:kernel only; issue 16).
void read_distribution(const TableReader& options, const sdk::KernelRequest& request,
                       DistributionRequest& d) {
  d.on = options.boolean("distributed", false);
  const auto grid = options.numbers("grid", Range::between(1, 1 << 20));
  const auto block = options.integer("block", Range::between(1, 1 << 20));
  if (!d.on) {
    if (grid || block) options.fail(grid ? "grid" : "block", "only applies with distributed = true");
    return;
  }
  if (grid) {
    if (grid->size() != 2 || (*grid)[0] != std::floor((*grid)[0]) || (*grid)[1] != std::floor((*grid)[1]))
      options.fail("grid", "must be {rows, cols}, two whole numbers");
    d.options.grid = {int((*grid)[0]), int((*grid)[1])};
  }
  if (block) d.options.block = arma::uword(*block);
  d.options.float32 = request.output == sdk::Precision::float32;
  if (request.log_scale)
    options.fail("log_scale", "does not go with distributed = true (distributed kernels hold "
                 "plain values)");
  if (options.has("cache")) options.fail("cache", "does not go with distributed = true");
}

void read_kernel_options(lua_State* L, int index, const char* function,
                         sdk::KernelRequest& request, KernelCacheRequest* cache = nullptr,
                         DistributionRequest* distribution = nullptr) {
  if (lua_isnoneornil(L, index)) return;
  const TableReader options(L, index, function,
                            cache ? std::vector<std::string>{"log_scale", "precision", "cache",
                                                             "cache_tile", "distributed", "grid",
                                                             "block"}
                                  : std::vector<std::string>{"log_scale", "precision"});
  request.log_scale = options.boolean("log_scale", false);
  const std::string precision = options.choice("precision", "float64", {"float64", "float32"});
  request.output = precision == "float32" ? sdk::Precision::float32 : sdk::Precision::float64;
  if (distribution) {
    read_distribution(options, request, *distribution);
    if (distribution->on) return;
  }
  if (cache == nullptr) return;
  cache->path = options.string("cache", "");
  cache->tile = arma::uword(options.integer("cache_tile", 2048, Range::between(1, 1 << 20)));
  if (cache->path.empty()) return;
  check_write(L, cache->path, std::string(function) + "()");  // the sandbox's rules (it is also read)
  if (request.output != sdk::Precision::float32)
    throw_error(function, "(): a cache holds float32 kernels: add precision = \"float32\" "
                "to the options (cache = \"", cache->path, "\")");
  if (request.log_scale)
    throw_error(function, "(): cache and log_scale do not go together (a cache holds the "
                "kernel's plain values)");
}

// Pushes a kernel as ntk.matrix or, when float32 was asked for, ntk.fmatrix.
void push_kernel(lua_State* L, const sdk::KernelRequest& request, arma::mat&& k64,
                 arma::fmat&& k32) {
  if (request.output == sdk::Precision::float32) push_fmatrix(L, std::move(k32));
  else push_matrix(L, std::move(k64));
}

template <class M>
void check_kernel_shape(const M& k, const sdk::Inputs& a, const sdk::Inputs& b,
                        const std::string& arch_name, const char* what) {
  if (k.n_rows != a.size() || k.n_cols != b.size())
    throw_error("plugin '", arch_name, "' returned a ", k.n_rows, " x ", k.n_cols, " ", what,
                " for ", a.size(), " and ", b.size(), " inputs");
}

int l_kernel(lua_State* L) {
  return protect(L, [&] {
    ArchHandle& h = arch_handle(L, 1, "kernel");
    // A:kernel(x1, x2, "ntk", opts) or A:kernel(x, "nngp", opts): options follow the kernel
    // name (a table in the second input's place would be read as an input).
    int second = 3, which_index = 4;
    if (lua_type(L, 3) == LUA_TSTRING) second = 0, which_index = 3;  // A:kernel(x, "nngp")
    const std::string which = opt_string_arg(L, which_index, "kernel", "ntk");
    sdk::KernelRequest request = request_for(which);
    KernelCacheRequest cache;
    DistributionRequest distribution;
    read_kernel_options(L, which_index + 1, "A:kernel", request, &cache, &distribution);
    if (distribution.on) {  // each rank computes its blocks (core/distributed)
      core::distributed::DistributedMatrix m;
      with_input_pair(L, 2, second == 0 ? 2 : second, "kernel",
                      [&](const sdk::Inputs& a, const sdk::Inputs& b) {
                        m = core::distributed::distributed_kernel(*h.arch, a, b, &a == &b,
                                                                  request.ntk, distribution.options);
                      });
      push_dmatrix(L, std::move(m));
      return 1;
    }
    if (!cache.path.empty()) {
      with_input_pair(L, 2, second == 0 ? 2 : second, "kernel",
                      [&](const sdk::Inputs& a, const sdk::Inputs& b) {
                        core::progress::KernelProgress progress(core::progress::kernel_title(
                            "A:kernel()", a.size(), b.size(), request.nngp, request.ntk));
                        push_cached_kernel(L, *h.arch, h.text, a, b, &a == &b, which, cache,
                                           &progress);
                        progress.finish();
                      });
      return 2;  // K and what was computed / read
    }
    int log2_scale = 0;
    arma::mat result;
    arma::fmat result32;
    with_input_pair(L, 2, second == 0 ? 2 : second, "kernel",
                    [&](const sdk::Inputs& a, const sdk::Inputs& b) {
                      // A bar for long kernels (core/progress; silent for short ones).
                      core::progress::KernelProgress progress(core::progress::kernel_title(
                          "A:kernel()", a.size(), b.size(), request.nngp, request.ntk));
                      check_kernel_fits("A:kernel", a.size(), b.size(), 1,
                                        request.output == sdk::Precision::float32 ? 4 : 8);
                      request.progress = &progress;
                      sdk::Kernels k = h.arch->kernels(a, b, request);
                      progress.finish();
                      core::cache::float32_fallback(request, k);
                      log2_scale = k.log2_scale;
                      if (request.output == sdk::Precision::float32) {
                        result32 = std::move(request.ntk ? k.ntk32 : k.nngp32);
                        check_kernel_shape(result32, a, b, h.name, which.c_str());
                      } else {
                        result = std::move(request.ntk ? k.ntk : k.nngp);
                        check_kernel_shape(result, a, b, h.name, which.c_str());
                      }
                    });
    push_kernel(L, request, std::move(result), std::move(result32));
    if (!request.log_scale) return 1;
    lua_pushinteger(L, log2_scale);  // the true kernel is the matrix times 2^s
    return 2;
  });
}

int l_kernels(lua_State* L) {
  return protect(L, [&] {
    ArchHandle& h = arch_handle(L, 1, "kernels");
    sdk::Kernels k;
    sdk::KernelRequest request{true, true};
    read_kernel_options(L, 4, "A:kernels", request);
    const bool f32 = request.output == sdk::Precision::float32;
    with_input_pair(L, 2, 3, "kernels", [&](const sdk::Inputs& a, const sdk::Inputs& b) {
      core::progress::KernelProgress progress(
          core::progress::kernel_title("A:kernels()", a.size(), b.size(), true, true));
      check_kernel_fits("A:kernels", a.size(), b.size(), 2, f32 ? 4 : 8);
      request.progress = &progress;
      k = h.arch->kernels(a, b, request);
      progress.finish();
      core::cache::float32_fallback(request, k);
      if (f32) {
        check_kernel_shape(k.nngp32, a, b, h.name, "nngp");
        check_kernel_shape(k.ntk32, a, b, h.name, "ntk");
      } else {
        check_kernel_shape(k.nngp, a, b, h.name, "nngp");
        check_kernel_shape(k.ntk, a, b, h.name, "ntk");
      }
    });
    lua_createtable(L, 0, 2);
    push_kernel(L, request, std::move(k.nngp), std::move(k.nngp32));
    lua_setfield(L, -2, "nngp");
    push_kernel(L, request, std::move(k.ntk), std::move(k.ntk32));
    lua_setfield(L, -2, "ntk");
    if (request.log_scale) {
      lua_pushinteger(L, k.log2_scale);
      lua_setfield(L, -2, "log2_scale");
    }
    return 1;
  });
}

int l_describe(lua_State* L) {
  return protect(L, [&] {
    const std::string text = arch_handle(L, 1, "describe").arch->describe();
    lua_pushlstring(L, text.data(), text.size());
    return 1;
  });
}

int l_arch_name(lua_State* L) {
  return protect(L, [&] {
    const std::string& name = arch_handle(L, 1, "name").name;
    lua_pushlstring(L, name.data(), name.size());
    return 1;
  });
}

int l_arch_outputs(lua_State* L) {
  return protect(L, [&] {
    lua_pushinteger(L, lua_Integer(arch_handle(L, 1, "outputs").arch->outputs()));
    return 1;
  });
}

int l_arch_tostring(lua_State* L) {
  return protect(L, [&] {
    ArchHandle* h = test_handle<ArchHandle>(L, 1, kArchMeta);
    const std::string text = h && h->arch ? "ntk.arch '" + h->name + "': " + h->arch->describe()
                                          : std::string("ntk.arch (finalised)");
    lua_pushlstring(L, text.data(), text.size());
    return 1;
  });
}

int l_network(lua_State* L) {
  return protect(L, [&] {
    ArchHandle& h = arch_handle(L, 1, "network");
    const TableReader args(L, 2, "network", {"width", "seed"});
    const long long width = args.required_integer("width", Range::at_least(1));
    const long long seed = args.integer("seed", 0, Range::non_negative());
    sdk::NetworkSpec spec;
    spec.width = static_cast<arma::uword>(width);
    spec.seed = static_cast<std::uint64_t>(seed);
    // The network's deleter holds the Architecture, hence the plugin library.
    std::unique_ptr<sdk::Network> made = h.arch->network(spec);
    if (!made) throw_error("plugin '", h.name, "' returned no network");
    std::shared_ptr<const sdk::Architecture> holder = h.arch;
    std::shared_ptr<sdk::Network> network(made.release(),
                                          [holder](sdk::Network* n) { delete n; });
    push_network(L, std::move(network), h.arch);
    return 1;
  });
}

// --- network methods -----------------------------------------------------------------------

// A vector of exactly `size` entries (P × 1 or 1 × P) aliasing the userdata's memory.
arma::vec vector_arg(lua_State* L, int index, const char* function, arma::uword size,
                     const char* what) {
  arma::mat& v = matrix_arg(L, index, function);
  if (v.n_elem != size || (v.n_rows != 1 && v.n_cols != 1))
    throw_error(function, "(): ", what, " is ", shape_text(v), " but the network has ", size,
                " parameters (a ", size, " x 1 matrix is expected)");
  if (size == 0) return arma::vec();
  return arma::vec(v.memptr(), size, false, true);
}

// A finite network's results are never returned with inf/NaN in them: deep or large-scale
// networks overflow the double range (fc depth 200, w_std 10: forward ~1e169, derivatives inf),
// and a silent inf would surface later as a bare eig_sym failure or a NaN loss.
arma::mat finite_result(arma::mat m, const char* method, const char* what) {
  if (m.is_finite()) return m;
  for (arma::uword j = 0; j < m.n_cols; ++j)
    for (arma::uword i = 0; i < m.n_rows; ++i)
      if (!std::isfinite(m(i, j)))
        throw_error("net:", method, "(): entry (", i + 1, ", ", j + 1, ") of ", what, " is ",
                    m(i, j), ": the network's activations or derivatives left the double range "
                    "(try a smaller w_std, fewer layers or rescaled inputs)");
  return m;
}

int l_forward(lua_State* L) {
  return protect(L, [&] {
    NetworkHandle& h = network_handle(L, 1, "forward");
    const InputsRef in = inputs_arg(L, 2, "forward");
    const sdk::Inputs& x = *in;
    push_matrix(L, finite_result(h.network->forward(x), "forward", "the outputs"));
    return 1;
  });
}

int l_network_ntk(lua_State* L) {
  return protect(L, [&] {
    NetworkHandle& h = network_handle(L, 1, "ntk");
    arma::mat result;
    with_input_pair(L, 2, 3, "ntk", [&](const sdk::Inputs& a, const sdk::Inputs& b) {
      result = h.network->ntk(a, b);
      check_kernel_shape(result, a, b, "network", "empirical ntk");
      result = finite_result(std::move(result), "ntk", "the empirical NTK");
    });
    push_matrix(L, std::move(result));
    return 1;
  });
}

int l_jacobian(lua_State* L) {
  return protect(L, [&] {
    NetworkHandle& h = network_handle(L, 1, "jacobian");
    const InputsRef in = inputs_arg(L, 2, "jacobian");
    const sdk::Inputs& x = *in;
    push_matrix(L, finite_result(h.network->jacobian(x), "jacobian", "the Jacobian"));
    return 1;
  });
}

int l_jvp(lua_State* L) {
  return protect(L, [&] {
    NetworkHandle& h = network_handle(L, 1, "jvp");
    const InputsRef in = inputs_arg(L, 2, "jvp");
    const sdk::Inputs& x = *in;
    const arma::vec v = vector_arg(L, 3, "jvp", h.network->num_params(), "the tangent");
    push_matrix(L, finite_result(h.network->jvp(x, v), "jvp", "the Jacobian-vector product"));
    return 1;
  });
}

int l_vjp(lua_State* L) {
  return protect(L, [&] {
    NetworkHandle& h = network_handle(L, 1, "vjp");
    const InputsRef in = inputs_arg(L, 2, "vjp");
    const sdk::Inputs& x = *in;
    const arma::mat& r = matrix_arg(L, 3, "vjp");
    const arma::uword k = h.network->outputs(), n = x.size();
    if (r.n_rows != k || r.n_cols != n)
      throw_error("vjp(): the cotangent is ", shape_text(r), " but forward(x) is ", k, " x ", n,
                  " (outputs x examples)");
    push_matrix(L, finite_result(arma::mat(h.network->vjp(x, r)), "vjp", "the vector-Jacobian product"));
    return 1;
  });
}

int l_params(lua_State* L) {
  return protect(L, [&] {
    push_matrix(L, arma::mat(network_handle(L, 1, "params").network->params()));
    return 1;
  });
}

int l_set_params(lua_State* L) {
  return protect(L, [&] {
    NetworkHandle& h = network_handle(L, 1, "set_params");
    const arma::vec v = vector_arg(L, 2, "set_params", h.network->num_params(), "the vector");
    h.network->set_params(v);
    lua_settop(L, 1);
    return 1;
  });
}

int l_num_params(lua_State* L) {
  return protect(L, [&] {
    lua_pushinteger(L, lua_Integer(network_handle(L, 1, "num_params").network->num_params()));
    return 1;
  });
}

int l_network_outputs(lua_State* L) {
  return protect(L, [&] {
    lua_pushinteger(L, lua_Integer(network_handle(L, 1, "outputs").network->outputs()));
    return 1;
  });
}

int l_network_tostring(lua_State* L) {
  return protect(L, [&] {
    NetworkHandle* h = test_handle<NetworkHandle>(L, 1, kNetworkMeta);
    std::ostringstream out;
    if (h && h->network)
      out << "ntk.network (" << h->network->num_params() << " parameters, "
          << h->network->outputs() << " outputs)";
    else
      out << "ntk.network (finalised)";
    const std::string text = out.str();
    lua_pushlstring(L, text.data(), text.size());
    return 1;
  });
}

// --- module functions ----------------------------------------------------------------------

int l_arch(lua_State* L) {
  return protect(L, [&] {
    const std::string name = string_arg(L, 1, "arch");
    const sdk::Options options = to_options(L, 2, "arch(\"" + name + "\")");
    std::shared_ptr<sdk::Architecture> arch = context(L).architectures->make(name, options);
    auto* h = new (lua_newuserdatauv(L, sizeof(ArchHandle), 0)) ArchHandle{};
    luaL_setmetatable(L, kArchMeta);
    h->text = architecture_text(name, options, arch->describe());
    h->arch = std::move(arch);
    h->name = name;
    return 1;
  });
}

void set_string(lua_State* L, const char* key, const std::string& value) {
  lua_pushlstring(L, value.data(), value.size());
  lua_setfield(L, -2, key);
}

int l_plugins(lua_State* L) {
  return protect(L, [&] {
    const auto plugins = context(L).architectures->list();
    lua_createtable(L, int(plugins.size()), 0);
    lua_Integer i = 0;
    for (const ArchitectureEntry& entry : plugins) {
      const ArchitectureEntry* p = &entry;
      lua_createtable(L, 0, 5);
      set_string(L, "name", p->info.name);
      set_string(L, "version", p->info.version);
      set_string(L, "summary", p->info.summary);
      set_string(L, "path", p->path);
      lua_createtable(L, int(p->info.options.size()), 0);
      lua_Integer j = 0;
      for (const sdk::OptionSpec& spec : p->info.options) {
        lua_createtable(L, 0, 3);
        set_string(L, "name", spec.name);
        push_option_value(L, spec.default_value);
        lua_setfield(L, -2, "default");
        set_string(L, "doc", spec.doc);
        lua_rawseti(L, -2, ++j);
      }
      lua_setfield(L, -2, "options");
      lua_rawseti(L, -2, ++i);
    }
    return 1;
  });
}

const luaL_Reg kArchMethods[] = {{"kernel", l_kernel},       {"kernels", l_kernels},
                                 {"describe", l_describe},   {"name", l_arch_name},
                                 {"outputs", l_arch_outputs}, {"network", l_network},
                                 {nullptr, nullptr}};

const luaL_Reg kNetworkMethods[] = {
    {"forward", l_forward}, {"ntk", l_network_ntk},       {"jacobian", l_jacobian},
    {"jvp", l_jvp},         {"vjp", l_vjp},               {"params", l_params},
    {"set_params", l_set_params}, {"num_params", l_num_params},
    {"outputs", l_network_outputs}, {nullptr, nullptr}};

}  // namespace

InputsRef inputs_arg(lua_State* L, int index, const char* function) {
  return to_inputs(L, index, argument_name(L, index, function));
}

void push_network(lua_State* L, std::shared_ptr<sdk::Network> network,
                  std::shared_ptr<sdk::Architecture> arch) {
  auto* h = new (lua_newuserdatauv(L, sizeof(NetworkHandle), 0)) NetworkHandle{};
  luaL_setmetatable(L, kNetworkMeta);
  h->network = std::move(network);
  h->arch = std::move(arch);
}

std::shared_ptr<sdk::Architecture> check_arch(lua_State* L, int index) {
  auto* h = static_cast<ArchHandle*>(luaL_checkudata(L, index, kArchMeta));
  if (!h->arch) luaL_argerror(L, index, "the architecture was already finalised");
  return h->arch;
}

std::shared_ptr<sdk::Network> check_network(lua_State* L, int index) {
  auto* h = static_cast<NetworkHandle*>(luaL_checkudata(L, index, kNetworkMeta));
  if (!h->network) luaL_argerror(L, index, "the network was already finalised");
  return h->network;
}

std::shared_ptr<sdk::Architecture> arg_arch(lua_State* L, int index, const char* function) {
  return arch_handle(L, index, function).arch;
}

std::shared_ptr<sdk::Network> arg_network(lua_State* L, int index, const char* function) {
  return network_handle(L, index, function).network;
}

std::shared_ptr<sdk::Architecture> arg_network_arch(lua_State* L, int index,
                                                    const char* function) {
  return network_handle(L, index, function).arch;
}

void open_arch(lua_State* L, Context&) {
  register_userdata_type(L, kArchMeta, handle_gc<ArchHandle>, l_arch_tostring, kArchMethods);
  register_userdata_type(L, kNetworkMeta, handle_gc<NetworkHandle>, l_network_tostring,
                         kNetworkMethods);
  lua_pushcfunction(L, l_arch);
  lua_setfield(L, -2, "arch");
  lua_pushcfunction(L, l_plugins);
  lua_setfield(L, -2, "plugins");
}

}  // namespace ntk::lua
