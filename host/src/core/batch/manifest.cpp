#include "core/batch/manifest.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include "ntk/sdk/error.hpp"

namespace ntk::core::batch {

void write_json_file(const std::string& path, const Json& json) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw_error("cannot write ", temporary, ": ", std::strerror(errno));
    out << json.dump_pretty() << "\n";
    out.flush();
    if (!out) throw_error("cannot write ", temporary, ": ", std::strerror(errno));
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0)
    throw_error("cannot rename ", temporary, " to ", path, ": ", std::strerror(errno));
}

Json read_json_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_error("cannot read ", path, ": ", std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return parse_json(text.str(), path);
}

std::string utc_timestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm parts{};
  gmtime_r(&now, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

const char* seed_rule_text() {
  return "key = the job's name=value pairs sorted by name, then rep=R, each followed by a NUL "
         "byte (numbers in shortest round-trip form); h = FNV-1a-64(key); SplitMix64 seeded "
         "with h: job id = first output as 16 hex digits, seed = second output >> 33";
}

}  // namespace ntk::core::batch
