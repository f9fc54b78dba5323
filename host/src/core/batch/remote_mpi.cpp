// remote.hpp on MPI: the messages between rank 0 and the other ranks of a batch.
#include <mpi.h>
#include <time.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>

#include "core/batch/limits.hpp"
#include "core/batch/remote.hpp"
#include "core/batch/thread_shares.hpp"
#include "core/batch/workers.hpp"
#include "core/mpi/comm.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::batch {

namespace fs = std::filesystem;

namespace {

// Tags of the batch's messages (remote.hpp). No collective call runs while a batch runs, so
// these cannot meet another part's messages.
enum Tag : int { kJob = 701, kFinish, kStop, kResult, kInterrupted, kDone };

void check(int code, const char* what) {
  if (code != MPI_SUCCESS) throw_error("batch: ", what, " failed on rank ", mpi::rank(),
                                       " (MPI error ", code, ")");
}

void send_bytes(int rank, int tag, const void* data, std::size_t bytes) {
  check(MPI_Send(data, static_cast<int>(bytes), MPI_BYTE, rank, tag, MPI_COMM_WORLD), "MPI_Send");
}

// A message that MPI_Iprobe found, received whole.
std::string receive_probed(const MPI_Status& status) {
  int bytes = 0;
  MPI_Get_count(&status, MPI_BYTE, &bytes);
  std::string data(static_cast<std::size_t>(bytes), '\0');
  check(MPI_Recv(data.data(), bytes, MPI_BYTE, status.MPI_SOURCE, status.MPI_TAG, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE),
        "MPI_Recv");
  return data;
}

// A waiting message from `source` (or any), without blocking.
bool probe(int source, MPI_Status& status) {
  int flag = 0;
  check(MPI_Iprobe(source, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &status), "MPI_Iprobe");
  return flag != 0;
}

// A JobEnd as bytes: the numbers, then the strings with their lengths. The ranks of one run are
// the same build on alike machines, so the numbers go as they are in memory.
template <typename T>
void put(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}
void put_text(std::string& out, const std::string& text) {
  put<std::uint64_t>(out, text.size());
  out += text;
}
template <typename T>
T take(const std::string& in, std::size_t& at) {
  if (at + sizeof(T) > in.size()) throw_error("batch: a truncated job result message");
  T value;
  std::memcpy(&value, in.data() + at, sizeof value);
  at += sizeof value;
  return value;
}
std::string take_text(const std::string& in, std::size_t& at) {
  const auto length = take<std::uint64_t>(in, at);
  if (at + length > in.size()) throw_error("batch: a truncated job result message");
  std::string text = in.substr(at, length);
  at += length;
  return text;
}

std::string encode(std::size_t index, const JobEnd& end) {
  std::string out;
  put<std::uint64_t>(out, index);
  put<std::int32_t>(out, end.exit_code);
  put<std::int32_t>(out, end.timed_out ? 1 : 0);
  put<std::int32_t>(out, end.rank);
  put<double>(out, end.elapsed_s);
  put_text(out, end.rows);
  put_text(out, end.rows_source);
  put_text(out, end.stderr_tail);
  return out;
}

RemoteJobEnd decode(const std::string& in) {
  std::size_t at = 0;
  RemoteJobEnd result;
  result.job_index = take<std::uint64_t>(in, at);
  result.end.exit_code = take<std::int32_t>(in, at);
  result.end.timed_out = take<std::int32_t>(in, at) != 0;
  result.end.rank = take<std::int32_t>(in, at);
  result.end.elapsed_s = take<double>(in, at);
  result.end.rows = take_text(in, at);
  result.end.rows_source = take_text(in, at);
  result.end.stderr_tail = take_text(in, at);
  return result;
}

// A short pause that a signal cuts short.
void pause_briefly() {
  timespec pause{0, 10'000'000};
  ::nanosleep(&pause, nullptr);
}

}  // namespace

// ---- rank 0 ----

RemoteRanks::RemoteRanks(int jobs_per_rank)
    : jobs_per_rank_(jobs_per_rank), ranks_(static_cast<std::size_t>(mpi::size())) {}

std::size_t RemoteRanks::running() const {
  std::size_t total = 0;
  for (std::size_t r = 1; r < ranks_.size(); ++r) total += static_cast<std::size_t>(ranks_[r].running);
  return total;
}

void RemoteRanks::send(int rank, int tag, const void* data, int bytes) {
  send_bytes(rank, tag, data, static_cast<std::size_t>(bytes));
}

void RemoteRanks::hand_out(const std::function<std::optional<std::size_t>()>& next) {
  // A slot per rank per round, so that J > 1 spreads the first jobs evenly.
  for (int round = 0; round < jobs_per_rank_; ++round) {
    for (std::size_t r = 1; r < ranks_.size(); ++r) {
      Rank& rank = ranks_[r];
      if (rank.finished || rank.stopped || rank.done || rank.running > round) continue;
      const std::optional<std::size_t> job = next();
      if (!job) return;
      const std::uint64_t index = *job;
      send(static_cast<int>(r), kJob, &index, sizeof index);
      ++rank.running;
    }
  }
}

void RemoteRanks::finish() {
  for (std::size_t r = 1; r < ranks_.size(); ++r) {
    if (ranks_[r].finished || ranks_[r].stopped || ranks_[r].done) continue;
    send(static_cast<int>(r), kFinish, nullptr, 0);
    ranks_[r].finished = true;
  }
}

bool RemoteRanks::receive_one(std::vector<RemoteJobEnd>& ends) {
  MPI_Status status;
  if (!active() || !probe(MPI_ANY_SOURCE, status)) return false;
  const std::string data = receive_probed(status);
  Rank& rank = ranks_.at(static_cast<std::size_t>(status.MPI_SOURCE));
  switch (status.MPI_TAG) {
    case kResult:
      ends.push_back(decode(data));
      --rank.running;
      break;
    case kInterrupted: {
      int signal = 0;
      if (data.size() == sizeof signal) std::memcpy(&signal, data.data(), sizeof signal);
      if (interrupted_by_ == 0) interrupted_by_ = signal;
      break;
    }
    case kDone:
      rank.done = true;
      rank.running = 0;
      break;
    default:
      throw_error("batch: rank 0 got an unknown message (tag ", status.MPI_TAG, ") from rank ",
                  status.MPI_SOURCE);
  }
  return true;
}

std::vector<RemoteJobEnd> RemoteRanks::receive() {
  std::vector<RemoteJobEnd> ends;
  while (receive_one(ends)) {
  }
  return ends;
}

bool RemoteRanks::all_done() const {
  for (std::size_t r = 1; r < ranks_.size(); ++r)
    if (!ranks_[r].done) return false;
  return true;
}

void RemoteRanks::request_stop() {
  for (std::size_t r = 1; r < ranks_.size(); ++r) {
    if (ranks_[r].stopped || ranks_[r].done) continue;
    send(static_cast<int>(r), kStop, nullptr, 0);
    ranks_[r].stopped = true;
  }
}

bool RemoteRanks::wait_done(std::chrono::milliseconds wait,
                            const std::function<void(const RemoteJobEnd&)>& on_end) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (!all_done() && std::chrono::steady_clock::now() < deadline) {
    std::vector<RemoteJobEnd> ends;
    if (!receive_one(ends)) pause_briefly();
    for (const auto& end : ends) on_end(end);
  }
  return all_done();
}

// ---- ranks ≥ 1 ----

int serve_jobs(const BatchOptions& o, const std::vector<Job>& jobs) {
  const int me = mpi::rank();
  InterruptGuard guard;
  WorkerPool pool;
  // Its own share files: on a shared file system rank 0's DIR/.threads is rank 0's.
  ThreadShares shares(o.out_dir, usable_cores(), o.workers, ThreadShares::rebalance_allowed(),
                      ".threads.rank" + std::to_string(me));
  std::map<pid_t, std::size_t> running;  // worker → job index
  std::error_code ec;

  const auto stop_workers = [&] {
    pool.stop_all(o.stop_grace);
    for (const auto& [pid, index] : running) {
      shares.ended(jobs[index].id);
      fs::remove(job_output_path(o.out_dir, jobs[index]), ec);
    }
    running.clear();
  };
  const auto launch = [&](std::size_t index) {
    if (index >= jobs.size()) throw_error("batch: rank ", me, " was handed job ", index, " of ", jobs.size());
    const Job& job = jobs[index];
    WorkerSpec spec = job_worker_spec(o, job);
    spec.environment = shares.starting(job.id, pool.running() + 1);
    fs::remove(job_output_path(o.out_dir, job), ec);  // left over from a stopped run
    running[pool.launch(spec)] = index;
  };

  bool finishing = false, stopping = false;
  int interrupted = 0;
  const bool limited = o.job_timeout_s > 0;
  for (;;) {
    if (guard.signal() != 0 && interrupted == 0) {
      // Stop at once, then tell rank 0, which stops the batch and sends stop.
      interrupted = guard.signal();
      stop_workers();
      send_bytes(0, kInterrupted, &interrupted, sizeof interrupted);
    }
    MPI_Status status;
    while (probe(0, status)) {
      const std::string data = receive_probed(status);
      if (status.MPI_TAG == kJob) {
        std::uint64_t index = 0;
        if (data.size() == sizeof index) std::memcpy(&index, data.data(), sizeof index);
        if (interrupted == 0 && !stopping) launch(static_cast<std::size_t>(index));
      } else if (status.MPI_TAG == kFinish) {
        finishing = true;
      } else if (status.MPI_TAG == kStop) {
        stopping = true;
      }
    }
    // After a signal, wait for rank 0's stop: it may have sent jobs meanwhile.
    if (stopping || (finishing && interrupted == 0 && pool.running() == 0)) {
      if (stopping) stop_workers();
      send_bytes(0, kDone, nullptr, 0);
      return interrupted;
    }
    shares.rebalance();
    if (limited) pool.enforce_time_limit(std::chrono::duration<double>(o.job_timeout_s), o.stop_grace);
    if (pool.running() == 0) pause_briefly();
    for (const auto& exit : pool.wait_some(std::chrono::milliseconds(50))) {
      const std::size_t index = running.at(exit.pid);
      running.erase(exit.pid);
      shares.ended(jobs[index].id);
      JobEnd end = collect_job_end(exit, o.out_dir, jobs[index]);
      end.rank = me;
      fs::remove(job_output_path(o.out_dir, jobs[index]), ec);
      const std::string message = encode(index, end);
      send_bytes(0, kResult, message.data(), message.size());
    }
  }
}

}  // namespace ntk::core::batch
