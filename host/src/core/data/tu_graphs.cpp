#include "core/data/tu_graphs.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include "core/data/data_dir.hpp"
#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::data {

namespace fs = std::filesystem;

namespace {

// Reads a file line by line, keeping FILE:LINE for messages; blank lines are skipped.
// A first pass counts the non-blank lines, so that every count a line announces (graphs,
// nodes) is checked against the lines that could hold them before anything is sized by it.
class LineReader {
 public:
  explicit LineReader(const std::string& path) : path_(path), in_(path) {
    if (!in_) throw_error("read_tu_graphs(): cannot open ", path_);
    for (std::string line; std::getline(in_, line);)
      if (line.find_first_not_of(" \t\r\v\f") != std::string::npos) ++total_;
    in_.clear();
    in_.seekg(0);
  }
  // The next non-blank line split into tokens; false at the end of the file.
  bool next(std::vector<std::string>& tokens) {
    std::string line;
    while (std::getline(in_, line)) {
      ++line_;
      tokens.clear();
      std::istringstream words(line);
      for (std::string w; words >> w;) tokens.push_back(w);
      if (!tokens.empty()) {
        ++consumed_;
        return true;
      }
    }
    return false;
  }
  std::string where() const { return path_ + ":" + std::to_string(line_); }
  // Non-blank lines after the current one.
  long long lines_left() const { return total_ - consumed_; }

 private:
  std::string path_;
  std::ifstream in_;
  long line_ = 0;
  long long total_ = 0, consumed_ = 0;
};

long long parse_integer(const std::string& token, const std::string& where, const char* what) {
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(token.c_str(), &end, 10);
  if (end == token.c_str() || *end != '\0' || errno == ERANGE)
    throw_error(where, ": ", what, " '", token, "' is not an integer");
  return v;
}

struct RawGraph {
  long long label = 0;
  std::vector<long long> tags;
  std::vector<std::set<arma::uword>> neighbours;  // undirected, deduplicated
};

RawGraph read_graph(LineReader& reader, long long index, long long count) {
  std::vector<std::string> t;
  if (!reader.next(t))
    throw_error(reader.where(), ": the file ends after ", index, " of its ", count, " graphs");
  if (t.size() != 2)
    throw_error(reader.where(), ": graph ", index + 1, " header has ", t.size(),
                " fields; \"n_nodes label\" is expected");
  const long long n = parse_integer(t[0], reader.where(), "the number of nodes");
  if (n < 0) throw_error(reader.where(), ": graph ", index + 1, " has ", n, " nodes");
  if (n > reader.lines_left())
    throw_error(reader.where(), ": graph ", index + 1, " announces ", n, " nodes, but only ",
                reader.lines_left(), " non-blank lines follow (one line per node)");
  RawGraph g;
  g.label = parse_integer(t[1], reader.where(), "the graph label");
  g.neighbours.resize(static_cast<std::size_t>(n));
  for (long long u = 0; u < n; ++u) {
    if (!reader.next(t))
      throw_error(reader.where(), ": the file ends inside graph ", index + 1, " (node ", u + 1,
                  " of ", n, ")");
    if (t.size() < 2)
      throw_error(reader.where(), ": node line has ", t.size(),
                  " field(s); \"tag n_neighbours neighbours...\" is expected");
    g.tags.push_back(parse_integer(t[0], reader.where(), "the node tag"));
    const long long k = parse_integer(t[1], reader.where(), "the number of neighbours");
    if (k < 0 || static_cast<std::size_t>(k) + 2 > t.size())
      throw_error(reader.where(), ": node ", u, " declares ", k, " neighbours but the line lists ",
                  t.size() - 2, " values");
    for (long long e = 0; e < k; ++e) {
      const long long v = parse_integer(t[2 + e], reader.where(), "the neighbour");
      if (v < 0 || v >= n)
        throw_error(reader.where(), ": neighbour ", v, " of node ", u, " is outside 0..", n - 1,
                    " (graph ", index + 1, " has ", n, " nodes)");
      if (v == u) throw_error(reader.where(), ": node ", u, " lists itself as a neighbour");
      g.neighbours[u].insert(static_cast<arma::uword>(v));
      g.neighbours[v].insert(static_cast<arma::uword>(u));
    }
    // Tokens after the neighbours are node attributes: ignored, as by GIN and GNTK.
  }
  return g;
}

arma::sp_mat adjacency_of(const RawGraph& g) {
  const arma::uword n = g.neighbours.size();
  arma::uword edges = 0;
  for (const auto& nb : g.neighbours) edges += nb.size();
  arma::umat locations(2, edges);
  arma::uword k = 0;
  for (arma::uword u = 0; u < n; ++u)
    for (arma::uword v : g.neighbours[u]) {
      locations(0, k) = v;
      locations(1, k) = u;
      ++k;
    }
  return arma::sp_mat(locations, arma::vec(edges, arma::fill::ones), n, n);
}

std::vector<arma::uword> read_index_file(const fs::path& path, arma::uword n_graphs) {
  std::ifstream in(path);
  if (!in) throw_error("read_tu_folds(): cannot open ", path.string());
  std::vector<arma::uword> out;
  std::vector<char> seen(n_graphs, 0);
  std::string line;
  long number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::istringstream words(line);
    std::string w, extra;
    if (!(words >> w)) continue;
    const std::string where = path.string() + ":" + std::to_string(number);
    if (words >> extra) throw_error(where, ": one graph index per line is expected");
    const long long v = parse_integer(w, where, "the graph index");
    if (v < 0 || v >= static_cast<long long>(n_graphs))
      throw_error(where, ": graph index ", v, " is outside 0..", n_graphs - 1);
    if (seen[v]) throw_error(where, ": graph index ", v, " appears twice");
    seen[v] = 1;
    out.push_back(static_cast<arma::uword>(v));
  }
  return out;
}

// The one-hot node features, sparse: one entry (tag row, node) per node, so they cost
// O(nodes) whatever the number of distinct tags — and the nodes are bounded by the file (one
// non-blank line each, checked in read_graph before anything is sized by them). 15,000 one-node
// graphs with distinct tags give 15,000 entries (as dense values they were 1.8 GB from a
// 200 kB file). The tags are at most the nodes, so the row count is bounded the same way.
arma::sp_mat one_hot_features(const RawGraph& g, const std::map<long long, arma::uword>& row_of,
                              arma::uword features) {
  const arma::uword n = g.tags.size();
  arma::umat locations(2, n);
  for (arma::uword u = 0; u < n; ++u) {
    locations(0, u) = row_of.at(g.tags[u]);
    locations(1, u) = u;
  }
  return arma::sp_mat(locations, arma::vec(n, arma::fill::ones), features, n);
}

}  // namespace

TuGraphs read_tu_graphs(const std::string& path, bool degree_as_tag) {
  LineReader reader(path);
  std::vector<std::string> t;
  if (!reader.next(t)) throw_error(path, ":1: empty file; the number of graphs is expected");
  if (t.size() != 1)
    throw_error(reader.where(), ": the first line must hold only the number of graphs");
  const long long count = parse_integer(t[0], reader.where(), "the number of graphs");
  if (count < 0) throw_error(reader.where(), ": negative number of graphs ", count);
  if (count > reader.lines_left())
    throw_error(reader.where(), ": the file announces ", count, " graphs, but only ",
                reader.lines_left(), " non-blank lines follow (at least one per graph)");

  std::vector<RawGraph> raw;
  raw.reserve(static_cast<std::size_t>(count));
  for (long long i = 0; i < count; ++i) raw.push_back(read_graph(reader, i, count));
  if (reader.next(t))
    throw_error(reader.where(), ": unexpected content after the ", count, " graphs");

  TuGraphs out;
  out.path = path;
  out.name = fs::path(path).stem().string();
  out.degree_as_tag = degree_as_tag;
  out.labels.set_size(raw.size());
  std::map<long long, arma::uword> class_of;
  std::set<long long> tag_set;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    auto [it, added] = class_of.emplace(raw[i].label, class_of.size());
    if (added) out.classes.push_back(static_cast<double>(raw[i].label));
    out.labels(i) = static_cast<double>(it->second);
    if (degree_as_tag)
      for (std::size_t u = 0; u < raw[i].tags.size(); ++u)
        raw[i].tags[u] = static_cast<long long>(raw[i].neighbours[u].size());
    tag_set.insert(raw[i].tags.begin(), raw[i].tags.end());
  }
  out.tags.assign(tag_set.begin(), tag_set.end());
  // The sparse one-hot features: per node one value, one row index and one column pointer.
  double nodes = 0;
  for (const RawGraph& g : raw) nodes += static_cast<double>(g.tags.size());
  sdk::check_allocation("read_tu_graphs(): " + path + ": the sparse one-hot features of " +
                            std::to_string(static_cast<long long>(nodes)) + " nodes",
                        nodes, 3);
  std::map<long long, arma::uword> row_of;
  for (arma::uword r = 0; r < out.tags.size(); ++r) row_of[out.tags[r]] = r;

  out.graphs.reserve(raw.size());
  for (const RawGraph& g : raw) {
    sdk::Graph graph;
    graph.adjacency = adjacency_of(g);
    graph.features = one_hot_features(g, row_of, out.tags.size());
    out.graphs.push_back(std::move(graph));
  }
  return out;
}

std::string find_tu_file(const std::string& name_or_path) {
  std::error_code error;
  const fs::path p(name_or_path);
  if (fs::is_regular_file(p, error)) return p.string();
  if (fs::is_directory(p, error)) {
    const fs::path dir = p.filename().empty() ? p.parent_path() : p;
    const fs::path file = dir / (dir.filename().string() + ".txt");
    if (fs::is_regular_file(file, error)) return file.string();
    throw_error("find_tu_file(): directory ", p.string(), " has no ", file.filename().string());
  }
  if (name_or_path.find('/') != std::string::npos || name_or_path.empty())
    throw_error("find_tu_file(): no file or directory '", name_or_path, "'");
  return find_data_file("graphs/" + name_or_path + "/" + name_or_path + ".txt");
}

bool tu_default_degree_as_tag(const std::string& name) {
  return name == "IMDBBINARY" || name == "IMDBMULTI" || name == "COLLAB";
}

std::vector<TuFold> read_tu_folds(const std::string& data_file, arma::uword n_graphs) {
  const fs::path dir = fs::path(data_file).parent_path() / "10fold_idx";
  std::error_code error;
  if (!fs::is_regular_file(dir / "train_idx-1.txt", error))
    throw_error("read_tu_folds(): no fold files: ", (dir / "train_idx-1.txt").string(),
                " does not exist");
  std::vector<TuFold> folds;
  std::vector<long> test_fold(n_graphs, 0);  // which fold tests each graph (0: none yet)
  for (long k = 1; fs::is_regular_file(dir / ("train_idx-" + std::to_string(k) + ".txt"), error);
       ++k) {
    const fs::path train_path = dir / ("train_idx-" + std::to_string(k) + ".txt");
    const fs::path test_path = dir / ("test_idx-" + std::to_string(k) + ".txt");
    TuFold fold;
    fold.train = read_index_file(train_path, n_graphs);
    fold.test = read_index_file(test_path, n_graphs);
    std::vector<char> in_fold(n_graphs, 0);
    for (arma::uword i : fold.train) in_fold[i] = 1;
    for (arma::uword i : fold.test) {
      if (in_fold[i])
        throw_error("read_tu_folds(): graph ", i, " is in both ", train_path.string(), " and ",
                    test_path.string());
      in_fold[i] = 1;
      if (test_fold[i] != 0)
        throw_error("read_tu_folds(): graph ", i, " is in the test sets of folds ", test_fold[i],
                    " and ", k, " (", test_path.string(), ")");
      test_fold[i] = k;
    }
    if (fold.train.size() + fold.test.size() != n_graphs)
      throw_error("read_tu_folds(): fold ", k, " has ", fold.train.size(), " training and ",
                  fold.test.size(), " test graphs; together they must be all ", n_graphs,
                  " graphs (", train_path.string(), ")");
    folds.push_back(std::move(fold));
  }
  return folds;
}

}  // namespace ntk::core::data
