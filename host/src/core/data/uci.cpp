#include "core/data/uci.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/data/data_dir.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::data {
namespace {

namespace fs = std::filesystem;

std::ifstream open_file(const std::string& path, const char* fn) {
  std::ifstream in(path);
  if (!in) throw_error(fn, ": cannot open ", path);
  return in;
}

std::vector<std::string> tokens(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  std::string t;
  while (in >> t) out.push_back(t);
  return out;
}

bool blank(const std::string& line) {
  return line.find_first_not_of(" \t\r\n") == std::string::npos;
}

double parse_number(const std::string& token, const std::string& where, const char* what) {
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(token.c_str(), &end);
  if (end == token.c_str() || *end != '\0' || errno == ERANGE || !std::isfinite(v))
    throw_error(where, ": ", what, " '", token, "' is not a finite number");
  return v;
}

// A non-negative integer written without sign, fraction or exponent.
arma::uword parse_index(const std::string& token, const std::string& where, const char* what) {
  if (token.empty() || token.find_first_not_of("0123456789") != std::string::npos ||
      token.size() > 15)
    throw_error(where, ": ", what, " '", token, "' is not a non-negative integer");
  return static_cast<arma::uword>(std::stoull(token));
}

std::string at(const std::string& path, std::size_t line) {
  return path + ":" + std::to_string(line);
}

std::string metadata_value(const std::vector<std::pair<std::string, std::string>>& meta,
                           const std::string& key, const std::string& path) {
  for (const auto& [k, v] : meta)
    if (k == key) return v;
  throw_error("read_uci(): ", path, " has no '", key, "=' line");
}

arma::uword metadata_count(const std::vector<std::pair<std::string, std::string>>& meta,
                           const std::string& key, const std::string& path) {
  const std::string v = metadata_value(meta, key, path);
  const arma::uword n = parse_index(v, path + " (" + key + "=)", "value");
  if (n == 0) throw_error("read_uci(): ", path, ": ", key, "= is 0");
  return n;
}

// The 1-based line of "key=" in a metadata file (0 if absent), for messages.
std::size_t metadata_line(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    const std::vector<std::string> t = tokens(line);
    if (!t.empty() && t[0] == key + "=") return number;
  }
  return 0;
}

// n_clases= k must be the classes the table really has: every id 0..k−1 appears (true of all
// 90 sets of Arora et al.). Unchecked, a k of 2^31 went on to fill a Lua table for a minute.
void check_classes_present(const arma::urowvec& labels, arma::uword classes,
                           const std::string& meta_path, const std::string& table_path) {
  const std::string where = at(meta_path, metadata_line(meta_path, "n_clases"));
  if (classes > labels.n_elem)
    throw_error("read_uci(): ", where, ": n_clases= ", classes, " but ", table_path, " has only ",
                labels.n_elem, " samples (every class 0..n_clases-1 must appear; its labels "
                "are 0..", labels.max(), ")");
  std::vector<char> present(classes, 0);  // classes <= samples: bounded by the file
  for (arma::uword c : labels) present[c] = 1;
  for (arma::uword c = 0; c < classes; ++c)
    if (!present[c])
      throw_error("read_uci(): ", where, ": n_clases= ", classes, " but class ", c,
                  " never appears in ", table_path, " (every class 0..", classes - 1,
                  " must appear)");
}

}  // namespace

std::string find_uci_dir(const std::string& name_or_path) {
  std::error_code error;
  const fs::path p(name_or_path);
  if (fs::is_directory(p, error)) {
    const fs::path dir = p.filename().empty() ? p.parent_path() : p;
    return dir.string();
  }
  if (name_or_path.empty() || name_or_path.find('/') != std::string::npos)
    throw_error("uci(): no data set directory '", name_or_path,
                "' (give a folder holding NAME.txt, NAME_R.dat, conxuntos*.dat, or a name in "
                "data/uci, see ntk.data.uci_index())");
  const std::string meta = find_data_file("uci/" + name_or_path + "/" + name_or_path + ".txt");
  return fs::path(meta).parent_path().string();
}

std::vector<std::pair<std::string, std::string>> read_uci_metadata(const std::string& path) {
  std::ifstream in = open_file(path, "read_uci_metadata()");
  std::vector<std::pair<std::string, std::string>> out;
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (blank(line)) continue;
    const std::vector<std::string> t = tokens(line);
    if (t.size() != 2 || t[0].size() < 2 || t[0].back() != '=')
      throw_error("read_uci_metadata(): ", at(path, number), ": expected 'key= value', got '",
                  line, "'");
    out.emplace_back(t[0].substr(0, t[0].size() - 1), t[1]);
  }
  return out;
}

void read_uci_table(const std::string& path, arma::uword features, arma::uword classes,
                    arma::mat& x, arma::urowvec& labels) {
  const char* fn = "read_uci_table()";
  std::ifstream in = open_file(path, fn);
  std::string line;
  if (!std::getline(in, line)) throw_error(fn, ": ", path, " is empty (expected a header line)");
  const std::vector<std::string> header = tokens(line);
  if (header.size() != features + 1 || header.back() != "clase")
    throw_error(fn, ": ", at(path, 1), ": header has ", header.size(),
                " names; expected f1 … f", features, " and 'clase' (", features + 1, " names)");
  std::vector<double> values;
  std::vector<arma::uword> ids;
  for (std::size_t number = 2; std::getline(in, line); ++number) {
    if (blank(line)) continue;
    const std::vector<std::string> t = tokens(line);
    const std::string where = at(path, number);
    if (t.size() != features + 2)
      throw_error(fn, ": ", where, ": ", t.size(), " fields; expected ", features + 2,
                  " (index, ", features, " features, class)");
    const arma::uword index = parse_index(t[0], where, "sample index");
    if (index != ids.size() + 1)
      throw_error(fn, ": ", where, ": sample index ", index, "; expected ", ids.size() + 1,
                  " (samples numbered 1, 2, … in order)");
    for (arma::uword f = 0; f < features; ++f)
      values.push_back(parse_number(t[1 + f], where, "feature"));
    const arma::uword c = parse_index(t.back(), where, "class");
    if (c >= classes)
      throw_error(fn, ": ", where, ": class ", c, " out of range 0..", classes - 1);
    ids.push_back(c);
  }
  if (ids.empty()) throw_error(fn, ": ", path, " has a header but no samples");
  x = arma::mat(values.data(), features, ids.size());
  labels = arma::urowvec(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) labels[i] = ids[i];
}

std::vector<UciSplit> read_uci_splits(const std::string& path, arma::uword n, std::size_t lines) {
  const char* fn = "read_uci_splits()";
  std::ifstream in = open_file(path, fn);
  std::vector<std::vector<arma::uword>> rows;
  std::string line;
  std::size_t number = 0;
  std::vector<std::size_t> seen(n, 0);  // the last row (1-based) an index appeared in
  std::vector<std::size_t> row_lines;
  while (std::getline(in, line)) {
    ++number;
    if (blank(line)) continue;
    const std::string where = at(path, number);
    if (rows.size() == lines)
      throw_error(fn, ": ", where, ": more than ", lines, " index lines");
    std::vector<arma::uword> row;
    for (const std::string& t : tokens(line)) {
      const arma::uword i = parse_index(t, where, "index");
      if (i >= n)
        throw_error(fn, ": ", where, ": index ", i, " out of range 0..", n - 1,
                    " (0-based, the data set has ", n, " samples)");
      const std::size_t row_number = rows.size() + 1;
      if (seen[i] == row_number) throw_error(fn, ": ", where, ": index ", i, " appears twice");
      // The test line of a pair may not reuse an index of its training line.
      if (row_number % 2 == 0 && seen[i] == row_number - 1)
        throw_error(fn, ": ", where, ": index ", i, " is in both the training line (line ",
                    row_lines.back(), ") and this one");
      seen[i] = row_number;
      row.push_back(i);
    }
    rows.push_back(std::move(row));
    row_lines.push_back(number);
  }
  if (rows.size() != lines)
    throw_error(fn, ": ", path, " has ", rows.size(), " index lines; expected ", lines,
                " (train and test/validation lines in pairs)");
  std::vector<UciSplit> out(lines / 2);
  for (std::size_t k = 0; k < out.size(); ++k) {
    out[k].train = std::move(rows[2 * k]);
    out[k].test = std::move(rows[2 * k + 1]);
  }
  return out;
}

UciDataset read_uci(const std::string& name_or_path) {
  UciDataset d;
  d.dir = find_uci_dir(name_or_path);
  d.name = fs::path(d.dir).filename().string();
  const std::string meta_path = (fs::path(d.dir) / (d.name + ".txt")).string();
  const auto meta = read_uci_metadata(meta_path);
  const arma::uword features = metadata_count(meta, "n_entradas", meta_path);
  d.classes = metadata_count(meta, "n_clases", meta_path);
  const arma::uword samples = metadata_count(meta, "n_patrons1", meta_path);
  const std::string data_file = metadata_value(meta, "fich1", meta_path);
  if (data_file.find('/') != std::string::npos)
    throw_error("read_uci(): ", meta_path, ": fich1= '", data_file, "' must be a file name");
  const std::string table_path = (fs::path(d.dir) / data_file).string();
  read_uci_table(table_path, features, d.classes, d.x, d.labels);
  if (d.x.n_cols != samples)
    throw_error("read_uci(): ", table_path, " has ", d.x.n_cols, " samples; ", meta_path,
                " says n_patrons1= ", samples);
  check_classes_present(d.labels, d.classes, meta_path, table_path);
  const arma::uword n = d.x.n_cols;
  d.validation = read_uci_splits((fs::path(d.dir) / "conxuntos.dat").string(), n, 2).front();
  d.folds = read_uci_splits((fs::path(d.dir) / "conxuntos_kfold.dat").string(), n, 8);
  return d;
}

std::vector<std::string> read_uci_index(const std::string& index_path, bool arora2020_only) {
  const char* fn = "uci_index()";
  std::ifstream in = open_file(index_path, fn);
  std::string line;
  if (!std::getline(in, line)) throw_error(fn, ": ", index_path, " is empty");
  const std::vector<std::string> header = tokens(line);
  std::size_t column = header.size();
  for (std::size_t c = 0; c < header.size(); ++c)
    if (header[c] == "in_arora2020_90") column = c;
  if (header.empty() || header[0] != "dataset" || column == header.size())
    throw_error(fn, ": ", at(index_path, 1), ": header needs columns 'dataset' and "
                "'in_arora2020_90'");
  std::vector<std::string> names;
  for (std::size_t number = 2; std::getline(in, line); ++number) {
    if (blank(line)) continue;
    const std::vector<std::string> t = tokens(line);
    if (t.size() != header.size())
      throw_error(fn, ": ", at(index_path, number), ": ", t.size(), " fields; the header has ",
                  header.size());
    if (t[column] != "yes" && t[column] != "no")
      throw_error(fn, ": ", at(index_path, number), ": in_arora2020_90 is '", t[column],
                  "'; expected yes or no");
    if (!arora2020_only || t[column] == "yes") names.push_back(t[0]);
  }
  return names;
}

std::vector<std::string> uci_index(bool arora2020_only) {
  return read_uci_index(find_data_file("uci/INDEX.tsv"), arora2020_only);
}

}  // namespace ntk::core::data
