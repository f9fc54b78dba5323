// `ntklab plot DIR [--script FILE.lua] [--set KEY=VALUE]…`: redraws a batch's figure from
// DIR/results.jsonl without rerunning any job. Corrupt lines of results.jsonl are moved to
// DIR/results.quarantine.jsonl first (core/batch/quarantine.hpp), so one bad line does not stop
// every later plot.
//
// The convention (one for every script): the script recorded in DIR/manifest.json runs once
// more, in this process, with the batch's --set constants and
//   params.mode    = "plot"
//   params.results = "/abs/DIR/results.jsonl"
//   params.out_dir = "/abs/DIR"
// and draws from the rows instead of computing. Under `ntklab batch` each job has
// params.mode = "job" (and params.out, rep, seed, job); under a plain `ntklab run`, params.mode
// is nil. A script therefore reads:
//
//   local p = ntk.params{sigma2 = {1.0, "initialisation variance"}}
//   if p.mode == "plot" then
//     local rows = ntk.io.read_jsonl(p.results)   -- the batch's fields are under row.batch
//     ntk.plot.line{file = p.out_dir .. "/figure.png",
//                   series = ntk.plot.summarize(rows, {x = "sigma2", y = "loss"})}
//     return
//   end
//   ... compute one job, ntk.io.write_jsonl(p.out or "results/x.jsonl", row) ...
#pragma once

#include <string>

#include "cli/commands.hpp"
#include "lua/runtime.hpp"

namespace ntk::cli {

const Command& plot_command();

// Runs the plot step for batch folder `dir` (also used by `ntklab batch --plot`).
// `script` overrides the manifest's script when not empty. Returns the exit status.
int plot_batch_folder(const std::string& dir, const std::string& script,
                      const lua::ScriptParams& extra, const GlobalOptions& global);

}  // namespace ntk::cli
