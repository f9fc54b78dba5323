#include "core/batch/results.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/batch/locked_file.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::batch {

void append_lines(const std::string& path, const std::string& lines) {
  if (lines.empty()) return;
  if (lines.back() != '\n') throw_error("append_lines(): text for ", path, " must end in a newline");
  LockedFile file(path, O_WRONLY | O_APPEND | O_CREAT);
  // One write() is what makes the append atomic; regular files complete it unless the disk is
  // full, in which case the short write is reported (repair_tail cuts the torn line later).
  ssize_t written;
  do written = ::write(file.fd(), lines.data(), lines.size());
  while (written < 0 && errno == EINTR);
  if (written < 0) file.fail("cannot append to");
  if (static_cast<std::size_t>(written) != lines.size())
    throw_error("batch results: short write to ", path, " (", written, " of ", lines.size(),
                " bytes; is the disk full?)");
}

std::size_t repair_tail(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0 || info.st_size == 0) return 0;
  LockedFile file(path, O_RDWR);
  const off_t size = ::lseek(file.fd(), 0, SEEK_END);
  // Scan backwards in blocks for the last newline.
  char block[4096];
  off_t end = size;
  while (end > 0) {
    const off_t start = end > static_cast<off_t>(sizeof block) ? end - static_cast<off_t>(sizeof block) : 0;
    const ssize_t n = ::pread(file.fd(), block, static_cast<std::size_t>(end - start), start);
    if (n < 0) file.fail("cannot read");
    for (ssize_t i = n; i-- > 0;) {
      if (block[i] == '\n') {
        const off_t keep = start + i + 1;
        if (keep == size) return 0;
        if (::ftruncate(file.fd(), keep) != 0) file.fail("cannot truncate");
        return static_cast<std::size_t>(size - keep);
      }
    }
    end = start;
  }
  if (::ftruncate(file.fd(), 0) != 0) file.fail("cannot truncate");
  return static_cast<std::size_t>(size);
}

std::vector<Json> read_jsonl(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_error("read_jsonl(): cannot open ", path, ": ", std::strerror(errno));
  std::vector<Json> rows;
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    rows.push_back(parse_json(line, path + ":" + std::to_string(number)));
  }
  return rows;
}

std::set<std::string> completed_jobs(const std::string& path,
                                     std::vector<std::string>& warnings) {
  std::set<std::string> done;
  std::ifstream in(path, std::ios::binary);
  if (!in) return done;
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      const Json row = parse_json(line, path + ":" + std::to_string(number));
      const Json* batch = row.find(kBatchKey);
      const Json& fields = batch && batch->is_object() ? *batch : row;
      const Json* status = fields.find("status");
      const Json* job = fields.find("job");
      if (status && job && status->is_string() && job->is_string() && status->as_string() == "ok")
        done.insert(job->as_string());
    } catch (const Error& e) {
      warnings.push_back(e.what());
    }
  }
  return done;
}

Json parameter_fields(const Job& job, const Params& constants) {
  Json row = Json::object();
  for (const auto& [name, value] : constants) row.set(name, number_or_string(value));
  for (const auto& [name, value] : job.params) row.set(name, number_or_string(value));
  return row;
}

Json batch_fields(const Job& job, int rank) {
  Json fields = Json::object();
  fields.set("job", job.id);
  fields.set("rep", job.rep);
  fields.set("seed", static_cast<unsigned long long>(job.seed));
  if (rank >= 0) fields.set("rank", rank);
  return fields;
}

std::string file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string make_ok_rows(const Job& job, const Params& constants, const std::string& job_output,
                         double elapsed_s, std::size_t& row_count) {
  return make_ok_rows_from_text(job, constants, file_text(job_output), job_output, elapsed_s,
                                row_count);
}

std::string make_ok_rows_from_text(const Job& job, const Params& constants,
                                   const std::string& text_in, const std::string& job_output,
                                   double elapsed_s, std::size_t& row_count, int rank) {
  const Json parameters = parameter_fields(job, constants);
  Json batch = batch_fields(job, rank);
  batch.set("elapsed_s", elapsed_s);
  batch.set("status", "ok");
  const auto finish = [&](Json row) {
    row.set(kBatchKey, batch);
    return row.dump() + "\n";
  };
  std::string text;
  row_count = 0;
  {
    std::istringstream in(text_in);
    std::string line;
    for (std::size_t number = 1; std::getline(in, line); ++number) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      Json parsed = parse_json(line, job_output + ":" + std::to_string(number));
      if (!parsed.is_object())
        throw_error(job_output, ":", number, ": a result row must be a JSON object, got ",
                    parsed.type_name());
      if (parsed.find(kBatchKey))
        throw_error(job_output, ":", number, ": a result row may not have a field '", kBatchKey,
                    "' (the batch keeps its own fields there; rename the script's field)");
      // Parameters first, then the script's fields (which win), then the batch's.
      Json row = parameters;
      for (auto& [name, value] : parsed.as_object()) row.set(name, std::move(value));
      text += finish(std::move(row));
      ++row_count;
    }
  }
  if (row_count == 0) text = finish(parameters);
  return text;
}

std::string make_failed_row(const Job& job, const Params& constants, double elapsed_s,
                            int exit_code, const std::string& error, const std::string& reason,
                            int rank) {
  Json row = parameter_fields(job, constants);
  Json batch = batch_fields(job, rank);
  batch.set("elapsed_s", elapsed_s);
  batch.set("status", "failed");
  if (exit_code >= 0) batch.set("exit_code", exit_code);
  else batch.set("signal", -exit_code);
  if (!reason.empty()) batch.set("reason", reason);
  batch.set("error", error);
  row.set(kBatchKey, std::move(batch));
  return row.dump() + "\n";
}

std::string file_tail(const std::string& path, std::size_t max_lines, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return "";
  const std::streamoff size = in.tellg();
  const std::streamoff start = size > static_cast<std::streamoff>(max_bytes)
                                   ? size - static_cast<std::streamoff>(max_bytes)
                                   : 0;
  in.seekg(start);
  std::string text(static_cast<std::size_t>(size - start), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  std::size_t cut = text.size(), lines = 0;
  while (cut > 0 && lines < max_lines) {
    const auto newline = text.rfind('\n', cut - 1);
    if (newline == std::string::npos) {
      cut = 0;
      break;
    }
    cut = newline;
    ++lines;
  }
  if (cut > 0) text = text.substr(cut + 1);
  return text;
}

}  // namespace ntk::core::batch
