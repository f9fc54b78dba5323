// Corrupt lines of results.jsonl are moved to a side file, so that --resume and plot go on.
//
// A line that is not a JSON object (a disk error, a hand edit, a torn last line) used to make
// every later `ntklab plot` fail, for good. quarantine_corrupt_rows takes such lines out of
// DIR/results.jsonl and appends them to DIR/results.quarantine.jsonl, one object per line:
//   {"line": N, "reason": "...", "text": "<the line as it was>", "job": ID (when readable),
//    "quarantined_at": "2024-05-01T12:00:00Z"}
// ("text" is the line as a JSON string: bytes that are not UTF-8 become U+FFFD.)
//
// A job's rows are appended as one unit, so when a corrupt line still names its job
// ("batch":{"job":"ID" …) and is not recognisably a failed row, that job's ok rows go to the
// side file too: --resume then runs the job again, and its rows are not duplicated.
//
// The rewrite is safe against a batch appending at the same moment and against a crash: under
// the results file's flock, the side file is written first, then the kept lines go to
// results.jsonl.tmp, which is renamed over results.jsonl (writers check that the file they
// locked is still the one at the path, locked_file.hpp). A crash in between leaves the corrupt
// lines in both files, never a row lost.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace ntk::core::batch {

struct QuarantinedLine {
  std::size_t line = 0;  // 1-based, in results.jsonl before the move
  std::string reason;
};

struct Quarantine {
  std::string results;                    // the file cleaned
  std::string side_file;                  // where the lines went
  std::vector<QuarantinedLine> corrupt;   // lines that are not a JSON object
  std::vector<QuarantinedLine> siblings;  // ok rows of the jobs those lines belonged to
  std::size_t kept = 0;                   // rows left in results.jsonl
};

// DIR/results.jsonl → DIR/results.quarantine.jsonl (any other name: NAME.quarantine.jsonl).
std::string quarantine_path(const std::string& results_path);

// Moves the corrupt lines of `results_path` (and their jobs' ok rows) to the side file. A missing
// or clean file is left untouched. Throws ntk::Error naming the file on a read or write failure.
Quarantine quarantine_corrupt_rows(const std::string& results_path);

// One line for stderr saying what moved where ("" when nothing did):
// "moved 2 corrupt lines of R (lines 3, 7; line 3: …) and 1 ok row of the same jobs to Q".
std::string describe_quarantine(const Quarantine& quarantine);

// The job a corrupt line still names: the 16 hex digits after "batch":{"job":", or "".
std::string job_named_in(const std::string& text);
// Whether a corrupt line is recognisably a failed job's row ("status":"failed" after "batch").
bool is_failed_row_text(const std::string& text);

}  // namespace ntk::core::batch
