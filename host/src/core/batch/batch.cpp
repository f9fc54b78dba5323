#include "core/batch/batch.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
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

// The line of a worker's stderr that says what went wrong: for a Lua error the message line
// before "stack traceback:", otherwise the last line.
std::string error_summary(const std::string& text) {
  std::size_t end = text.find("\nstack traceback:");
  if (end == std::string::npos) end = text.size();
  const auto newline = text.rfind('\n', end == 0 ? 0 : end - 1);
  const std::size_t start = newline == std::string::npos || newline >= end ? 0 : newline + 1;
  return text.substr(start, end - start);
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
  if (const std::string warning = jobs_warning(o.workers, usable_cores()); !warning.empty())
    *o.progress << "batch: warning: " << warning << "\n";
  const std::string dir = o.out_dir;
  const std::string results = dir + "/results.jsonl";
  const std::string manifest_path = dir + "/manifest.json";
  std::error_code ec;
  for (const char* sub : {"", "/jobs", "/logs"}) {
    fs::create_directories(dir + sub, ec);
    if (ec) throw_error("batch: cannot create ", dir + sub, ": ", ec.message());
  }
  const FolderLock lock(dir);  // before reading anything: the folder is ours until we return
  Json history = check_folder(o, results, manifest_path);

  BatchSummary summary;
  summary.total = jobs.size();
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
  std::vector<const Job*> todo;
  for (const auto& job : jobs) {
    if (done.count(job.id)) ++summary.skipped;
    else todo.push_back(&job);
  }

  // The manifest, written now and completed at the end.
  Json manifest = o.manifest_extra.is_object() ? o.manifest_extra : Json::object();
  manifest.set("script", o.script);
  manifest.set("grid", grid_json(o.grid));
  manifest.set("constants", params_json(o.constants));
  manifest.set("reps", o.reps);
  manifest.set("workers", o.workers);
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
  ThreadShares shares(dir, usable_cores(), o.workers, ThreadShares::rebalance_allowed());
  Json threads = Json::object();
  threads.set("cores", shares.cores());
  threads.set("rebalance", shares.rebalancing());
  threads.set("changes", Json::array());
  manifest.set("threads", threads);
  Json share_changes = Json::array();
  manifest.set("start_time", utc_timestamp());
  manifest.set("end_time", Json());
  manifest.set("status", "running");
  write_json_file(manifest_path, manifest);

  if (summary.skipped > 0)
    *o.progress << "batch: " << summary.skipped << " of " << jobs.size()
                << " jobs already done in " << results << ", running " << todo.size() << "\n";

  const auto job_output = [&](const Job& job) { return dir + "/jobs/" + job.id + ".jsonl"; };
  const auto label = [](const Job& job) { return job.id + " (" + describe_job(job) + ")"; };

  InterruptGuard guard;
  WorkerPool pool;
  Progress progress(*o.progress, o.terminal, todo.size());
  std::map<pid_t, const Job*> running;
  std::size_t next = 0;

  const auto launch = [&](const Job& job, std::size_t running_after) {
    WorkerSpec spec;
    spec.argv = o.worker_prefix;
    const auto add = [&](const std::string& name, const std::string& value) {
      spec.argv.push_back("--set");
      spec.argv.push_back(name + "=" + value);
    };
    for (const auto& [name, value] : o.constants) add(name, value);
    for (const auto& [name, value] : job.params) add(name, value);
    add("rep", std::to_string(job.rep));
    add("seed", std::to_string(job.seed));
    add("job", job.id);
    add("mode", "job");
    add("out", job_output(job));
    spec.stdout_path = dir + "/logs/" + job.id + ".log";
    spec.stderr_path = dir + "/logs/" + job.id + ".err";
    spec.environment = shares.starting(job.id, running_after);
    fs::remove(job_output(job), ec);  // left over from a stopped run
    running[pool.launch(spec)] = &job;
  };

  const auto record_failure = [&](const Job& job, double elapsed, int code,
                                  const std::string& error, const std::string& reason = "") {
    append_lines(results, make_failed_row(job, o.constants, elapsed, code, error, reason));
    ++summary.failed;
    progress.job_failed(label(job), elapsed, error_summary(error));
  };

  const auto finished = [&](const WorkerExit& exit) {
    const Job& job = *running.at(exit.pid);
    running.erase(exit.pid);
    shares.ended(job.id);
    const std::string output = job_output(job);
    if (exit.timed_out) {
      record_failure(job, exit.elapsed_s, exit.exit_code, timeout_text(o.job_timeout_s), "timeout");
    } else if (exit.exit_code == 0) {
      std::string rows;
      std::size_t count = 0;
      bool parsed = false;
      std::string error;
      try {
        rows = make_ok_rows(job, o.constants, output, exit.elapsed_s, count);
        parsed = true;
      } catch (const Error& e) {
        error = e.what();
      }
      if (parsed) {
        append_lines(results, rows);
        ++summary.ok;
        progress.job_done(label(job), exit.elapsed_s, count == 0 ? "it wrote no result row" : "");
      } else {
        record_failure(job, exit.elapsed_s, 0, "malformed result: " + error);
      }
    } else {
      std::string error = file_tail(dir + "/logs/" + job.id + ".err", 40, 6000);
      if (error.empty())
        error = exit.exit_code > 0 ? "exited with code " + std::to_string(exit.exit_code)
                                   : "killed by signal " + std::to_string(-exit.exit_code);
      record_failure(job, exit.elapsed_s, exit.exit_code, error);
    }
    fs::remove(output, ec);
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

  const bool limited = o.job_timeout_s > 0;
  const auto workers = static_cast<std::size_t>(o.workers);
  while (guard.signal() == 0 && (next < todo.size() || pool.running() > 0)) {
    const std::size_t running_after =
        pool.running() + std::min(workers - std::min(workers, pool.running()), todo.size() - next);
    while (guard.signal() == 0 && pool.running() < workers && next < todo.size())
      launch(*todo[next++], running_after);
    share_cores();
    if (limited)
      pool.enforce_time_limit(std::chrono::duration<double>(o.job_timeout_s), o.stop_grace);
    // With a time limit the loop comes round often enough to keep it to a tenth of a second.
    for (const auto& exit : pool.wait_some(std::chrono::milliseconds(limited ? 100 : 250))) {
      // A worker ended by a signal while the batch is being stopped was stopped with it.
      if (guard.signal() != 0 && exit.exit_code < 0) continue;
      finished(exit);
    }
    progress.tick(pool.running());
  }
  if (guard.signal() != 0) {
    summary.interrupted_by = guard.signal();
    pool.stop_all(o.stop_grace);
    for (const auto& [pid, job] : running) fs::remove(job_output(*job), ec);
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
  return summary;
}

}  // namespace ntk::core::batch
