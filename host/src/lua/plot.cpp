// Lua module ntk.plot: figures through gnuplot (host/src/core/plot/gnuplot.hpp).
//
//   ntk.plot.line{file = "fig.png" | "fig.svg", title =, xlabel =, ylabel =, logx =, logy =,
//                 width =, height =,
//                 series = {{x = {…}, y = {…}, yerr = {…}?, label = "…"?,
//                            style = "linespoints" | "lines" | "points"}, …}}      -> file
//   ntk.plot.heatmap{file =, matrix = M, title =, xlabel =, ylabel =, width =, height =} -> file
//   ntk.plot.summarize(rows, {x = "sigma2", y = "test_loss", by = "method"?,
//                             where = {["batch.status"] = "ok", …}?})
//                      -> series (a list), with fields skipped, skipped_why, filtered
//
// x, y, yerr are Lua lists or ntk.matrix vectors; matrix is an ntk.matrix or a table of rows.
// Each figure FILE comes with FILE.gp (gnuplot script with the data inlined) so it can be
// restyled and redrawn with `gnuplot FILE.gp` in its folder. Unknown keys are errors that list
// the accepted ones.
//
// summarize (core/batch/summarize.hpp) groups result rows (e.g. from
// ntk.io.read_jsonl(params.results)) into series of mean ± standard error by x (and `by`);
// `where` keys may name nested fields ("batch.status"). Without `where`, rows of failed batch
// jobs are skipped. Skipped rows are never silent: their count and reasons go to stderr as one
// line and into the result's fields `skipped` (a count) and `skipped_why` (the reasons);
// `filtered` counts the rows an explicit `where` deselected.
#include <lua.hpp>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/batch/summarize.hpp"
#include "core/plot/gnuplot.hpp"
#include "lua/args.hpp"
#include "lua/module.hpp"
#include "lua/table_reader.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::lua {
namespace {

// A list or vector field as std::vector<double>; `required` fields must be present.
std::vector<double> vector_field(const TableReader& r, const char* key, bool required) {
  arma::mat storage;
  const arma::mat* m = r.matrix(key, storage);
  if (!m) {
    if (required) r.fail(key, "is required (a list of numbers)");
    return {};
  }
  if (!m->is_empty() && !m->is_vec())
    r.fail(key, "must be a vector, got a " + std::to_string(m->n_rows) + " x " +
                    std::to_string(m->n_cols) + " matrix");
  return std::vector<double>(m->begin(), m->end());
}

// Figure sizes in pixels.
int pixels(const TableReader& r, const char* key, int fallback) {
  return static_cast<int>(r.integer(key, fallback, Range::between(1, 1e5)));
}

int l_line(lua_State* L) {
  return protect(L, [&] {
    const std::string function = "ntk.plot.line";
    if (!lua_istable(L, 1)) argument_error(L, 1, function.c_str(), "table");
    const TableReader r(L, 1, function,
                        {"file", "title", "xlabel", "ylabel", "logx", "logy", "series", "width",
                         "height"});
    core::plot::LineFigure figure;
    figure.file = r.string("file", "");
    figure.title = r.string("title", "");
    figure.xlabel = r.string("xlabel", "");
    figure.ylabel = r.string("ylabel", "");
    figure.logx = r.boolean("logx", false);
    figure.logy = r.boolean("logy", false);
    figure.width = pixels(r, "width", figure.width);
    figure.height = pixels(r, "height", figure.height);
    if (r.push("series") != LUA_TTABLE) {
      lua_pop(L, 1);
      r.fail("series", "must be a list of {x = …, y = …} tables");
    }
    const int list = lua_gettop(L);
    const lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, list));
    for (lua_Integer k = 1; k <= n; ++k) {
      const std::string where = function + ": series " + std::to_string(k);
      if (lua_rawgeti(L, list, k) != LUA_TTABLE)
        throw_error(where, " must be a table {x = …, y = …}, got ", luaL_typename(L, -1));
      const TableReader s(L, -1, where, {"x", "y", "yerr", "label", "style"});
      core::plot::Series series;
      series.x = vector_field(s, "x", true);
      series.y = vector_field(s, "y", true);
      series.yerr = vector_field(s, "yerr", false);
      series.label = s.string("label", "");
      series.style = s.choice("style", series.style, {"linespoints", "lines", "points"});
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
    if (!lua_istable(L, 1)) argument_error(L, 1, function.c_str(), "table");
    const TableReader r(L, 1, function,
                        {"file", "matrix", "title", "xlabel", "ylabel", "width", "height"});
    core::plot::HeatmapFigure figure;
    figure.file = r.string("file", "");
    figure.title = r.string("title", "");
    figure.xlabel = r.string("xlabel", "");
    figure.ylabel = r.string("ylabel", "");
    figure.width = pixels(r, "width", figure.width);
    figure.height = pixels(r, "height", figure.height);
    arma::mat storage;
    figure.matrix = r.required_matrix("matrix", storage);
    core::plot::draw(figure);
    lua_pushstring(L, figure.file.c_str());
    return 1;
  });
}

// A scalar as summarize sees it; false for other types.
bool row_value(lua_State* L, int index, core::batch::RowValue& value) {
  switch (lua_type(L, index)) {
    case LUA_TNUMBER: {
      lua_pushvalue(L, index);
      std::string text = lua_tostring(L, -1);  // converts the copy, not the field
      lua_pop(L, 1);
      value = core::batch::RowValue::of_number(lua_tonumber(L, index), std::move(text));
      return true;
    }
    case LUA_TSTRING: value = core::batch::RowValue::of_text(lua_tostring(L, index)); return true;
    case LUA_TBOOLEAN:
      value = core::batch::RowValue::of_text(lua_toboolean(L, index) ? "true" : "false");
      return true;
    default: return false;
  }
}

// A Lua row as summarize's flat row: scalar fields, and the scalar fields of nested tables as
// "key.field" (batch.status, batch.rep). A value that is not a table gives an empty row.
core::batch::SummaryRow flat_row(lua_State* L, int row) {
  core::batch::SummaryRow flat;
  if (!lua_istable(L, row)) return flat;
  core::batch::RowValue value;
  lua_pushnil(L);
  while (lua_next(L, row) != 0) {
    if (lua_type(L, -2) == LUA_TSTRING) {
      const std::string key = lua_tostring(L, -2);
      if (row_value(L, -1, value)) {
        flat[key] = value;
      } else if (lua_istable(L, -1)) {
        const int nested = lua_gettop(L);
        lua_pushnil(L);
        while (lua_next(L, nested) != 0) {
          if (lua_type(L, -2) == LUA_TSTRING && row_value(L, -1, value))
            flat[key + "." + lua_tostring(L, -2)] = value;
          lua_pop(L, 1);
        }
      }
    }
    lua_pop(L, 1);
  }
  return flat;
}

void push_numbers(lua_State* L, const std::vector<double>& values) {
  lua_createtable(L, static_cast<int>(values.size()), 0);
  for (std::size_t j = 0; j < values.size(); ++j) {
    lua_pushnumber(L, values[j]);
    lua_rawseti(L, -2, static_cast<lua_Integer>(j + 1));
  }
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
    const TableReader options(L, 2, function, {"x", "y", "by", "where"});
    core::batch::SummarizeOptions o;
    o.x = options.string("x", "");
    o.y = options.string("y", "");
    o.by = options.string("by", "");
    if (o.x.empty() || o.y.empty())
      throw_error(function, ": give the row keys to plot, {x = \"sigma2\", y = \"test_loss\"}");
    const int where_type = options.push("where");
    if (where_type == LUA_TTABLE) {
      const int w = lua_gettop(L);
      lua_pushnil(L);
      while (lua_next(L, w) != 0) {
        if (lua_type(L, -2) != LUA_TSTRING) throw_error(function, ": 'where' keys must be strings");
        core::batch::RowValue value;
        if (!row_value(L, -1, value))
          throw_error(function, ": 'where' values must be strings, numbers or booleans");
        o.where.emplace_back(lua_tostring(L, -2), value.text);
        lua_pop(L, 1);
      }
    } else if (where_type != LUA_TNIL) {
      options.fail("where", std::string("must be a table, got a ") + lua_typename(L, where_type));
    }
    lua_pop(L, 1);
    o.default_filter = where_type == LUA_TNIL;

    std::vector<core::batch::SummaryRow> rows;
    const lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, 1));
    for (lua_Integer i = 1; i <= n; ++i) {
      lua_rawgeti(L, 1, i);
      rows.push_back(flat_row(L, lua_gettop(L)));
      lua_pop(L, 1);
    }
    core::batch::Summary summary;
    try {
      summary = core::batch::summarize(rows, o);
    } catch (const Error& e) {
      std::string what = e.what();
      if (what.rfind("summarize: ", 0) == 0) what = what.substr(11);
      throw_error(function, ": ", what);
    }
    if (summary.skipped_count() > 0)
      std::cerr << function << ": skipped " << summary.skipped_count() << " of " << summary.rows
                << " rows (x = " << o.x << ", y = " << o.y << "): " << summary.skipped_text()
                << "\n";

    lua_createtable(L, static_cast<int>(summary.series.size()), 3);
    int index = 0;
    for (const auto& series : summary.series) {
      lua_createtable(L, 0, 4);
      push_numbers(L, series.x);
      lua_setfield(L, -2, "x");
      push_numbers(L, series.y);
      lua_setfield(L, -2, "y");
      push_numbers(L, series.yerr);
      lua_setfield(L, -2, "yerr");
      if (!series.label.empty()) {
        lua_pushstring(L, series.label.c_str());
        lua_setfield(L, -2, "label");
      }
      lua_rawseti(L, -2, ++index);
    }
    // Beside the list: what was left out and why (ntk.plot.line reads only the list part).
    lua_pushinteger(L, static_cast<lua_Integer>(summary.skipped_count()));
    lua_setfield(L, -2, "skipped");
    const std::string why = summary.skipped_text();
    lua_pushlstring(L, why.data(), why.size());
    lua_setfield(L, -2, "skipped_why");
    lua_pushinteger(L, static_cast<lua_Integer>(summary.filtered));
    lua_setfield(L, -2, "filtered");
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
