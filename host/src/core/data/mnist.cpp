#include "core/data/mnist.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>

#include "core/data/data_dir.hpp"
#include "core/data/random.hpp"
#include "core/data/transforms.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::data {

namespace {

// The classes asked for, checked: integers 0..9, no duplicates; empty means all ten.
std::vector<double> checked_classes(const std::vector<double>& classes, const std::string& who) {
  if (classes.empty()) return {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  for (double c : classes)
    if (!(c >= 0 && c <= 9 && c == std::floor(c)))
      throw_error(who, ": unknown class ", c, " (the classes are the integers 0 to 9)");
  for (std::size_t i = 0; i < classes.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (classes[i] == classes[j]) throw_error(who, ": class ", classes[i], " is listed twice");
  if (classes.size() < 2) throw_error(who, ": need at least 2 classes, got ", classes.size());
  return classes;
}

// Items of `set` whose label is one of `classes`, in file order.
std::vector<arma::uword> pool(const LabelledImages& set, const std::vector<double>& classes) {
  std::vector<arma::uword> items;
  for (arma::uword j = 0; j < set.labels.items(); ++j)
    if (std::find(classes.begin(), classes.end(), static_cast<double>(set.labels.bytes[j])) != classes.end())
      items.push_back(j);
  return items;
}

std::vector<arma::uword> pick(const std::vector<arma::uword>& from,
                              const std::vector<arma::uword>& positions) {
  std::vector<arma::uword> out(positions.size());
  for (std::size_t i = 0; i < positions.size(); ++i) out[i] = from[positions[i]];
  return out;
}

// Labels -> targets in the requested (or default) encoding, then the normalisation.
Split finish(Split split, const ImageSetOptions& options, const std::vector<double>& classes,
             const std::string& who) {
  const LabelEncoding encoding = options.labels.value_or(
      classes.size() == 2 ? LabelEncoding::pm1 : LabelEncoding::onehot);
  for (Dataset* d : {&split.train, &split.test}) {
    d->classes = classes;
    d->y = encode_labels(d->labels, classes, encoding, who);
  }
  normalize(split, options.normalize, who);
  return split;
}

std::string require_file(const std::string& dir, const char* name, const std::string& who,
                         const char* hint) {
  const std::string path = (std::filesystem::path(dir) / name).string();
  std::error_code error;
  if (!std::filesystem::exists(path, error))
    throw_error(who, ": ", path, " not found; ", hint);
  return path;
}

// Scripts call the loaders again and again (one call per seed, per σ, per repetition), and
// decompressing the 47 MB Fashion-MNIST training images dominates such a call: keep the last
// few decoded file pairs, keyed by path, size and modification time (a changed file is re-read).
std::string file_key(const std::string& path) {
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  const auto time = std::filesystem::last_write_time(path, error).time_since_epoch().count();
  return path + "|" + std::to_string(size) + "|" + std::to_string(time);
}

std::shared_ptr<const LabelledImages> load(const std::string& images_path,
                                           const std::string& labels_path,
                                           const std::string& who) {
  struct Entry {
    std::string key;
    std::shared_ptr<const LabelledImages> set;
  };
  static std::mutex mutex;
  static std::deque<Entry> cache;  // most recent first
  const std::string key = file_key(images_path) + "||" + file_key(labels_path);
  {
    std::lock_guard<std::mutex> lock(mutex);
    for (const Entry& e : cache)
      if (e.key == key) return e.set;
  }
  auto set = std::make_shared<const LabelledImages>(
      read_labelled_images(images_path, labels_path, who));
  std::lock_guard<std::mutex> lock(mutex);
  cache.push_front({key, set});
  if (cache.size() > 3) cache.pop_back();  // MNIST test + Fashion train and test
  return set;
}

}  // namespace

LabelledImages read_labelled_images(const std::string& images_path, const std::string& labels_path,
                                    const std::string& who) {
  LabelledImages set{read_idx(images_path), read_idx(labels_path)};
  if (set.images.type != 0x08 || set.images.dims.size() != 3)
    throw_error(who, ": ", images_path, ": expected unsigned-byte images n x rows x cols (magic "
                "0x00000803 at byte offset 0), got type 0x", std::hex, int{set.images.type},
                std::dec, " with ", set.images.dims.size(), " dimensions");
  if (set.labels.type != 0x08 || set.labels.dims.size() != 1)
    throw_error(who, ": ", labels_path, ": expected unsigned-byte labels (magic 0x00000801 at "
                "byte offset 0), got type 0x", std::hex, int{set.labels.type}, std::dec, " with ",
                set.labels.dims.size(), " dimensions");
  if (set.images.items() != set.labels.items())
    throw_error(who, ": ", images_path, " has ", set.images.items(),
                " images (count at byte offset 4) but ", labels_path, " has ",
                set.labels.items(), " labels (count at byte offset 4)");
  for (arma::uword j = 0; j < set.labels.items(); ++j)
    if (set.labels.bytes[j] > 9)
      throw_error(who, ": ", labels_path, ": label ", int{set.labels.bytes[j]}, " of item ", j + 1,
                  " at byte offset ", 8 + j, " is not a class 0..9");
  return set;
}

Dataset to_dataset(const LabelledImages& set, const std::vector<arma::uword>& items) {
  Dataset d;
  d.x = idx_to_matrix(set.images, items, 255.0);
  d.labels = arma::rowvec(idx_to_matrix(set.labels, items));
  d.shape = {1, set.images.dims[1], set.images.dims[2]};  // one grey channel, rows × cols
  return d;
}

std::string mnist_dir() {
  return std::filesystem::path(find_data_file("mnist/t10k-images-idx3-ubyte.gz"))
      .parent_path()
      .string();
}

Split mnist(const ImageSetOptions& options) {
  const std::string who = "mnist()";
  if (!options.n_train || !options.n_test)
    throw_error(who, ": n_train and n_test are required (train and test are disjoint draws from "
                "the 10,000 images of the MNIST test split)");
  const std::vector<double> classes = checked_classes(options.classes, who);
  const std::string dir = options.dir.empty() ? mnist_dir() : options.dir;
  const char* hint = "the project ships it in data/mnist (set NTKLAB_DATA_DIR or dir =)";
  const auto loaded = load(require_file(dir, "t10k-images-idx3-ubyte.gz", who, hint),
                           require_file(dir, "t10k-labels-idx1-ubyte.gz", who, hint), who);
  const LabelledImages& set = *loaded;
  const std::vector<arma::uword> items = pool(set, classes);
  const auto [train, test] =
      split_indices(items.size(), *options.n_train, *options.n_test, options.seed,
                    who + " (images of the requested classes)");
  return finish({to_dataset(set, pick(items, train)), to_dataset(set, pick(items, test))}, options,
                classes, who);
}

Split fashion_mnist(const ImageSetOptions& options) {
  const std::string who = "fashion_mnist()";
  const std::vector<double> classes = checked_classes(options.classes, who);
  const std::string dir = options.dir.empty() ? fashion_mnist_default_dir() : options.dir;
  const char* hint = "install the Debian package dataset-fashion-mnist "
                     "(apt-get install dataset-fashion-mnist) or pass dir =";
  Split split;
  const struct {
    const char* images;
    const char* labels;
    const std::optional<arma::uword>& n;
    Dataset& out;
    std::uint64_t seed;
  } sides[] = {
      {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", options.n_train, split.train,
       options.seed},
      // A different stream for the test side, so its draw does not mirror the training draw.
      {"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", options.n_test, split.test,
       options.seed ^ 0x9E3779B97F4A7C15ull},
  };
  for (const auto& side : sides) {
    const auto loaded = load(require_file(dir, side.images, who, hint),
                             require_file(dir, side.labels, who, hint), who);
    const LabelledImages& set = *loaded;
    const std::vector<arma::uword> items = pool(set, classes);
    const arma::uword n = side.n.value_or(items.size());
    if (n > items.size())
      throw_error(who, ": ", n, " examples requested from ", side.images, ", only ", items.size(),
                  " of the requested classes available");
    std::vector<arma::uword> order = Random(side.seed).permutation(items.size());
    order.resize(n);
    side.out = to_dataset(set, pick(items, order));
  }
  return finish(std::move(split), options, classes, who);
}

}  // namespace ntk::core::data
