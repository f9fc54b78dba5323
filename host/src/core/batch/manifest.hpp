// DIR/manifest.json: what a batch ran, with what, and when.
//
//   {"ntklab_version": "0.1.0", "plugins": [{"name", "version", "path"}…], "command_line": […],
//    (those three come from the caller: core knows neither the version's consumers nor plugins)
//    "script": "/abs/path/exp.lua", "grid": {"sigma2": [0.01, 0.1]}, "constants": {"n": 100},
//    "reps": 10, "workers": 2, "mpi": {"ranks", "hosts", "jobs_per_rank"} (under mpirun only),
//    "seed_rule": "…", "jobs": [{"job", "rep", "seed", "params"}…],
//    "resumed": false, "history": [{start_time, end_time, status, counts} of earlier runs],
//    "start_time": "2024-05-01T12:00:00Z", "end_time": null | "…",
//    "status": "running" | "completed" | "interrupted (SIGTERM)",
//    "counts": {"total", "skipped", "ok", "failed", "not_run"},
//    "threads": {"cores": 2, "rebalance": true,
//                "changes": [{"time", "running": 2, "threads": [1, 1]}, {…, "running": 1,
//                             "threads": [2]}]}}  (thread_shares.hpp; changes filled at the end)
//
// Written when the batch starts (end_time null, status "running") and again when it ends,
// each time to a temporary file renamed over the old one, so a reader never sees half a file.
#pragma once

#include <string>

#include "core/batch/json.hpp"

namespace ntk::core::batch {

// Writes `json` pretty-printed to `path` through PATH.tmp + rename. Throws ntk::Error.
void write_json_file(const std::string& path, const Json& json);
// Reads and parses a whole JSON file. Throws ntk::Error naming the file.
Json read_json_file(const std::string& path);

// The current time as ISO 8601 UTC, "2024-05-01T12:00:00Z".
std::string utc_timestamp();

// The seed rule as recorded in the manifest (same text as grid.hpp's comment, in short).
const char* seed_rule_text();

}  // namespace ntk::core::batch
