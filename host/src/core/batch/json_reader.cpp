// Reading JSON through nlohmann-json's SAX reader: events forwarded to a JsonHandler, which
// builds a Json tree (here) or Lua tables (lua/json.cpp); positions and messages are ours.
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/batch/json.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::batch {
namespace {

constexpr int kMaxDepth = 512;  // deeper nesting is malformed input, not recursion food

// The text as nlohmann reads it, counting the bytes read so far: an error this file raises
// from inside an event (nesting too deep) knows where the reader is.
class CountingIterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  CountingIterator(const char* at, std::size_t* count) : at_(at), count_(count) {}
  reference operator*() const { return *at_; }
  CountingIterator& operator++() {
    ++at_;
    ++*count_;
    return *this;
  }
  CountingIterator operator++(int) {
    CountingIterator before = *this;
    ++*this;
    return before;
  }
  bool operator==(const CountingIterator& other) const { return at_ == other.at_; }
  bool operator!=(const CountingIterator& other) const { return at_ != other.at_; }

 private:
  const char* at_;
  std::size_t* count_;
};

// "context: parse_json(): what at line L, column C" for the byte at `offset` (the end of the
// text when offset == text.size()).
[[noreturn]] void fail(const std::string& text, std::size_t offset, const std::string& what,
                       const std::string& context) {
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  throw_error(context.empty() ? "" : context + ": ", "parse_json(): ", what, " at line ", line,
              ", column ", column);
}

// nlohmann's "[json.exception.parse_error.101] parse error at line 1, column 8: syntax error
// while parsing object key - unexpected '}'; expected string literal" → "unexpected '}';
// expected string literal (in an object key)": the position is ours, and the reader's words
// follow the problem.
std::string describe(const nlohmann::detail::exception& error) {
  std::string what = error.what();
  if (const auto bracket = what.find("] "); bracket != std::string::npos)
    what = what.substr(bracket + 2);
  if (const auto colon = what.find(": "); what.rfind("parse error", 0) == 0 && colon != std::string::npos)
    what = what.substr(colon + 2);
  const std::string syntax = "syntax error while parsing ";
  if (what.rfind(syntax, 0) == 0) {
    const auto dash = what.find(" - ");
    if (dash != std::string::npos)
      what = what.substr(dash + 3) + " (in " + what.substr(syntax.size(), dash - syntax.size()) +
             ")";
  }
  return what;
}

// Forwards nlohmann's SAX events to a JsonHandler, adding end_member/end_element after each
// finished value and refusing nesting deeper than kMaxDepth.
class Forwarder final : public nlohmann::json_sax<nlohmann::json> {
 public:
  Forwarder(JsonHandler& handler, const std::string& text, const std::string& context,
            const std::size_t& bytes_read)
      : handler_(handler), text_(text), context_(context), bytes_read_(bytes_read) {}

  bool null() override { return done([&] { handler_.null_value(); }); }
  bool boolean(bool value) override { return done([&] { handler_.boolean(value); }); }
  bool number_integer(number_integer_t value) override {
    return done([&] { handler_.integer(value); });
  }
  bool number_unsigned(number_unsigned_t value) override {
    if (value <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      return done([&] { handler_.integer(static_cast<std::int64_t>(value)); });
    return done([&] { handler_.unsigned_integer(value); });
  }
  bool number_float(number_float_t value, const string_t&) override {
    return done([&] { handler_.real(value); });
  }
  bool string(string_t& value) override {
    return done([&] { handler_.string(std::move(value)); });
  }
  bool binary(binary_t&) override { return false; }  // JSON text has no binary values
  bool start_object(std::size_t) override {
    open(true);
    handler_.begin_object();
    return true;
  }
  bool key(string_t& key) override {
    handler_.key(std::move(key));
    return true;
  }
  bool end_object() override {
    open_objects_.pop_back();
    return done([&] { handler_.end_object(); });
  }
  bool start_array(std::size_t) override {
    open(false);
    handler_.begin_array();
    return true;
  }
  bool end_array() override {
    open_objects_.pop_back();
    return done([&] { handler_.end_array(); });
  }
  bool parse_error(std::size_t position, const std::string& last_token,
                   const nlohmann::detail::exception& error) override {
    // `position` counts the bytes read, the offending one included; a number out of range is
    // reported at its first digit.
    std::size_t offset = position > 0 ? position - 1 : 0;
    if (error.id == 406 && position >= last_token.size()) offset = position - last_token.size();
    std::string what = describe(error);
    if (error.id == 406) what += " (out of the range of a double)";
    fail(text_, offset, what, context_);
  }

 private:
  template <class Event>
  bool done(Event event) {
    event();
    if (!open_objects_.empty()) {
      if (open_objects_.back()) handler_.end_member();
      else handler_.end_element();
    }
    return true;
  }

  void open(bool object) {
    if (open_objects_.size() >= kMaxDepth)
      fail(text_, bytes_read_ - 1, "nesting deeper than 512 arrays and objects", context_);
    open_objects_.push_back(object);
  }

  JsonHandler& handler_;
  const std::string& text_;
  const std::string& context_;
  const std::size_t& bytes_read_;
  std::vector<bool> open_objects_;  // per open container: object (true) or array
};

// Builds a Json tree from the events: open containers on a stack, each finished value goes
// into the container below it (duplicate keys: the last one wins, as in most readers).
class TreeBuilder final : public JsonHandler {
 public:
  Json result() { return std::move(result_); }

  void null_value() override { finish(Json()); }
  void boolean(bool value) override { finish(Json(value)); }
  void integer(std::int64_t value) override { finish(Json(static_cast<long long>(value))); }
  void unsigned_integer(std::uint64_t value) override {
    finish(Json(static_cast<unsigned long long>(value)));
  }
  void real(double value) override { finish(Json(value)); }
  void string(std::string value) override { finish(Json(std::move(value))); }
  void begin_object() override { open_.push_back(Json::object()); }
  void key(std::string key) override { keys_.push_back(std::move(key)); }
  void end_member() override { keys_.pop_back(); }
  void end_object() override { close(); }
  void begin_array() override { open_.push_back(Json::array()); }
  void end_element() override {}
  void end_array() override { close(); }

 private:
  void close() {
    Json done = std::move(open_.back());
    open_.pop_back();
    finish(std::move(done));
  }
  void finish(Json value) {
    if (open_.empty()) result_ = std::move(value);
    else if (open_.back().is_array()) open_.back().push_back(std::move(value));
    else open_.back().set(keys_.back(), std::move(value));
  }

  std::vector<Json> open_;
  std::vector<std::string> keys_;
  Json result_;
};

}  // namespace

void parse_json(const std::string& text, JsonHandler& handler, const std::string& context) {
  std::size_t bytes_read = 0;
  Forwarder forwarder(handler, text, context, bytes_read);
  const char* begin = text.data();
  nlohmann::json::sax_parse(CountingIterator(begin, &bytes_read),
                            CountingIterator(begin + text.size(), &bytes_read), &forwarder);
}

Json parse_json(const std::string& text, const std::string& context) {
  TreeBuilder builder;
  parse_json(text, builder, context);
  return builder.result();
}

}  // namespace ntk::core::batch
