// The workspace a finite network keeps between calls (SDK 4.0, layer.hpp's workspace forms):
// its chain's caches with their buffers and a copy of the input they were computed from, so
//   * a training step allocates nothing once the buffers have their size (a training loop of
//     ntk.train.gd used to fault in fresh pages for every activation, every step), and
//   * vjp(x, r) or jvp(x, v) after forward(x) at the same parameters — what train.gd and the
//     linearised trainer do every step — reuse that forward pass instead of recomputing it.
// The reuse is exact: the new input is compared with the copy entry by entry (a script may
// change a matrix in place between two calls) and the parameters by a generation count that
// the network advances whenever they change.
#pragma once

#include <algorithm>
#include <cstdint>
#include <mutex>

#include "finite_chain.hpp"

namespace ntk::sdk {

class FiniteWorkspace {
 public:
  // The chain's output on `in` at parameters p (of `generation`), leaving every layer's cache
  // filled; the last pass when it was on the same input at the same generation.
  const arma::mat& forward(const FiniteChain& chain, const double* p, std::uint64_t generation,
                           const arma::mat& in) {
    if (holds(in, generation)) return *output_;
    valid_ = false;  // stays false if a layer throws
    input_ = in;     // same size or smaller: Armadillo reuses the memory
    output_ = &chain.forward_into(p, input_, cache_);
    generation_ = generation;
    valid_ = true;
    return *output_;
  }
  // After forward(): the caches, for backward_into and jvp.
  LayerCache& cache() { return cache_; }
  bool holds(const arma::mat& in, std::uint64_t generation) const {
    return valid_ && generation == generation_ && in.n_rows == input_.n_rows &&
           in.n_cols == input_.n_cols && std::equal(in.begin(), in.end(), input_.begin());
  }
  arma::uword columns() const { return input_.n_cols; }

 private:
  LayerCache cache_;
  arma::mat input_;
  const arma::mat* output_ = nullptr;
  std::uint64_t generation_ = 0;
  bool valid_ = false;
};

// A network's workspace, shared by its (const) calls: a call that finds it in use by another
// thread works in a workspace of its own for that call, so concurrent calls stay correct.
struct SharedWorkspace {
  std::mutex mutex;
  FiniteWorkspace workspace;
};

class WorkspaceLease {
 public:
  explicit WorkspaceLease(SharedWorkspace& shared) : lock_(shared.mutex, std::try_to_lock) {
    workspace_ = lock_.owns_lock() ? &shared.workspace : &own_;
  }
  FiniteWorkspace& operator*() { return *workspace_; }
  FiniteWorkspace* operator->() { return workspace_; }

 private:
  std::unique_lock<std::mutex> lock_;
  FiniteWorkspace own_;
  FiniteWorkspace* workspace_;
};

}  // namespace ntk::sdk
