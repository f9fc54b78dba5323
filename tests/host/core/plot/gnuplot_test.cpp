// Figures through gnuplot (core/plot/gnuplot.hpp): real PNG and SVG files, the FILE.gp script
// beside them, and the data checks.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/plot/gnuplot.hpp"
#include "ntk/sdk/error.hpp"

using namespace ntk::core::plot;
namespace fs = std::filesystem;

namespace {

fs::path fresh_dir(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("ntk_plot_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Width and height from a PNG's IHDR chunk (bytes 16..23, big endian), after checking the
// 8-byte signature.
std::pair<unsigned, unsigned> png_size(const std::string& bytes) {
  REQUIRE(bytes.size() > 24);
  REQUIRE(bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
  REQUIRE(bytes.compare(12, 4, "IHDR") == 0);
  const auto u32 = [&](std::size_t at) {
    unsigned v = 0;
    for (std::size_t i = 0; i < 4; ++i) v = v << 8 | static_cast<unsigned char>(bytes[at + i]);
    return v;
  };
  return {u32(16), u32(20)};
}

LineFigure sample_figure(const std::string& file) {
  LineFigure f;
  f.file = file;
  f.title = "test loss vs σ² (it's \"quoted\")";
  f.xlabel = "sigma_w^2";
  f.ylabel = "loss";
  f.logx = f.logy = true;
  Series a;
  a.label = "trained network";
  Series b;
  b.label = "f_int";
  b.style = "points";
  for (int i = 0; i < 8; ++i) {
    const double s = std::pow(10.0, -2 + 0.5 * i);
    a.x.push_back(s);
    a.y.push_back(0.1 + s * s);
    b.x.push_back(s);
    b.y.push_back(0.2);
    b.yerr.push_back(0.02);
  }
  f.series = {a, b};
  return f;
}

}  // namespace

TEST_CASE("a line figure is a real PNG of the requested size, with its script", "[plot]") {
  const fs::path dir = fresh_dir("png");
  LineFigure figure = sample_figure((dir / "sub" / "loss.png").string());
  figure.width = 640;
  figure.height = 480;
  draw(figure);
  const std::string bytes = slurp(figure.file);
  CHECK(png_size(bytes) == std::make_pair(640u, 480u));
  CHECK(bytes.size() > 2000);  // a drawn plot, not an empty canvas header

  // FILE.gp redraws the same figure from its folder (the data are inlined).
  const fs::path script = figure.file + ".gp";
  REQUIRE(fs::exists(script));
  const std::string text = slurp(script);
  CHECK(text.find("$series2 << EOD") != std::string::npos);
  CHECK(text.find("set logscale x") != std::string::npos);
  CHECK(text.find("title 'trained network'") != std::string::npos);
  CHECK(text.find("'test loss vs σ² (it''s \"quoted\")'") != std::string::npos);
  CHECK(text.find("yerrorbars") != std::string::npos);
  fs::remove(figure.file);
  run_gnuplot(script.string(), figure.file);
  CHECK(png_size(slurp(figure.file)) == std::make_pair(640u, 480u));
  fs::remove_all(dir);
}

TEST_CASE("log axes tick as 1e-5 and the legend sits outside the plot", "[plot]") {
  LineFigure figure = sample_figure("loss.png");
  std::string script = line_script(figure);
  CHECK(script.find("set logscale x\nset format x \"%.0te%T\"\n") != std::string::npos);
  CHECK(script.find("set logscale y\nset format y \"%.0te%T\"\n") != std::string::npos);
  CHECK(script.find("set key outside right top") != std::string::npos);
  figure.logx = figure.logy = false;  // linear axes keep gnuplot's own tick format
  script = line_script(figure);
  CHECK(script.find("set format") == std::string::npos);
  CHECK(script.find("set key outside right top") != std::string::npos);
}

TEST_CASE("coincident series differ in colour, dashes and point shapes", "[plot]") {
  LineFigure figure;
  figure.file = "same.png";
  for (int k = 0; k < 3; ++k) {
    Series s;
    s.label = "run " + std::to_string(k + 1);
    s.x = {1, 2, 3};
    s.y = {1, 4, 9};  // identical data: only the marks tell them apart
    if (k == 2) s.style = "lines";
    figure.series.push_back(s);
  }
  const std::string script = line_script(figure);
  CHECK(script.find("$series1 using 1:2 with linespoints linetype 1 linewidth 2 dashtype 1 "
                    "pointtype 7 pointsize 1.1 title 'run 1'") != std::string::npos);
  CHECK(script.find("$series2 using 1:2 with linespoints linetype 2 linewidth 2 dashtype 2 "
                    "pointtype 4 pointsize 1.5 title 'run 2'") != std::string::npos);
  CHECK(script.find("$series3 using 1:2 with lines linetype 3 linewidth 2 dashtype 3 "
                    "title 'run 3'") != std::string::npos);
}

TEST_CASE("long series get about 15 markers, staggered between series", "[plot]") {
  LineFigure figure;
  figure.file = "long.svg";
  for (int k = 0; k < 2; ++k) {
    Series s;
    s.label = k == 0 ? "network" : "";
    for (int i = 0; i < 300; ++i) {
      s.x.push_back(i);
      s.y.push_back(1.0 / (1 + i));
    }
    figure.series.push_back(s);
  }
  const std::string script = line_script(figure);
  // 300 points / 15 = every 20th; series 2 of 2 starts at 20 · 1/2 = 10.
  CHECK(script.find("$series1 using 1:2 with lines linetype 1 linewidth 2 dashtype 1 notitle, \\\n"
                    "     $series1 every 20::0 using 1:2 with points linetype 1 pointtype 7 "
                    "pointsize 1.1 notitle, \\\n"
                    "     keyentry with linespoints linetype 1 linewidth 2 dashtype 1 pointtype 7 "
                    "pointsize 1.1 title 'network'") != std::string::npos);
  CHECK(script.find("$series2 every 20::10 using 1:2 with points linetype 2 pointtype 4 "
                    "pointsize 1.5 notitle") != std::string::npos);
  CHECK(script.find("keyentry with linespoints linetype 2") == std::string::npos);  // no label
  const fs::path dir = fresh_dir("long");
  figure.file = (dir / "long.svg").string();
  draw(figure);  // gnuplot accepts the clauses
  CHECK(slurp(figure.file).find("network") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("an SVG figure contains the svg element, its labels and its size", "[plot]") {
  const fs::path dir = fresh_dir("svg");
  LineFigure figure = sample_figure((dir / "loss.svg").string());
  figure.logx = figure.logy = false;
  draw(figure);
  const std::string svg = slurp(figure.file);
  CHECK(svg.find("<svg") != std::string::npos);
  CHECK(svg.find("width=\"800\"") != std::string::npos);
  CHECK(svg.find("height=\"600\"") != std::string::npos);
  CHECK(svg.find("trained network") != std::string::npos);
  CHECK(svg.find("f_int") != std::string::npos);  // noenhanced: '_' is not a subscript
  fs::remove_all(dir);
}

TEST_CASE("a heat map draws a matrix to PNG and SVG", "[plot]") {
  const fs::path dir = fresh_dir("heatmap");
  HeatmapFigure figure;
  figure.matrix = arma::mat(12, 9);
  for (arma::uword i = 0; i < 12; ++i)
    for (arma::uword j = 0; j < 9; ++j) figure.matrix(i, j) = std::exp(-0.1 * double(i * j));
  figure.title = "kernel";
  figure.file = (dir / "k.png").string();
  draw(figure);
  CHECK(png_size(slurp(figure.file)) == std::make_pair(700u, 600u));
  const std::string script = slurp(figure.file + ".gp");
  CHECK(script.find("matrix with image") != std::string::npos);
  CHECK(script.find("set yrange [11.5:-0.5]") != std::string::npos);
  figure.file = (dir / "k.svg").string();
  draw(figure);
  CHECK(slurp(figure.file).find("<svg") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("bad figure data are refused naming the series and the index", "[plot]") {
  const fs::path dir = fresh_dir("bad");
  LineFigure figure = sample_figure((dir / "bad.png").string());
  figure.series[1].y.pop_back();
  CHECK_THROWS_WITH(draw(figure), Catch::Contains("series 2 ('f_int')") &&
                                      Catch::Contains("x has 8 values and y has 7"));
  figure = sample_figure((dir / "bad.png").string());
  figure.series[0].x[3] = 0;
  CHECK_THROWS_WITH(draw(figure), Catch::Contains("x[4] = 0 (logx needs positive values)"));
  figure = sample_figure((dir / "bad.png").string());
  figure.series[0].y[0] = std::nan("");
  CHECK_THROWS_WITH(draw(figure), Catch::Contains("y[1] = nan (values must be finite)"));
  figure = sample_figure((dir / "bad.png").string());
  figure.series[1].yerr[2] = -1;
  CHECK_THROWS_WITH(draw(figure), Catch::Contains("yerr[3] = -1"));
  figure = sample_figure((dir / "bad.pdf").string());
  CHECK_THROWS_WITH(draw(figure), Catch::Contains("use .png or .svg"));
  figure = sample_figure((dir / "bad.png").string());
  figure.series[0].style = "bars";
  CHECK_THROWS_WITH(draw(figure), Catch::Contains("style 'bars'"));
  figure.series.clear();
  CHECK_THROWS_WITH(draw(figure), Catch::Contains("no series"));
  HeatmapFigure heat;
  heat.file = (dir / "h.png").string();
  CHECK_THROWS_WITH(draw(heat), Catch::Contains("is empty"));
  heat.matrix = arma::mat(2, 2, arma::fill::ones);
  heat.matrix(1, 0) = INFINITY;
  CHECK_THROWS_WITH(draw(heat), Catch::Contains("matrix(2, 1) = inf"));
  CHECK(!fs::exists(dir / "bad.png"));
  fs::remove_all(dir);
}

TEST_CASE("a gnuplot error is raised with gnuplot's message and the figure's name", "[plot]") {
  const fs::path dir = fresh_dir("error");
  const fs::path script = dir / "broken.png.gp";
  {
    std::ofstream out(script);
    out << "set terminal pngcairo\nset output 'broken.png'\nplot $nothing using 1:2\n";
  }
  CHECK_THROWS_WITH(run_gnuplot(script.string(), (dir / "broken.png").string()),
                    Catch::Contains("gnuplot failed to draw") && Catch::Contains("broken.png") &&
                        Catch::Contains("nothing"));
  fs::remove_all(dir);
}
