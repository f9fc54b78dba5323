// DIR/results.jsonl: one JSON object per line, appended atomically, read back for --resume.
//
// Atomic append: every job's lines go out in ONE write() on a descriptor opened with O_APPEND,
// under an exclusive flock (two batches sharing a folder cannot interleave). A process killed
// at any moment, even by SIGKILL, leaves either all of a job's lines or none of them. A torn
// last line (a full disk, a crash of the machine) is cut off by repair_tail before appending.
//
// Rows written for a job (see make_ok_rows): the job's parameters, the script's own fields, and
// the batch's own fields under the one reserved key "batch":
//   {<--set constants>, <grid parameters>, <script fields>,
//    "batch": {"job": ID, "rep": R, "seed": S, "elapsed_s": T, "status": "ok"}}
// (under mpirun with R > 1 ranks also "rank": the rank the job ran on, after "seed").
// The batch never overwrites a script field: a script's `status` stays its own, and a script
// field named like a parameter keeps the script's value. A script row with a field "batch" is
// refused (the job is recorded as failed). A job that wrote no row gets one row with its
// parameters and "batch" only, so --resume knows it is done. A failed job gets
//   {<parameters>, "batch": {..., "status": "failed", "exit_code": C | "signal": N,
//                            "error": "<last lines of its stderr>"}}
// and is run again by --resume (its failed row stays as history: filter on batch.status).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "core/batch/grid.hpp"
#include "core/batch/json.hpp"

namespace ntk::core::batch {

// Appends `lines` (whole lines, each ending in '\n') to `path` in one write() under flock.
// Throws ntk::Error naming the file on any failure.
void append_lines(const std::string& path, const std::string& lines);

// If `path` exists and its last byte is not '\n', truncates it after its last newline
// (under flock). Returns the number of bytes removed (0 when nothing was torn).
std::size_t repair_tail(const std::string& path);

// Every line of a JSON-lines file as a Json value (blank lines skipped). A malformed line throws
// ntk::Error "PATH:LINE: parse_json(): …". A missing file throws.
std::vector<Json> read_jsonl(const std::string& path);

// Ids of the jobs with a "batch": {"status": "ok"} row (rows of older batches, with job and
// status at the top level, count too). Lines that do not parse are reported in
// `warnings` (PATH:LINE: …) and skipped. A missing file gives an empty set.
std::set<std::string> completed_jobs(const std::string& path, std::vector<std::string>& warnings);

// The key under which a row holds the batch's own fields.
constexpr const char* kBatchKey = "batch";

// The job's parameters as an object: the constants, then the grid parameters (numbers as
// numbers).
Json parameter_fields(const Job& job, const Params& constants);
// The batch's own fields of a job: job, rep, seed, and the MPI rank it ran on when rank ≥ 0
// (only under mpirun; see batch.hpp).
Json batch_fields(const Job& job, int rank = -1);

// The rows to append for a job that exited 0, from the lines it wrote to `job_output`
// (a missing file = no rows). A line that is not a JSON object throws (the caller records the
// job as failed). Each row ends with '\n'.
std::string make_ok_rows(const Job& job, const Params& constants, const std::string& job_output,
                         double elapsed_s, std::size_t& row_count);
// The same from the text of the job's rows file (a job that ran on another MPI rank sends it);
// `source` names the file in errors.
std::string make_ok_rows_from_text(const Job& job, const Params& constants,
                                   const std::string& text, const std::string& source,
                                   double elapsed_s, std::size_t& row_count, int rank = -1);

// The row of a failed job. exit_code ≥ 0 for a normal exit, else -signal. A non-empty `reason`
// ("timeout") is recorded as batch.reason, before batch.error.
std::string make_failed_row(const Job& job, const Params& constants, double elapsed_s,
                            int exit_code, const std::string& error,
                            const std::string& reason = "", int rank = -1);

// The whole text of a file, "" when it is missing or unreadable.
std::string file_text(const std::string& path);

// The last `max_lines` lines (at most `max_bytes` bytes) of a text file, "" if unreadable.
std::string file_tail(const std::string& path, std::size_t max_lines, std::size_t max_bytes);

}  // namespace ntk::core::batch
