#include "core/plot/gnuplot.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "ntk/sdk/error.hpp"

extern char** environ;

namespace ntk::core::plot {

namespace fs = std::filesystem;

namespace {

// gnuplot single-quoted string: no escapes inside except '' for a quote; line breaks would end
// the command, so control characters become spaces.
std::string quote(const std::string& text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'') out += "''";
    else if (static_cast<unsigned char>(c) < 0x20) out += ' ';
    else out += c;
  }
  return out + "'";
}

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

std::string lower_extension(const std::string& file) {
  std::string ext = fs::path(file).extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

// Terminal and output lines. The output is the bare file name: gnuplot runs in its folder,
// so FILE.gp keeps working when the folder moves.
std::string header(const std::string& function, const std::string& file, int width, int height) {
  if (file.empty()) throw_error(function, ": no file given (file = \"figure.png\" or \".svg\")");
  if (width < 16 || height < 16 || width > 20000 || height > 20000)
    throw_error(function, ": size ", width, "x", height, " for ", file,
                " is out of range (16 to 20000)");
  const std::string ext = lower_extension(file);
  const std::string size = "size " + std::to_string(width) + "," + std::to_string(height);
  std::ostringstream s;
  s << "# ntklab figure " << fs::path(file).filename().string()
    << "; redraw it with `gnuplot " << fs::path(file).filename().string()
    << ".gp` in this folder\n";
  if (ext == ".png") {
    s << "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
      << "  set terminal pngcairo " << size << " noenhanced font 'sans,11'\n"
      << "} else {\n"
      << "  set terminal png " << size << " noenhanced\n"
      << "}\n";
  } else if (ext == ".svg") {
    s << "set terminal svg " << size << " noenhanced font 'sans,11' background rgb 'white'\n";
  } else {
    throw_error(function, ": cannot tell the format of '", file,
                "' from its extension; use .png or .svg");
  }
  s << "set output " << quote(fs::path(file).filename().string()) << "\n";
  return s.str();
}

void labels(std::ostringstream& s, const std::string& title, const std::string& xlabel,
            const std::string& ylabel) {
  if (!title.empty()) s << "set title " << quote(title) << "\n";
  if (!xlabel.empty()) s << "set xlabel " << quote(xlabel) << "\n";
  if (!ylabel.empty()) s << "set ylabel " << quote(ylabel) << "\n";
}

void check_series(const Series& series, std::size_t index, const LineFigure& figure) {
  const std::string name = "ntk.plot.line: series " + std::to_string(index + 1) +
                           (series.label.empty() ? "" : " ('" + series.label + "')") + " of " +
                           figure.file;
  if (series.x.size() != series.y.size())
    throw_error(name, ": x has ", series.x.size(), " values and y has ", series.y.size());
  if (series.x.empty()) throw_error(name, ": no points");
  if (!series.yerr.empty() && series.yerr.size() != series.y.size())
    throw_error(name, ": yerr has ", series.yerr.size(), " values and y has ", series.y.size());
  for (std::size_t i = 0; i < series.x.size(); ++i) {
    const auto bad = [&](const char* what, double v, const char* accepted) {
      throw_error(name, ": ", what, "[", i + 1, "] = ", v, " (", accepted, ")");
    };
    if (!std::isfinite(series.x[i])) bad("x", series.x[i], "values must be finite");
    if (!std::isfinite(series.y[i])) bad("y", series.y[i], "values must be finite");
    if (figure.logx && series.x[i] <= 0) bad("x", series.x[i], "logx needs positive values");
    if (figure.logy && series.y[i] <= 0) bad("y", series.y[i], "logy needs positive values");
    if (!series.yerr.empty() && !(std::isfinite(series.yerr[i]) && series.yerr[i] >= 0))
      bad("yerr", series.yerr[i], "error bars must be finite and non-negative");
  }
  if (series.style != "lines" && series.style != "points" && series.style != "linespoints")
    throw_error(name, ": style '", series.style, "' (use \"lines\", \"points\" or \"linespoints\")");
}

// Coincident curves stay distinguishable: series k has gnuplot's k-th line type (colour), the
// k-th dash pattern and the k-th point shape, filled and open shapes alternating so that one
// marker drawn over another leaves both visible.
struct Marks {
  std::string line;    // " linetype K linewidth 2 dashtype D"
  std::string points;  // " pointtype P pointsize S"
};

Marks series_marks(std::size_t k) {
  // solid, dashed, dotted, dash-dot, dash-dot-dot, long dashes
  static const char* const dashes[] = {"1", "2", "3", "4", "5", "(12,6)"};
  // filled circle, open square, filled triangle, open circle, filled diamond, open triangle,
  // filled square, open diamond; open shapes a little larger, so they ring a filled one
  static const int points[] = {7, 4, 9, 6, 13, 8, 5, 12};
  const int shape = points[k % std::size(points)];
  Marks m;
  m.line = " linetype " + std::to_string(k + 1) + " linewidth 2 dashtype " +
           dashes[k % std::size(dashes)];
  m.points = " pointtype " + std::to_string(shape) + " pointsize " + (shape % 2 ? "1.1" : "1.5");
  return m;
}

// Between plot clauses: a continued line, aligned after "plot ".
constexpr const char* kNextClause = ", \\\n     ";

// About this many markers per series: more merge into a thick line on long series.
constexpr std::size_t kMarkers = 15;

// The plot clauses of series k of `count` (index k + 1 in the datablocks).
std::string series_clauses(std::size_t k, std::size_t count, const Series& series) {
  const Marks m = series_marks(k);
  const std::string data = "$series" + std::to_string(k + 1);
  const std::string title = series.label.empty() ? " notitle" : " title " + quote(series.label);
  std::ostringstream s;
  if (!series.yerr.empty()) {
    const bool points = series.style == "points";
    s << data << " using 1:2:3 with " << (points ? "yerrorbars" : "yerrorlines")
      << (points ? " linetype " + std::to_string(k + 1) + " linewidth 2" : m.line) << m.points
      << title;
    return s.str();
  }
  if (series.style == "lines") return data + " using 1:2 with lines" + m.line + title;
  if (series.style == "points")
    return data + " using 1:2 with points linetype " + std::to_string(k + 1) + m.points + title;
  const std::size_t n = series.x.size();
  if (n <= kMarkers) return data + " using 1:2 with linespoints" + m.line + m.points + title;
  // Long series: the line, every interval-th point as a marker — staggered across series, so
  // coincident curves show their markers side by side — and one legend entry with both.
  const std::size_t interval = n / kMarkers, offset = k * interval / count;
  s << data << " using 1:2 with lines" << m.line << " notitle" << kNextClause << data << " every "
    << interval << "::" << offset << " using 1:2 with points linetype " << k + 1 << m.points
    << " notitle";
  if (!series.label.empty())
    s << kNextClause << "keyentry with linespoints" << m.line << m.points << title;
  return s.str();
}

}  // namespace

std::string line_script(const LineFigure& figure) {
  if (figure.series.empty())
    throw_error("ntk.plot.line: no series for ", figure.file, " (series = {{x = …, y = …}})");
  for (std::size_t i = 0; i < figure.series.size(); ++i) check_series(figure.series[i], i, figure);
  std::ostringstream s;
  s << header("ntk.plot.line", figure.file, figure.width, figure.height);
  labels(s, figure.title, figure.xlabel, figure.ylabel);
  // Log axes tick at powers of ten; "%.0te%T" writes them as 1e-5 rather than 0.000010.
  if (figure.logx) s << "set logscale x\nset format x \"%.0te%T\"\n";
  if (figure.logy) s << "set logscale y\nset format y \"%.0te%T\"\n";
  // The legend sits right of the plot area, so it never hides a curve.
  s << "set grid\nset key outside right top vertical Left reverse\n";
  for (std::size_t k = 0; k < figure.series.size(); ++k) {
    const Series& series = figure.series[k];
    s << "$series" << k + 1 << " << EOD\n";
    for (std::size_t i = 0; i < series.x.size(); ++i) {
      s << number(series.x[i]) << ' ' << number(series.y[i]);
      if (!series.yerr.empty()) s << ' ' << number(series.yerr[i]);
      s << '\n';
    }
    s << "EOD\n";
  }
  s << "plot ";
  for (std::size_t k = 0; k < figure.series.size(); ++k)
    s << (k ? kNextClause : "") << series_clauses(k, figure.series.size(), figure.series[k]);
  s << "\n";
  return s.str();
}

std::string heatmap_script(const HeatmapFigure& figure) {
  const arma::mat& m = figure.matrix;
  if (m.is_empty())
    throw_error("ntk.plot.heatmap: the matrix for ", figure.file, " is empty (", m.n_rows, " x ",
                m.n_cols, ")");
  for (arma::uword j = 0; j < m.n_cols; ++j)
    for (arma::uword i = 0; i < m.n_rows; ++i)
      if (!std::isfinite(m(i, j)))
        throw_error("ntk.plot.heatmap: matrix(", i + 1, ", ", j + 1, ") = ", m(i, j), " for ",
                    figure.file, " (values must be finite)");
  std::ostringstream s;
  s << header("ntk.plot.heatmap", figure.file, figure.width, figure.height);
  labels(s, figure.title, figure.xlabel, figure.ylabel);
  // Row 0 at the top, like a printed matrix; cells centred on integer coordinates.
  s << "set xrange [-0.5:" << number(m.n_cols - 0.5) << "]\n"
    << "set yrange [" << number(m.n_rows - 0.5) << ":-0.5]\n"
    << "set size ratio -1\nunset key\nset tics out\n"
    // viridis, sampled at five points
    << "set palette defined (0 '#440154', 1 '#3b528b', 2 '#21918c', 3 '#5ec962', 4 '#fde725')\n";
  s << "$matrix << EOD\n";
  for (arma::uword i = 0; i < m.n_rows; ++i) {
    for (arma::uword j = 0; j < m.n_cols; ++j) s << (j ? " " : "") << number(m(i, j));
    s << '\n';
  }
  s << "EOD\nplot $matrix matrix with image notitle\n";
  return s.str();
}

void run_gnuplot(const std::string& script_path, const std::string& figure_file) {
  const fs::path script = fs::absolute(script_path);
  std::error_code ec;
  fs::remove(figure_file, ec);  // so "no figure afterwards" is a real check

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0)
    throw_error("ntk.plot: cannot draw ", figure_file, ": pipe failed: ", std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addchdir_np(&actions, script.parent_path().c_str());
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
  const std::string name = script.filename().string();
  char arg0[] = "gnuplot";
  std::vector<char*> argv = {arg0, const_cast<char*>(name.c_str()), nullptr};
  pid_t pid = 0;
  const int spawn_error = ::posix_spawnp(&pid, "gnuplot", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  if (spawn_error != 0) {
    ::close(pipe_fds[0]);
    throw_error("ntk.plot: cannot draw ", figure_file, ": cannot run gnuplot (",
                std::strerror(spawn_error), "); install it, e.g. apt-get install gnuplot-nox");
  }
  std::string messages;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer);
    if (n > 0) messages.append(buffer, static_cast<std::size_t>(n));
    else if (n == 0 || errno != EINTR) break;
  }
  ::close(pipe_fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  while (!messages.empty() && (messages.back() == '\n' || messages.back() == ' '))
    messages.pop_back();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && messages.empty())
      messages = "gnuplot not found; install it, e.g. apt-get install gnuplot-nox";
    throw_error("ntk.plot: gnuplot failed to draw ", figure_file, " from ", script.string(), ":\n",
                messages);
  }
  if (!fs::exists(figure_file, ec) || fs::file_size(figure_file, ec) == 0)
    throw_error("ntk.plot: gnuplot left no figure at ", figure_file, " (script ", script.string(),
                ")", messages.empty() ? "" : ":\n" + messages);
}

namespace {
template <class Figure>
void write_and_run(const Figure& figure, const std::string& script) {
  const std::string script_path = figure.file + ".gp";
  std::error_code ec;
  const fs::path folder = fs::path(figure.file).parent_path();
  if (!folder.empty()) fs::create_directories(folder, ec);
  {
    std::ofstream out(script_path, std::ios::trunc);
    if (!out) throw_error("ntk.plot: cannot write ", script_path, ": ", std::strerror(errno));
    out << script;
    if (!out.flush()) throw_error("ntk.plot: cannot write ", script_path);
  }
  run_gnuplot(script_path, figure.file);
}
}  // namespace

void draw(const LineFigure& figure) { write_and_run(figure, line_script(figure)); }
void draw(const HeatmapFigure& figure) { write_and_run(figure, heatmap_script(figure)); }

}  // namespace ntk::core::plot
