#include "float32_engine_tiles.hpp"

#include <algorithm>
#include <atomic>

#include "layers_tiled.hpp"

namespace ntk::sdk::stax_detail {
namespace {

std::atomic<arma::uword> engine_tile{kFloat32EngineTile};

// The progress of one tile as a part [from, to] of the whole.
class TileProgress : public ProgressSink {
 public:
  TileProgress(ProgressSink* whole, double from, double to) : whole_(whole), from_(from), to_(to) {}
  void progress(double fraction) override {
    if (whole_ != nullptr) whole_->progress(std::min(from_ + fraction * (to_ - from_), 0.999));
  }

 private:
  ProgressSink* whole_;
  double from_, to_;
};

// Rounds a tile's float64 kernel into columns [c0, ...) and rows [r0, ...) of `out`, and its
// transpose into the mirror block when `mirror`.
void place(arma::mat& tile, arma::uword r0, arma::uword c0, bool mirror,
           const std::string& caller, const char* which, arma::fmat& out) {
  const arma::fmat t = layers::to_float32(tile, caller, which);  // frees the double tile
  out.submat(r0, c0, r0 + t.n_rows - 1, c0 + t.n_cols - 1) = t;
  if (mirror) out.submat(c0, r0, c0 + t.n_cols - 1, r0 + t.n_rows - 1) = t.t();
}

}  // namespace

arma::uword float32_engine_tile() { return engine_tile.load(); }
void set_float32_engine_tile(arma::uword tile) { engine_tile = std::max<arma::uword>(tile, 1); }

Inputs example_range(const Inputs& in, arma::uword c0, arma::uword c1) {
  switch (in.kind()) {
    case Inputs::Kind::dense:
    case Inputs::Kind::images: {
      arma::mat view(const_cast<double*>(in.x().colptr(c0)), in.x().n_rows, c1 - c0, false, true);
      return in.kind() == Inputs::Kind::dense ? Inputs::dense(std::move(view))
                                              : Inputs::images(std::move(view), in.shape());
    }
    case Inputs::Kind::graphs:
      return Inputs::graphs(std::vector<Graph>(in.graph_list().begin() + c0,
                                               in.graph_list().begin() + c1));
  }
  return {};
}

Kernels float32_by_tiles(const Inputs& a, const Inputs& b, bool symmetric,
                         const KernelRequest& what, const Float64Engine& engine,
                         const std::string& caller, arma::uword tile) {
  const arma::uword n1 = a.size(), n2 = symmetric ? a.size() : b.size();
  const int matrices = int(what.nngp) + int(what.ntk);
  // The output, and per tile its float64 kernels, the engine's state (about as much again)
  // and the float copy.
  const double t2 = double(std::min(tile, n1)) * double(std::min(tile, n2));
  layers::check_kernel_memory(caller + ": the " + std::to_string(n1) + " x " +
                                  std::to_string(n2) + " float32 kernels in tiles",
                              0, 0, 0, 4.0 * double(n1) * double(n2) * matrices + 20.0 * t2 * matrices, 0);
  Kernels out;
  if (what.nngp) out.nngp32.set_size(n1, n2);
  if (what.ntk) out.ntk32.set_size(n1, n2);
  const arma::uword tr = (n1 + tile - 1) / tile, tc = (n2 + tile - 1) / tile;
  double total = 0, done = 0;
  for (arma::uword i = 0; i < tr; ++i)
    for (arma::uword j = symmetric ? i : 0; j < tc; ++j)
      total += double(std::min(n1, (i + 1) * tile) - i * tile) * double(std::min(n2, (j + 1) * tile) - j * tile);
  for (arma::uword i = 0; i < tr; ++i) {
    const arma::uword r0 = i * tile, r1 = std::min(n1, r0 + tile);
    const Inputs rows = example_range(a, r0, r1);
    for (arma::uword j = symmetric ? i : 0; j < tc; ++j) {
      const arma::uword c0 = j * tile, c1 = std::min(n2, c0 + tile);
      const double entries = double(r1 - r0) * double(c1 - c0);
      TileProgress progress(what.progress, done / total, (done + entries) / total);
      KernelRequest request = what;
      request.output = Precision::float64;
      request.log_scale = false;
      request.progress = &progress;
      const bool diagonal = symmetric && i == j;
      Kernels k = diagonal ? engine(rows, rows, request)
                           : engine(rows, example_range(symmetric ? a : b, c0, c1), request);
      const bool mirror = symmetric && i != j;
      if (what.nngp) place(k.nngp, r0, c0, mirror, caller, "NNGP", out.nngp32);
      if (what.ntk) {
        if (k.ntk.is_empty()) k.ntk.zeros(r1 - r0, c1 - c0);  // no trainable layer: Θ = 0
        place(k.ntk, r0, c0, mirror, caller, "NTK", out.ntk32);
      }
      done += entries;
    }
  }
  if (what.progress != nullptr) what.progress->progress(1.0);
  return out;
}

}  // namespace ntk::sdk::stax_detail
