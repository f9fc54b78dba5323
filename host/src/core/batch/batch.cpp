#include "core/batch/batch.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>

#include "core/batch/folder_lock.hpp"
#include "core/batch/limits.hpp"
#include "core/batch/manifest.hpp"
#include "core/batch/progress.hpp"
#include "core/batch/quarantine.hpp"
#include "core/batch/results.hpp"
#include "core/batch/thread_shares.hpp"
#include "core/batch/workers.hpp"
#include "core/batch/job_run.hpp"
#include "core/batch/remote.hpp"
#include "core/mpi/comm.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::batch {

namespace fs = std::filesystem;

bool is_reserved_parameter(const std::string& name) {
  static const std::set<std::string> reserved = {"rep", "seed",    "job",     "mode",
                                                 "out", "results", "out_dir", "batch"};
  return reserved.count(name) > 0;
}

namespace {

void check_options(const BatchOptions& o) {
  if (o.workers < 1) throw_error("batch: --jobs must be at least 1, got ", o.workers);
  if (!(o.job_timeout_s >= 0))  // NaN too
    throw_error("batch: --job-timeout must be a number of seconds > 0, got ", o.job_timeout_s);
  if (o.out_dir.empty()) throw_error("batch: --out DIR is required");
  if (o.worker_prefix.empty()) throw_error("batch: no worker command");
  std::set<std::string> names;
  for (const auto& [name, value] : o.constants) {
    if (is_reserved_parameter(name))
      throw_error("batch: --set ", name, ": '", name, "' is set by the batch itself for each job");
    if (!names.insert(name).second) throw_error("batch: --set ", name, " is given twice");
  }
  for (const auto& axis : o.grid) {
    if (is_reserved_parameter(axis.name))
      throw_error("batch: --grid ", axis.name, ": '", axis.name,
                  "' is set by the batch itself for each job (use --reps for repetitions)");
    if (names.count(axis.name))
      throw_error("batch: '", axis.name, "' is given both by --grid and by --set");
  }
}

Json grid_json(const std::vector<GridAxis>& grid) {
  Json object = Json::object();
  for (const auto& axis : grid) {
    Json values = Json::array();
    for (const auto& v : axis.values) values.push_back(number_or_string(v));
    object.set(axis.name, std::move(values));
  }
  return object;
}

Json params_json(const Params& params) {
  Json object = Json::object();
  for (const auto& [name, value] : params) object.set(name, number_or_string(value));
  return object;
}

// Refuses to mix results of different batches in one folder. Returns the earlier runs of a
// resumed batch (the old manifest's "history" plus its own run) for the new manifest.
Json check_folder(const BatchOptions& o, const std::string& results, const std::string& manifest) {
  struct stat info {};
  const bool has_results = ::stat(results.c_str(), &info) == 0 && info.st_size > 0;
  Json history = Json::array();
  if (!o.resume) {
    if (has_results)
      throw_error("batch: ", results, " already holds results; add --resume to continue that "
                  "batch, or choose another --out");
    return history;
  }
  if (::stat(manifest.c_str(), &info) != 0) return history;
  const Json old = read_json_file(manifest);
  const Json* script = old.find("script");
  if (script && script->is_string() && script->as_string() != o.script)
    throw_error("batch --resume: ", o.out_dir, " holds a batch of ", script->as_string(),
                ", not of ", o.script);
  const Json* constants = old.find("constants");
  if (constants && !(*constants == params_json(o.constants)))
    throw_error("batch --resume: the batch in ", o.out_dir, " was run with --set ",
                constants->dump(), ", now ", params_json(o.constants).dump(),
                "; resume with the same --set values or choose another --out");
  if (const Json* earlier = old.find("history"); earlier && earlier->is_array()) history = *earlier;
  Json run = Json::object();
  for (const char* key : {"start_time", "end_time", "status", "counts"})
    if (const Json* value = old.find(key)) run.set(key, *value);
  history.push_back(std::move(run));
  return history;
}

// "batch: 1 job running, threads per job 2 (2 cores)" — the line a change of shares prints.
std::string shares_text(const std::vector<int>& shares, unsigned cores) {
  std::string text = "batch: " + std::to_string(shares.size()) +
                     (shares.size() == 1 ? " job" : " jobs") + " running, threads per job ";
  for (std::size_t i = 0; i < shares.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shares[i]);
  return text + " (" + std::to_string(cores) + (cores == 1 ? " core)" : " cores)");
}

std::string signal_name(int signal) {
  const char* abbreviation = sigabbrev_np(signal);
  return abbreviation ? std::string("SIG") + abbreviation : "signal " + std::to_string(signal);
}


void make_folders(const std::string& dir) {
  std::error_code ec;
  for (const char* sub : {"", "/jobs", "/logs"}) {
    fs::create_directories(dir + sub, ec);
    if (ec) throw_error("batch: cannot create ", dir + sub, ": ", ec.message());
  }
}

// Collective, under mpirun: every rank must have expanded the same jobs (a --grid KEY=@FILE
// could read different files on different hosts), and none may have failed to set up (rank 0
// locks DIR and writes the manifest; the others make their jobs/ and logs/). A failure on any
// rank throws the same error on all of them, so none is left waiting for the others.
void agree_to_start(const std::vector<Job>& jobs, std::string failure) {
  std::uint64_t ids = mpi::fingerprint(nullptr, 0);
  for (const auto& job : jobs) ids = mpi::fingerprint(job.id.data(), job.id.size() + 1, ids);
  mpi::check_same(ids, "batch", "the list of jobs (grid × reps)");
  if (failure.rfind("batch: ", 0) == 0) failure.erase(0, 7);
  mpi::check_all(failure.empty(), failure, "batch");
}

// A rank ≥ 1 of `mpirun -np R ntklab batch`: it runs the jobs rank 0 hands it (remote.hpp).
BatchSummary run_other_rank(const BatchOptions& o, const std::vector<Job>& jobs) {
  (void)mpi::all_host_names();  // collective: rank 0 records them in the manifest
  std::string failure;
  try {
    make_folders(o.out_dir);
  } catch (const Error& e) {
    failure = e.what();
  }
  agree_to_start(jobs, failure);
  BatchSummary summary;
  summary.interrupted_by = serve_jobs(o, jobs);
  return summary;
}

}  // namespace

std::string timeout_text(double seconds) {
  std::ostringstream text;
  text.precision(15);
  text << "timeout after " << seconds << " s";
  return text.str();
}

BatchSummary run_batch(const BatchOptions& o) {
  check_options(o);
  const std::vector<Job> jobs = expand_jobs(o.grid, o.reps);
  // Under mpirun with R > 1 ranks this is rank 0, the coordinator and only writer (remote.hpp).
  const bool distributed = mpi::size() > 1;
  if (distributed && mpi::rank() != 0) return run_other_rank(o, jobs);
  const std::vector<std::string> hosts =
      distributed ? mpi::all_host_names() : std::vector<std::string>{};

  const std::string dir = o.out_dir;
  const std::string results = dir + "/results.jsonl";
  const std::string manifest_path = dir + "/manifest.json";
  std::error_code ec;
  BatchSummary summary;
  summary.total = jobs.size();
  std::vector<const Job*> todo;
  Json manifest, threads;
  std::unique_ptr<FolderLock> lock;
  std::unique_ptr<ThreadShares> shares_owner;
  std::string failure;
  // Everything that can refuse the batch, before any job runs; under mpirun its error reaches
  // every rank (agree_to_start).
  try {
    if (const std::string warning = jobs_warning(o.workers, usable_cores()); !warning.empty())
      *o.progress << "batch: warning: " << warning << "\n";
    make_folders(dir);
    lock = std::make_unique<FolderLock>(dir);  // before reading anything: ours until we return
    Json history = check_folder(o, results, manifest_path);

    std::set<std::string> done;
    if (o.resume) {
      if (const std::size_t cut = repair_tail(results))
        *o.progress << "batch: removed a torn last line (" << cut << " bytes) from " << results
                    << "\n";
      // Corrupt lines would hide their jobs' results from plot; their jobs run again below.
      const std::string moved = describe_quarantine(quarantine_corrupt_rows(results));
      if (!moved.empty()) *o.progress << "batch: " << moved << "\n";
      std::vector<std::string> warnings;
      done = completed_jobs(results, warnings);
      for (const auto& w : warnings) *o.progress << "batch: warning: skipping " << w << "\n";
    }
    for (const auto& job : jobs) {
      if (done.count(job.id)) ++summary.skipped;
      else todo.push_back(&job);
    }

    // The manifest, written now and completed at the end.
    manifest = o.manifest_extra.is_object() ? o.manifest_extra : Json::object();
    manifest.set("script", o.script);
    manifest.set("grid", grid_json(o.grid));
    manifest.set("constants", params_json(o.constants));
    manifest.set("reps", o.reps);
    manifest.set("workers", o.workers);
    if (distributed) {
      Json mpi_entry = Json::object();
      mpi_entry.set("ranks", mpi::size());
      Json host_list = Json::array();
      for (const auto& host : hosts) host_list.push_back(host);
      mpi_entry.set("hosts", std::move(host_list));
      mpi_entry.set("jobs_per_rank", o.workers);
      manifest.set("mpi", std::move(mpi_entry));
    }
    manifest.set("job_timeout_s", o.job_timeout_s > 0 ? Json(o.job_timeout_s) : Json());
    manifest.set("seed_rule", seed_rule_text());
    Json job_list = Json::array();
    for (const auto& job : jobs) {
      Json entry = Json::object();
      entry.set("job", job.id);
      entry.set("rep", job.rep);
      entry.set("seed", static_cast<unsigned long long>(job.seed));
      entry.set("params", params_json(job.params));
      job_list.push_back(std::move(entry));
    }
    manifest.set("jobs", std::move(job_list));
    manifest.set("resumed", o.resume);
    manifest.set("history", std::move(history));  // earlier runs of this batch (--resume)
    // Threads per worker: the usable cores, whether shares follow the running workers (not when
    // the user set OMP_NUM_THREADS / OPENBLAS_NUM_THREADS), and each change of the shares.
    shares_owner = std::make_unique<ThreadShares>(dir, usable_cores(), o.workers,
                                                  ThreadShares::rebalance_allowed());
    threads = Json::object();
    threads.set("cores", shares_owner->cores());
    threads.set("rebalance", shares_owner->rebalancing());
    threads.set("changes", Json::array());
    manifest.set("threads", threads);
    manifest.set("start_time", utc_timestamp());
    manifest.set("end_time", Json());
    manifest.set("status", "running");
    write_json_file(manifest_path, manifest);
  } catch (const Error& e) {
    if (!distributed) throw;
    failure = e.what();
  }
  if (distributed) agree_to_start(jobs, failure);
  ThreadShares& shares = *shares_owner;
  Json share_changes = Json::array();

  if (summary.skipped > 0)
    *o.progress << "batch: " << summary.skipped << " of " << jobs.size()
                << " jobs already done in " << results << ", running " << todo.size() << "\n";

  const auto label = [](const Job& job) { return job.id + " (" + describe_job(job) + ")"; };

  InterruptGuard guard;
  WorkerPool pool;
  RemoteRanks remote(o.workers);
  Progress progress(*o.progress, o.terminal, todo.size());
  std::map<pid_t, const Job*> running;
  std::size_t next = 0;

  const auto launch = [&](const Job& job, std::size_t running_after) {
    WorkerSpec spec = job_worker_spec(o, job);
    spec.environment = shares.starting(job.id, running_after);
    fs::remove(job_output_path(dir, job), ec);  // left over from a stopped run
    running[pool.launch(spec)] = &job;
  };

  // A job that ended here or on another rank: its rows, appended at once.
  const auto record = [&](const Job& job, const JobEnd& end) {
    const JobRecord record = record_job(job, o, end);
    append_lines(results, record.lines);
    const std::string where =
        end.rank > 0 ? label(job) + " on rank " + std::to_string(end.rank) : label(job);
    if (record.ok) {
      ++summary.ok;
      progress.job_done(where, end.elapsed_s, record.row_count == 0 ? "it wrote no result row" : "");
    } else {
      ++summary.failed;
      progress.job_failed(where, end.elapsed_s, record.error_line);
    }
  };

  const auto finished = [&](const WorkerExit& exit) {
    const Job& job = *running.at(exit.pid);
    running.erase(exit.pid);
    shares.ended(job.id);
    JobEnd end = collect_job_end(exit, dir, job);
    if (distributed) end.rank = 0;
    record(job, end);
    fs::remove(job_output_path(dir, job), ec);
  };
  const auto record_remote = [&](const RemoteJobEnd& remote_end) {
    record(jobs.at(remote_end.job_index), remote_end.end);
  };
  const auto next_job = [&]() -> std::optional<std::size_t> {
    if (next >= todo.size()) return std::nullopt;
    return static_cast<std::size_t>(todo[next++] - jobs.data());
  };

  // A change of the shares: one entry in the manifest, and a line for all but the first.
  bool first_shares = true;
  const auto share_cores = [&] {
    if (!shares.rebalance()) return;
    const std::vector<int> now = shares.shares();
    Json entry = Json::object();
    entry.set("time", utc_timestamp());
    entry.set("running", now.size());
    Json list = Json::array();
    for (int n : now) list.push_back(n);
    entry.set("threads", std::move(list));
    share_changes.push_back(std::move(entry));
    if (!first_shares) progress.note(shares_text(now, shares.cores()));
    first_shares = false;
  };

  // A signal here, or one another rank received.
  const auto stop_signal = [&] { return guard.signal() != 0 ? guard.signal() : remote.interrupted_by(); };
  const bool limited = o.job_timeout_s > 0;
  const auto workers = static_cast<std::size_t>(o.workers);
  // Other ranks' results are polled between waits, so the wait is short when there are any.
  const std::chrono::milliseconds wait(remote.active() ? 50 : limited ? 100 : 250);
  while (stop_signal() == 0 && (next < todo.size() || pool.running() > 0 || !remote.all_done())) {
    const std::size_t running_after =
        pool.running() + std::min(workers - std::min(workers, pool.running()), todo.size() - next);
    while (stop_signal() == 0 && pool.running() < workers && next < todo.size())
      launch(*todo[next++], running_after);
    remote.hand_out(next_job);
    if (next >= todo.size()) remote.finish();
    share_cores();
    if (limited)
      pool.enforce_time_limit(std::chrono::duration<double>(o.job_timeout_s), o.stop_grace);
    for (const auto& exit : pool.wait_some(wait)) {
      // A worker ended by a signal while the batch is being stopped was stopped with it.
      if (stop_signal() != 0 && exit.exit_code < 0) continue;
      finished(exit);
    }
    for (const auto& remote_end : remote.receive()) record_remote(remote_end);
    progress.tick(pool.running() + remote.running());
  }
  bool ranks_answered = true;
  if (stop_signal() != 0) {
    summary.interrupted_by = stop_signal();
    remote.request_stop();  // the other ranks stop their workers while this one does
    pool.stop_all(o.stop_grace);
    for (const auto& [pid, job] : running) fs::remove(job_output_path(dir, *job), ec);
    ranks_answered = remote.wait_done(o.stop_grace + std::chrono::seconds(10), record_remote);
  }
  summary.not_run = todo.size() - summary.ok - summary.failed;

  const std::string how = summary.interrupted_by
                              ? "interrupted (" + signal_name(summary.interrupted_by) + ")"
                              : "completed";
  progress.finish(how);
  manifest.set("end_time", utc_timestamp());
  manifest.set("status", how);
  Json counts = Json::object();
  counts.set("total", summary.total);
  counts.set("skipped", summary.skipped);
  counts.set("ok", summary.ok);
  counts.set("failed", summary.failed);
  counts.set("not_run", summary.not_run);
  manifest.set("counts", std::move(counts));
  threads.set("changes", std::move(share_changes));
  manifest.set("threads", std::move(threads));
  write_json_file(manifest_path, manifest);
  if (!ranks_answered) {
    // A rank that does not answer would hold the others in MPI_Finalize for ever.
    *o.progress << "batch: a rank did not answer the stop; aborting all ranks\n";
    mpi::abort_all(128 + summary.interrupted_by);
  }
  return summary;
}

}  // namespace ntk::core::batch
