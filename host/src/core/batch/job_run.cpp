#include "core/batch/job_run.hpp"

#include "core/batch/results.hpp"
#include "core/mpi/comm.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::batch {

namespace {

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

std::string job_output_path(const std::string& dir, const Job& job) {
  return dir + "/jobs/" + job.id + ".jsonl";
}

std::string job_stderr_path(const std::string& dir, const Job& job) {
  return dir + "/logs/" + job.id + ".err";
}

WorkerSpec job_worker_spec(const BatchOptions& o, const Job& job) {
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
  add("out", job_output_path(o.out_dir, job));
  spec.stdout_path = o.out_dir + "/logs/" + job.id + ".log";
  spec.stderr_path = job_stderr_path(o.out_dir, job);
  spec.unset = mpi::launcher_variables();
  return spec;
}

JobEnd collect_job_end(const WorkerExit& exit, const std::string& dir, const Job& job) {
  JobEnd end;
  end.exit_code = exit.exit_code;
  end.elapsed_s = exit.elapsed_s;
  end.timed_out = exit.timed_out;
  end.rows_source = job_output_path(dir, job);
  if (exit.timed_out) return end;
  if (exit.exit_code == 0) end.rows = file_text(end.rows_source);
  else end.stderr_tail = file_tail(job_stderr_path(dir, job), 40, 6000);
  return end;
}

JobRecord record_job(const Job& job, const BatchOptions& o, const JobEnd& end) {
  JobRecord record;
  const auto failed = [&](int code, const std::string& error, const std::string& reason = "") {
    record.lines = make_failed_row(job, o.constants, end.elapsed_s, code, error, reason, end.rank);
    record.error = error;
    record.error_line = error_summary(error);
  };
  if (end.timed_out) {
    failed(end.exit_code, timeout_text(o.job_timeout_s), "timeout");
  } else if (end.exit_code == 0) {
    try {
      record.lines = make_ok_rows_from_text(job, o.constants, end.rows, end.rows_source,
                                            end.elapsed_s, record.row_count, end.rank);
      record.ok = true;
    } catch (const Error& e) {
      failed(0, std::string("malformed result: ") + e.what());
    }
  } else {
    std::string error = end.stderr_tail;
    if (error.empty())
      error = end.exit_code > 0 ? "exited with code " + std::to_string(end.exit_code)
                                : "killed by signal " + std::to_string(-end.exit_code);
    failed(end.exit_code, error);
  }
  return record;
}

}  // namespace ntk::core::batch
