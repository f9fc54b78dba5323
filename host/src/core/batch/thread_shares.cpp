#include "core/batch/thread_shares.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/threads/share.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::batch {

namespace fs = std::filesystem;

std::vector<int> thread_shares(unsigned cores, std::size_t running) {
  std::vector<int> shares(running, 1);
  if (running == 0 || cores <= running) return shares;
  const unsigned each = cores / static_cast<unsigned>(running);
  const unsigned extra = cores % static_cast<unsigned>(running);
  for (std::size_t i = 0; i < running; ++i) shares[i] = static_cast<int>(each + (i < extra));
  return shares;
}

ThreadShares::ThreadShares(const std::string& out_dir, unsigned cores, int workers,
                           bool rebalance, const std::string& subdir)
    : dir_(out_dir + "/" + subdir),
      cores_(std::max(cores, 1u)),
      workers_(std::max(workers, 1)),
      rebalance_(rebalance) {
  if (!rebalance_) return;
  std::error_code ec;
  fs::remove_all(dir_, ec);  // the files of a batch that was killed
  fs::create_directories(dir_, ec);
  if (ec) throw_error("batch: cannot create ", dir_, " (the workers' thread shares): ", ec.message());
}

ThreadShares::~ThreadShares() {
  if (!rebalance_) return;
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

bool ThreadShares::rebalance_allowed() {
  return std::getenv("OMP_NUM_THREADS") == nullptr && std::getenv("OPENBLAS_NUM_THREADS") == nullptr;
}

std::string ThreadShares::file(const std::string& id) const { return dir_ + "/" + id; }

void ThreadShares::write(const std::string& id, int share) const {
  const std::string path = file(id), temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << share << "\n";
    out.close();
    if (!out)
      throw_error("batch: cannot write ", temporary, " (job ", id, "'s thread share): ",
                  std::strerror(errno));
  }
  // rename is atomic: the worker reads the old number or the new one, never half a file.
  if (std::rename(temporary.c_str(), path.c_str()) != 0)
    throw_error("batch: cannot rename ", temporary, " to ", path, ": ", std::strerror(errno));
}

Environment ThreadShares::starting(const std::string& id, std::size_t running_after) {
  Environment environment;
  if (!rebalance_) {
    // The user's variables stay; one left unset gets the fixed share (the rule before shares
    // could change). An inherited share file (a batch run by a job) is not ours to follow.
    const std::string fixed = std::to_string(std::max(1u, cores_ / static_cast<unsigned>(workers_)));
    for (const char* name : {"OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"})
      if (std::getenv(name) == nullptr) environment.emplace_back(name, fixed);
    environment.emplace_back(threads::kShareFileVariable, "");
    return environment;
  }
  // The smallest share for now; rebalance() gives the remainder to the oldest workers.
  const int share = thread_shares(cores_, std::max<std::size_t>(running_after, 1)).back();
  write(id, share);
  running_.push_back({id, share});
  const std::string text = std::to_string(share);
  environment.emplace_back("OMP_NUM_THREADS", text);
  environment.emplace_back("OPENBLAS_NUM_THREADS", text);
  environment.emplace_back(threads::kShareFileVariable, file(id));
  return environment;
}

void ThreadShares::ended(const std::string& id) {
  if (!rebalance_) return;
  running_.erase(std::remove_if(running_.begin(), running_.end(),
                                [&](const Worker& w) { return w.id == id; }),
                 running_.end());
  std::error_code ec;
  fs::remove(file(id), ec);
}

bool ThreadShares::rebalance() {
  if (!rebalance_ || running_.empty()) return false;
  const std::vector<int> target = thread_shares(cores_, running_.size());
  bool rewritten = false;
  for (std::size_t i = 0; i < running_.size(); ++i) {
    if (running_[i].share == target[i]) continue;
    write(running_[i].id, target[i]);
    running_[i].share = target[i];
    rewritten = true;
  }
  // Not a change worth a line: a job replaced by the next one (the same shares, the remainder
  // passed to the next oldest), or one fewer job on one core (1 thread each, before and after).
  const bool first = last_change_.empty();
  if (target == last_change_) return false;
  last_change_ = target;
  return first || rewritten;
}

std::vector<int> ThreadShares::shares() const {
  std::vector<int> shares;
  for (const auto& w : running_) shares.push_back(w.share);
  return shares;
}

}  // namespace ntk::core::batch
