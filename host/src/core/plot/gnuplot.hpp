// Figures through gnuplot: line plots (linear, log-log, with error bars) and heat maps.
//
// The output format follows the file's extension: ".png" (pngcairo, or gnuplot's libgd png
// terminal where cairo is missing) or ".svg". Each figure FILE comes with FILE.gp, a complete
// gnuplot script with the data inlined as a datablock: `gnuplot FILE.gp` redraws the figure, so
// a user can restyle it by editing that file. gnuplot runs as a child process; if it fails, or
// leaves no figure, an ntk::Error names the figure and quotes gnuplot's messages.
//
// Line figures are drawn to be read in print: log axes tick at powers of ten written 1e-5, the
// legend sits outside the plot area (right), and each series has its own dash pattern and point
// shape besides its colour, so curves that coincide stay distinguishable.
//
// Data are checked first: series lengths must agree, values must be finite, log axes need
// positive values, error bars non-negative — each failure names the series and the index.
#pragma once

#include <armadillo>
#include <string>
#include <vector>

namespace ntk::core::plot {

struct Series {
  std::vector<double> x, y;
  std::vector<double> yerr;       // empty, or one non-negative half-width per point
  std::string label;              // legend entry; empty = no entry
  std::string style = "linespoints";  // "lines", "points" or "linespoints"
};

struct LineFigure {
  std::string file;  // .png or .svg
  std::string title, xlabel, ylabel;
  bool logx = false, logy = false;
  std::vector<Series> series;
  int width = 800, height = 600;  // pixels (png) or points (svg)
};

struct HeatmapFigure {
  std::string file;
  arma::mat matrix;  // row i is drawn at y = i (row 0 at the top, like a printed matrix)
  std::string title, xlabel, ylabel;
  int width = 700, height = 600;
};

// The gnuplot script for a figure (what FILE.gp contains). Throws ntk::Error on bad data.
std::string line_script(const LineFigure& figure);
std::string heatmap_script(const HeatmapFigure& figure);

// Writes FILE.gp and runs gnuplot on it. Throws ntk::Error (bad data, unknown extension,
// gnuplot missing or failing).
void draw(const LineFigure& figure);
void draw(const HeatmapFigure& figure);

// Runs `gnuplot SCRIPT_PATH` and checks that `figure_file` exists and is non-empty afterwards.
void run_gnuplot(const std::string& script_path, const std::string& figure_file);

}  // namespace ntk::core::plot
