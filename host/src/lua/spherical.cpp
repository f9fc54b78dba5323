// Spherical harmonic analysis in ntk.analysis (core/analysis/spherical.hpp), for the Mercer
// spectrum and smoothness experiments (Bietti & Mairal 2019, Propositions 4 and 5):
//
//   ntk.analysis.gauss_legendre(n)            -> {nodes = n×1, weights = n×1} on [−1, 1]
//   ntk.analysis.sphere_quadrature{d =, n =}  -> {t = n×1, weights = n×1}: Σ w f(t) ≈ the mean
//                                                of f(⟨x, e⟩) over the uniform sphere S^{d−1}
//   ntk.analysis.legendre_sphere(k_max, d, t) -> (k_max+1) × m matrix of P_k(t_i), P_k(1) = 1
//   ntk.analysis.harmonic_multiplicity(d, k)  -> N(d, k)
//   ntk.analysis.funk_hecke{t =, weights =, kappa =, d =, k_max =}
//                                             -> (k_max+1) × 1 Mercer eigenvalues μ_0 … μ_kmax
//   ntk.analysis.loglog_fit(x, y)             -> {slope =, intercept =, residual =}
// Vectors are ntk.matrix values or Lua lists.
#include <cmath>
#include <string>

#include "core/analysis/spherical.hpp"
#include "lua/args.hpp"
#include "lua/module.hpp"
#include "lua/table_reader.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::lua {
namespace {

namespace analysis = core::analysis;

arma::vec vector_arg(lua_State* L, int index, const char* who) {
  const arma::mat m = to_matrix(L, index);
  if (m.n_rows != 1 && m.n_cols != 1 && !m.is_empty())
    throw_error(who, ": argument #", index, " is a ", m.n_rows, " x ", m.n_cols,
                " matrix; a vector (n x 1 or 1 x n) is expected");
  return arma::vectorise(m);
}

// A required vector field (ntk.matrix with one row or column, or a list of numbers).
arma::vec vector_field(const TableReader& args, const char* key) {
  arma::mat storage;
  const arma::mat& m = args.required_matrix(key, storage);
  if (m.n_rows != 1 && m.n_cols != 1 && !m.is_empty())
    args.fail(key, "must be a vector (n x 1 or 1 x n), got a " + shape_text(m) + " matrix");
  return arma::vectorise(m);
}

arma::uword count_field(const TableReader& args, const char* key, double lo) {
  return arma::uword(args.required_integer(key, Range::between(lo, 1e8)));
}

void push_vec_field(lua_State* L, const char* key, const arma::vec& v) {
  push_matrix(L, arma::mat(v));
  lua_setfield(L, -2, key);
}

int l_gauss_legendre(lua_State* L) {
  return protect(L, [&] {
    const long long n = integer_arg(L, 1, "gauss_legendre");
    if (n < 1) throw_error("ntk.analysis.gauss_legendre: n = ", n, " must be >= 1");
    arma::vec x, w;
    analysis::gauss_legendre(arma::uword(n), x, w);
    lua_newtable(L);
    push_vec_field(L, "nodes", x);
    push_vec_field(L, "weights", w);
    return 1;
  });
}

int l_sphere_quadrature(lua_State* L) {
  return protect(L, [&] {
    const char* who = "ntk.analysis.sphere_quadrature";
    const TableReader args(L, 1, who, {"d", "n"});
    arma::vec t, w;
    analysis::sphere_quadrature(count_field(args, "d", 2), count_field(args, "n", 1), t, w);
    lua_newtable(L);
    push_vec_field(L, "t", t);
    push_vec_field(L, "weights", w);
    return 1;
  });
}

int l_legendre_sphere(lua_State* L) {
  return protect(L, [&] {
    const long long k = integer_arg(L, 1, "legendre_sphere"), d = integer_arg(L, 2, "legendre_sphere");
    if (k < 0 || d < 2) throw_error("ntk.analysis.legendre_sphere: k_max = ", k, ", d = ", d,
                                    "; k_max >= 0 and d >= 2 are required");
    push_matrix(L, analysis::legendre_sphere(arma::uword(k), arma::uword(d),
                                             vector_arg(L, 3, "ntk.analysis.legendre_sphere")));
    return 1;
  });
}

int l_harmonic_multiplicity(lua_State* L) {
  return protect(L, [&] {
    const long long d = integer_arg(L, 1, "harmonic_multiplicity"), k = integer_arg(L, 2, "harmonic_multiplicity");
    if (d < 2 || k < 0) throw_error("ntk.analysis.harmonic_multiplicity: d = ", d, ", k = ", k,
                                    "; d >= 2 and k >= 0 are required");
    push_integer_if_whole(L, analysis::harmonic_multiplicity(arma::uword(d), arma::uword(k)));
    return 1;
  });
}

int l_funk_hecke(lua_State* L) {
  return protect(L, [&] {
    const char* who = "ntk.analysis.funk_hecke";
    const TableReader args(L, 1, who, {"t", "weights", "kappa", "d", "k_max"});
    const arma::vec t = vector_field(args, "t"), w = vector_field(args, "weights");
    const arma::vec kappa = vector_field(args, "kappa");
    const arma::uword d = count_field(args, "d", 2), k_max = count_field(args, "k_max", 0);
    push_matrix(L, arma::mat(analysis::funk_hecke(t, w, kappa, d, k_max)));
    return 1;
  });
}

int l_loglog_fit(lua_State* L) {
  return protect(L, [&] {
    const analysis::PowerLawFit fit = analysis::loglog_fit(vector_arg(L, 1, "ntk.analysis.loglog_fit"),
                                                           vector_arg(L, 2, "ntk.analysis.loglog_fit"));
    lua_newtable(L);
    lua_pushnumber(L, fit.slope);
    lua_setfield(L, -2, "slope");
    lua_pushnumber(L, fit.intercept);
    lua_setfield(L, -2, "intercept");
    lua_pushnumber(L, fit.residual);
    lua_setfield(L, -2, "residual");
    return 1;
  });
}

const luaL_Reg kSphericalFunctions[] = {
    {"gauss_legendre", l_gauss_legendre},
    {"sphere_quadrature", l_sphere_quadrature},
    {"legendre_sphere", l_legendre_sphere},
    {"harmonic_multiplicity", l_harmonic_multiplicity},
    {"funk_hecke", l_funk_hecke},
    {"loglog_fit", l_loglog_fit},
    {nullptr, nullptr},
};

}  // namespace

void open_spherical(lua_State* L, Context&) {
  push_subtable(L, "analysis");  // shared with open_analysis, in either order
  luaL_setfuncs(L, kSphericalFunctions, 0);
  lua_pop(L, 1);
}

}  // namespace ntk::lua
