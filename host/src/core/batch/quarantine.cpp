#include "core/batch/quarantine.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>

#include "core/batch/json.hpp"
#include "core/batch/locked_file.hpp"
#include "core/batch/manifest.hpp"
#include "core/batch/results.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::batch {

namespace {

constexpr const char* kJobMark = "\"batch\":{\"job\":\"";

std::string read_all(const LockedFile& file) {
  std::string text;
  char block[65536];
  for (off_t offset = 0;;) {
    const ssize_t n = ::pread(file.fd(), block, sizeof block, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) file.fail("cannot read");
    if (n == 0) return text;
    text.append(block, static_cast<std::size_t>(n));
    offset += n;
  }
}

// Writes `text` to `path` (truncated), flushed to the disk before it returns.
void write_durably(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw_error("batch results: cannot write ", path, ": ", std::strerror(errno));
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = errno;
      ::close(fd);
      throw_error("batch results: cannot write ", path, ": ", std::strerror(error));
    }
    done += static_cast<std::size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) throw_error("batch results: cannot flush ", path, ": ", std::strerror(errno));
}

// The ok-row job id of a parsed row (nested "batch" fields, or an older batch's top level).
std::string ok_job_of(const Json& row) {
  const Json* batch = row.find(kBatchKey);
  const Json& fields = batch && batch->is_object() ? *batch : row;
  const Json* status = fields.find("status");
  const Json* job = fields.find("job");
  if (status && job && status->is_string() && job->is_string() && status->as_string() == "ok")
    return job->as_string();
  return "";
}

}  // namespace

std::string quarantine_path(const std::string& results_path) {
  const std::string suffix = ".jsonl";
  if (results_path.size() > suffix.size() &&
      results_path.compare(results_path.size() - suffix.size(), suffix.size(), suffix) == 0)
    return results_path.substr(0, results_path.size() - suffix.size()) + ".quarantine.jsonl";
  return results_path + ".quarantine.jsonl";
}

std::string job_named_in(const std::string& text) {
  const auto at = text.find(kJobMark);
  if (at == std::string::npos) return "";
  const std::string id = text.substr(at + std::strlen(kJobMark), 16);
  if (id.size() != 16 || id.find_first_not_of("0123456789abcdef") != std::string::npos) return "";
  return id;
}

bool is_failed_row_text(const std::string& text) {
  const auto at = text.find("\"batch\":{");
  return at != std::string::npos && text.find("\"status\":\"failed\"", at) != std::string::npos;
}

Quarantine quarantine_corrupt_rows(const std::string& results_path) {
  Quarantine report;
  report.results = results_path;
  report.side_file = quarantine_path(results_path);
  if (::access(results_path.c_str(), F_OK) != 0) return report;
  const LockedFile file(results_path, O_RDONLY);
  const std::string text = read_all(file);

  struct Line {
    std::string text;
    bool newline = true;
    bool blank = false;
    std::string bad;  // the reason when corrupt
    std::string ok_job;
  };
  std::vector<Line> lines;
  for (std::size_t start = 0; start < text.size();) {
    const auto end = text.find('\n', start);
    Line line;
    line.newline = end != std::string::npos;
    line.text = text.substr(start, (line.newline ? end : text.size()) - start);
    start = line.newline ? end + 1 : text.size();
    lines.push_back(std::move(line));
  }
  // What is wrong with each line; the jobs whose rows cannot all be trusted.
  std::set<std::string> suspect_jobs;
  std::vector<std::pair<std::string, std::size_t>> first_bad_line_of_job;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    Line& line = lines[i];
    const std::string where = results_path + ":" + std::to_string(i + 1);
    line.blank = line.text.find_first_not_of(" \t\r") == std::string::npos;
    if (!line.newline) {
      line.bad = where + ": a torn last line (no newline at its end)";
    } else if (!line.blank) {
      try {
        const Json row = parse_json(line.text, where);
        if (!row.is_object()) line.bad = where + ": a row must be a JSON object, got " + row.type_name();
        else line.ok_job = ok_job_of(row);
      } catch (const Error& e) {
        line.bad = e.what();
      }
    }
    if (line.bad.empty()) continue;
    const std::string job = job_named_in(line.text);
    if (!job.empty() && !is_failed_row_text(line.text) && suspect_jobs.insert(job).second)
      first_bad_line_of_job.emplace_back(job, i + 1);
  }

  std::string kept, moved;
  const std::string now = utc_timestamp();
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const Line& line = lines[i];
    std::string reason = line.bad;
    bool sibling = false;
    if (reason.empty() && !line.ok_job.empty() && suspect_jobs.count(line.ok_job)) {
      std::size_t corrupt_line = 0;
      for (const auto& [job, number] : first_bad_line_of_job)
        if (job == line.ok_job) corrupt_line = number;
      reason = "an ok row of job " + line.ok_job + ", whose row at line " +
               std::to_string(corrupt_line) + " is corrupt (moved so that --resume runs the job "
               "again without duplicating this row)";
      sibling = true;
    }
    if (reason.empty()) {
      kept += line.text + "\n";
      if (!line.blank) ++report.kept;
      continue;
    }
    (sibling ? report.siblings : report.corrupt).push_back({i + 1, reason});
    Json entry = Json::object();
    entry.set("line", i + 1);
    entry.set("reason", reason);
    entry.set("text", line.text);
    const std::string job = sibling ? line.ok_job : job_named_in(line.text);
    if (!job.empty()) entry.set("job", job);
    entry.set("quarantined_at", now);
    moved += entry.dump() + "\n";
  }
  if (moved.empty()) return report;
  append_lines(report.side_file, moved);
  const std::string temporary = results_path + ".tmp";
  write_durably(temporary, kept);
  if (std::rename(temporary.c_str(), results_path.c_str()) != 0)
    throw_error("batch results: cannot rename ", temporary, " to ", results_path, ": ",
                std::strerror(errno));
  return report;
}

std::string describe_quarantine(const Quarantine& q) {
  if (q.corrupt.empty() && q.siblings.empty()) return "";
  const auto plural = [](std::size_t n, const char* word) {
    return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
  };
  std::string text = "moved " + plural(q.corrupt.size(), "corrupt line") + " of " + q.results;
  if (!q.corrupt.empty()) {
    text += " (line" + std::string(q.corrupt.size() == 1 ? " " : "s ");
    const std::size_t shown = std::min<std::size_t>(q.corrupt.size(), 10);
    for (std::size_t i = 0; i < shown; ++i) text += (i ? ", " : "") + std::to_string(q.corrupt[i].line);
    if (shown < q.corrupt.size()) text += ", …";
    text += "; first: " + q.corrupt.front().reason + ")";
  }
  if (!q.siblings.empty())
    text += " and " + plural(q.siblings.size(), "ok row") + " of the same jobs";
  return text + " to " + q.side_file + "; " + std::to_string(q.kept) + " rows remain";
}

}  // namespace ntk::core::batch
