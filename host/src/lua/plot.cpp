// Lua module ntk.plot: figures through gnuplot (host/src/core/plot/gnuplot.hpp).
//
//   ntk.plot.line{file = "fig.png" | "fig.svg", title =, xlabel =, ylabel =, logx =, logy =,
//                 width =, height =,
//                 series = {{x = {…}, y = {…}, yerr = {…}?, label = "…"?,
//                            style = "linespoints" | "lines" | "points"}, …}}      -> file
//   ntk.plot.heatmap{file =, matrix = M, title =, xlabel =, ylabel =, width =, height =} -> file
//   ntk.plot.summarize(rows, {x = "sigma2", y = "test_loss", by = "method"?,
//                             where = {status = "ok", …}?})                       -> series
//
// x, y, yerr are Lua lists or ntk.matrix vectors; matrix is an ntk.matrix or a table of rows.
// Each figure FILE comes with FILE.gp (gnuplot script with the data inlined) so it can be
// restyled and redrawn with `gnuplot FILE.gp` in its folder. Unknown keys are errors that list
// the accepted ones.
//
// summarize groups result rows (e.g. from ntk.io.read_jsonl(params.results)) by the value of
// `by` (one series per value, labelled "by=value"; one series when `by` is absent), and within
// a series by x: y is the mean over the rows with that x, yerr the standard error of the mean
// (sample standard deviation / √n; 0 for a single row). Rows missing x or y, or failing the
// `where` filter (default: status absent or "ok"), are skipped. The result plugs straight into
// ntk.plot.line{series = …}.
#include <lua.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/plot/gnuplot.hpp"
#include "lua/module.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::lua {
namespace {

// Field access for option tables that throws ntk::Error (inside protect), without metamethods.
int raw_field(lua_State* L, int table, const char* key) {
  lua_pushstring(L, key);
  return lua_rawget(L, table);
}

void check_keys(lua_State* L, int table, const std::string& function,
                const std::set<std::string>& known) {
  lua_pushnil(L);
  while (lua_next(L, table) != 0) {
    lua_pop(L, 1);
    const bool is_string = lua_type(L, -1) == LUA_TSTRING;
    const std::string key = is_string ? lua_tostring(L, -1) : std::string("(non-string key)");
    if (!is_string || known.count(key) == 0) {
      lua_pop(L, 1);
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      throw_error(function, ": unknown option '", key, "' (accepted: ", list, ")");
    }
  }
}

std::string string_field(lua_State* L, int table, const char* key, const std::string& function,
                         const std::string& fallback) {
  const int type = raw_field(L, table, key);
  std::string value = fallback;
  if (type == LUA_TSTRING) value = lua_tostring(L, -1);
  lua_pop(L, 1);
  if (type != LUA_TSTRING && type != LUA_TNIL)
    throw_error(function, ": option '", key, "' must be a string, got ", lua_typename(L, type));
  return value;
}

bool bool_field(lua_State* L, int table, const char* key, const std::string& function) {
  const int type = raw_field(L, table, key);
  const bool value = lua_toboolean(L, -1) != 0;
  lua_pop(L, 1);
  if (type != LUA_TBOOLEAN && type != LUA_TNIL)
    throw_error(function, ": option '", key, "' must be a boolean, got ", lua_typename(L, type));
  return value;
}

int int_field(lua_State* L, int table, const char* key, const std::string& function,
              int fallback) {
  const int type = raw_field(L, table, key);
  const double value = type == LUA_TNUMBER ? lua_tonumber(L, -1) : fallback;
  lua_pop(L, 1);
  if (type != LUA_TNUMBER && type != LUA_TNIL)
    throw_error(function, ": option '", key, "' must be a number, got ", lua_typename(L, type));
  if (value != std::floor(value) || std::fabs(value) > 1e6)
    throw_error(function, ": option '", key, "' must be a whole number, got ", value);
  return static_cast<int>(value);
}

// A list or vector field as std::vector<double>; `required` fields must be present.
std::vector<double> vector_field(lua_State* L, int table, const char* key,
                                 const std::string& where, bool required) {
  const int type = raw_field(L, table, key);
  if (type == LUA_TNIL) {
    lua_pop(L, 1);
    if (required) throw_error(where, ": '", key, "' is missing (a list of numbers)");
    return {};
  }
  arma::mat m;
  try {
    m = to_matrix(L, -1);
  } catch (const std::exception& e) {
    lua_pop(L, 1);
    throw_error(where, ": '", key, "': ", e.what());
  }
  lua_pop(L, 1);
  if (!m.is_empty() && !m.is_vec())
    throw_error(where, ": '", key, "' must be a vector, got a ", m.n_rows, " x ", m.n_cols,
                " matrix");
  return std::vector<double>(m.begin(), m.end());
}

int absolute_table(lua_State* L, int index, const std::string& function) {
  if (!lua_istable(L, index))
    throw_error("bad argument #1 to '", function, "' (table expected, got ",
                luaL_typename(L, index), ")");
  return lua_absindex(L, index);
}

int l_line(lua_State* L) {
  return protect(L, [&] {
    const std::string function = "ntk.plot.line";
    const int t = absolute_table(L, 1, function);
    check_keys(L, t, function,
               {"file", "title", "xlabel", "ylabel", "logx", "logy", "series", "width", "height"});
    core::plot::LineFigure figure;
    figure.file = string_field(L, t, "file", function, "");
    figure.title = string_field(L, t, "title", function, "");
    figure.xlabel = string_field(L, t, "xlabel", function, "");
    figure.ylabel = string_field(L, t, "ylabel", function, "");
    figure.logx = bool_field(L, t, "logx", function);
    figure.logy = bool_field(L, t, "logy", function);
    figure.width = int_field(L, t, "width", function, figure.width);
    figure.height = int_field(L, t, "height", function, figure.height);
    if (raw_field(L, t, "series") != LUA_TTABLE)
      throw_error(function, ": 'series' must be a list of {x = …, y = …} tables, got ",
                  luaL_typename(L, -1));
    const int list = lua_gettop(L);
    const lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, list));
    for (lua_Integer k = 1; k <= n; ++k) {
      const std::string where = function + ": series " + std::to_string(k);
      if (lua_rawgeti(L, list, k) != LUA_TTABLE)
        throw_error(where, " must be a table {x = …, y = …}, got ", luaL_typename(L, -1));
      const int s = lua_gettop(L);
      check_keys(L, s, where, {"x", "y", "yerr", "label", "style"});
      core::plot::Series series;
      series.x = vector_field(L, s, "x", where, true);
      series.y = vector_field(L, s, "y", where, true);
      series.yerr = vector_field(L, s, "yerr", where, false);
      series.label = string_field(L, s, "label", where, "");
      series.style = string_field(L, s, "style", where, series.style);
      figure.series.push_back(std::move(series));
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
    core::plot::draw(figure);
    lua_pushstring(L, figure.file.c_str());
    return 1;
  });
}

int l_heatmap(lua_State* L) {
  return protect(L, [&] {
    const std::string function = "ntk.plot.heatmap";
    const int t = absolute_table(L, 1, function);
    check_keys(L, t, function, {"file", "matrix", "title", "xlabel", "ylabel", "width", "height"});
    core::plot::HeatmapFigure figure;
    figure.file = string_field(L, t, "file", function, "");
    figure.title = string_field(L, t, "title", function, "");
    figure.xlabel = string_field(L, t, "xlabel", function, "");
    figure.ylabel = string_field(L, t, "ylabel", function, "");
    figure.width = int_field(L, t, "width", function, figure.width);
    figure.height = int_field(L, t, "height", function, figure.height);
    if (raw_field(L, t, "matrix") == LUA_TNIL)
      throw_error(function, ": 'matrix' is missing (an ntk.matrix or a table of rows)");
    try {
      figure.matrix = to_matrix(L, -1);
    } catch (const std::exception& e) {
      throw_error(function, ": 'matrix': ", e.what());
    }
    lua_pop(L, 1);
    core::plot::draw(figure);
    lua_pushstring(L, figure.file.c_str());
    return 1;
  });
}

// The text of a scalar row field for grouping ("relu", "0.1"), or false when absent.
bool scalar_text(lua_State* L, int row, const std::string& key, std::string& text) {
  const int type = raw_field(L, row, key.c_str());
  bool ok = true;
  if (type == LUA_TSTRING || type == LUA_TNUMBER) {
    lua_pushvalue(L, -1);
    text = lua_tostring(L, -1);  // converts the copy, not the field
    lua_pop(L, 1);
  } else if (type == LUA_TBOOLEAN) {
    text = lua_toboolean(L, -1) ? "true" : "false";
  } else {
    ok = false;
  }
  lua_pop(L, 1);
  return ok;
}

int l_summarize(lua_State* L) {
  return protect(L, [&] {
    const std::string function = "ntk.plot.summarize";
    if (!lua_istable(L, 1))
      throw_error("bad argument #1 to '", function, "' (list of rows expected, got ",
                  luaL_typename(L, 1), ")");
    if (!lua_istable(L, 2))
      throw_error("bad argument #2 to '", function, "' (table {x = KEY, y = KEY} expected, got ",
                  luaL_typename(L, 2), ")");
    check_keys(L, 2, function, {"x", "y", "by", "where"});
    const std::string x_key = string_field(L, 2, "x", function, "");
    const std::string y_key = string_field(L, 2, "y", function, "");
    const std::string by_key = string_field(L, 2, "by", function, "");
    if (x_key.empty() || y_key.empty())
      throw_error(function, ": give the row keys to plot, {x = \"sigma2\", y = \"test_loss\"}");
    // The filter: key -> accepted text; default status = "ok" (or absent).
    std::vector<std::pair<std::string, std::string>> where;
    const int where_type = raw_field(L, 2, "where");
    if (where_type == LUA_TTABLE) {
      const int w = lua_gettop(L);
      lua_pushnil(L);
      while (lua_next(L, w) != 0) {
        if (lua_type(L, -2) != LUA_TSTRING)
          throw_error(function, ": 'where' keys must be strings");
        lua_pushvalue(L, -1);
        const char* value = lua_tostring(L, -1);
        if (value == nullptr) throw_error(function, ": 'where' values must be strings or numbers");
        where.emplace_back(lua_tostring(L, -3), value);
        lua_pop(L, 2);
      }
    } else if (where_type != LUA_TNIL) {
      throw_error(function, ": 'where' must be a table, got ", lua_typename(L, where_type));
    }
    lua_pop(L, 1);
    const bool default_filter = where_type == LUA_TNIL;

    // series label -> x -> y values; series in order of first appearance.
    std::vector<std::string> order;
    std::map<std::string, std::map<double, std::vector<double>>> groups;
    const lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, 1));
    for (lua_Integer i = 1; i <= n; ++i) {
      if (lua_rawgeti(L, 1, i) != LUA_TTABLE) {
        lua_pop(L, 1);
        continue;
      }
      const int row = lua_gettop(L);
      std::string text;
      bool keep = true;
      if (default_filter) keep = !scalar_text(L, row, "status", text) || text == "ok";
      for (const auto& [key, value] : where)
        keep = keep && scalar_text(L, row, key, text) && text == value;
      const int xt = raw_field(L, row, x_key.c_str());
      const double x = lua_tonumber(L, -1);
      const int yt = raw_field(L, row, y_key.c_str());
      const double y = lua_tonumber(L, -1);
      lua_pop(L, 2);
      std::string label;
      if (!by_key.empty()) keep = keep && scalar_text(L, row, by_key, label);
      lua_pop(L, 1);
      if (!keep || xt != LUA_TNUMBER || yt != LUA_TNUMBER) continue;
      if (!std::isfinite(x) || !std::isfinite(y))
        throw_error(function, ": row ", i, " has ", x_key, " = ", x, ", ", y_key, " = ", y,
                    " (values must be finite)");
      if (!by_key.empty()) label = by_key + "=" + label;
      if (!groups.count(label)) order.push_back(label);
      groups[label][x].push_back(y);
    }
    lua_createtable(L, static_cast<int>(order.size()), 0);
    int index = 0;
    for (const auto& label : order) {
      const auto& by_x = groups[label];
      std::vector<double> xs, means, errors;
      for (const auto& [x, ys] : by_x) {
        double mean = 0;
        for (double y : ys) mean += y;
        mean /= static_cast<double>(ys.size());
        double var = 0;
        for (double y : ys) var += (y - mean) * (y - mean);
        const double m = static_cast<double>(ys.size());
        xs.push_back(x);
        means.push_back(mean);
        errors.push_back(ys.size() > 1 ? std::sqrt(var / (m - 1) / m) : 0.0);
      }
      lua_createtable(L, 0, 4);
      for (const auto& [key, values] :
           {std::pair<const char*, const std::vector<double>*>{"x", &xs}, {"y", &means},
            {"yerr", &errors}}) {
        lua_createtable(L, static_cast<int>(values->size()), 0);
        for (std::size_t j = 0; j < values->size(); ++j) {
          lua_pushnumber(L, (*values)[j]);
          lua_rawseti(L, -2, static_cast<lua_Integer>(j + 1));
        }
        lua_setfield(L, -2, key);
      }
      if (!label.empty()) {
        lua_pushstring(L, label.c_str());
        lua_setfield(L, -2, "label");
      }
      lua_rawseti(L, -2, ++index);
    }
    return 1;
  });
}

const luaL_Reg kPlot[] = {{"line", l_line},
                          {"heatmap", l_heatmap},
                          {"summarize", l_summarize},
                          {nullptr, nullptr}};

}  // namespace

void open_plot(lua_State* L, Context&) {
  luaL_newlib(L, kPlot);
  lua_setfield(L, -2, "plot");
}

}  // namespace ntk::lua
