// Deterministic mutations of valid files for the parser fuzz tests: the kinds of damage a
// hostile or broken file shows (bit flips, truncation, huge numbers in headers and counts,
// deleted, duplicated, swapped or garbage lines). A fixed seed makes every run see the same
// inputs, so a failure names an input that can be regenerated.
#pragma once

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace ntk::test {

using Bytes = std::vector<unsigned char>;

class Mutator {
 public:
  explicit Mutator(std::uint64_t seed) : rng_(seed) {}

  std::size_t below(std::size_t n) {
    return n == 0 ? 0 : std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
  }
  bool coin() { return below(2) == 1; }

  // Binary formats: 1 to 3 of flip bits, truncate, write a huge big-endian 32-bit value at a
  // header-aligned offset (4, 8, 12, ...: where IDX keeps its counts), set a header byte, append
  // or duplicate bytes.
  Bytes binary(Bytes b) {
    const std::size_t steps = 1 + below(3);
    for (std::size_t s = 0; s < steps; ++s) {
      switch (below(6)) {
        case 0:
          for (std::size_t k = 1 + below(8); k-- > 0 && !b.empty();)
            b[below(b.size())] ^= static_cast<unsigned char>(1u << below(8));
          break;
        case 1: b.resize(below(b.size() + 1)); break;
        case 2: {
          const std::uint32_t v = huge_u32();
          const std::size_t offset = 4 * (1 + below(4));
          if (b.size() < offset + 4) b.resize(offset + 4, 0);
          for (int i = 0; i < 4; ++i) b[offset + i] = static_cast<unsigned char>(v >> (24 - 8 * i));
          break;
        }
        case 3:
          if (b.size() >= 4) b[2 + below(2)] = static_cast<unsigned char>(below(256));
          break;
        case 4:
          for (std::size_t k = 1 + below(16); k-- > 0;)
            b.push_back(static_cast<unsigned char>(below(256)));
          break;
        default:
          if (!b.empty()) {
            const std::size_t from = below(b.size()), length = 1 + below(b.size() - from);
            const Bytes chunk(b.begin() + from, b.begin() + from + length);
            b.insert(b.begin() + below(b.size() + 1), chunk.begin(), chunk.end());
          }
      }
    }
    return b;
  }

  // Text formats: 1 to 3 of the line-level damages below, or byte-level flips and truncation.
  std::string text(const std::string& input) {
    std::vector<std::string> lines = split(input);
    bool as_bytes = false;
    std::string bytes;
    const std::size_t steps = 1 + below(3);
    for (std::size_t s = 0; s < steps; ++s) {
      if (as_bytes) break;  // byte damage last: lines may no longer be lines
      switch (below(9)) {
        case 0:
        case 8: replace_number(lines, /*first_only=*/true); break;  // counts open their line
        case 1: replace_number(lines, false); break;
        case 2:
          if (!lines.empty()) lines.erase(lines.begin() + below(lines.size()));
          break;
        case 3:
          if (!lines.empty()) {
            const std::size_t i = below(lines.size());
            lines.insert(lines.begin() + i, lines[i]);
          }
          break;
        case 4:
          if (lines.size() >= 2) std::swap(lines[below(lines.size())], lines[below(lines.size())]);
          break;
        case 5: lines.insert(lines.begin() + below(lines.size() + 1), garbage()); break;
        case 6:
          bytes = join(lines);
          for (std::size_t k = 1 + below(8); k-- > 0 && !bytes.empty();)
            bytes[below(bytes.size())] ^= static_cast<char>(1u << below(8));
          as_bytes = true;
          break;
        default:
          bytes = join(lines);
          bytes.resize(below(bytes.size() + 1));
          as_bytes = true;
      }
    }
    return as_bytes ? bytes : join(lines);
  }

 private:
  std::uint32_t huge_u32() {
    const std::uint32_t values[] = {0xFFFFFFFFu, 0x7FFFFFFFu, 0x80000000u, 0x00010000u,
                                    100000000u, 0u};
    return below(7) == 6 ? static_cast<std::uint32_t>(rng_()) : values[below(6)];
  }

  std::string huge_text() {
    const char* values[] = {"2147483648", "4294967295", "100000000", "9223372036854775807",
                            "99999999999999999999", "-1", "1e308", "0", "-9223372036854775808",
                            "1e-320", "0x10", "nan"};
    return values[below(12)];
  }

  std::string garbage() {
    const char* values[] = {"", "   ", "#", "x y z", "1 2 3 4 5 6 7 8 9", "\t\t", "1e999", "\r",
                            "0 1 1 1 1 1 1 1", "clase= 3"};
    return values[below(10)];
  }

  // Replaces a number-like token (the first of its line, or any) with a huge or odd number.
  void replace_number(std::vector<std::string>& lines, bool first_only) {
    if (lines.empty()) return;
    // The first line holds the count of many formats: hit it one time in four.
    std::string& line = lines[below(4) == 0 ? 0 : below(lines.size())];
    std::vector<std::pair<std::size_t, std::size_t>> spans;  // numeric tokens: start, length
    for (std::size_t i = 0; i < line.size();) {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == ',')) ++i;
      const std::size_t start = i;
      while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != ',') ++i;
      if (i > start && (std::isdigit(static_cast<unsigned char>(line[start])) || line[start] == '-'))
        spans.emplace_back(start, i - start);
      if (first_only && !spans.empty()) break;
    }
    if (spans.empty()) return;
    const auto [start, length] = spans[below(spans.size())];
    line.replace(start, length, huge_text());
  }

  static std::vector<std::string> split(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < text.size()) {
      std::size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      lines.push_back(text.substr(start, end - start));
      start = end + 1;
    }
    return lines;
  }

  static std::string join(const std::vector<std::string>& lines) {
    std::string out;
    for (const std::string& line : lines) out += line + "\n";
    return out;
  }

  std::mt19937_64 rng_;
};

}  // namespace ntk::test
