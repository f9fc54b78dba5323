// TableReader (host/src/lua/table_reader.hpp): declared keys, each typed getter with its range,
// and the one message format, on tables made by hand in a bare Lua state.
#include <catch2/catch.hpp>
#include <lua.hpp>

#include <string>

#include "lua/module.hpp"
#include "lua/table_reader.hpp"

using ntk::lua::Range;
using ntk::lua::TableReader;

namespace {

// A bare state with the table `code` returns at index 1.
struct Table {
  lua_State* L = luaL_newstate();
  explicit Table(const std::string& code) {
    luaL_openlibs(L);
    REQUIRE(luaL_dostring(L, ("return " + code).c_str()) == LUA_OK);
    REQUIRE(lua_gettop(L) == 1);
  }
  ~Table() { lua_close(L); }
  TableReader reader(std::initializer_list<const char*> keys) const {
    return TableReader(L, 1, "ntk.test.fn", keys);
  }
};

// The message a reading throws ("" when it does not).
template <class Body>
std::string message_of(Body&& body) {
  try {
    body();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("TableReader refuses unknown and non-string keys, listing the known ones sorted",
          "[lua][table_reader]") {
  Table t("{lr = 1, epochs = 3}");
  CHECK(message_of([&] { t.reader({"net", "lr", "data"}); }) ==
        "ntk.test.fn: unknown field 'epochs' (known fields: data, lr, net)");
  Table list("{lr = 1, 7}");
  CHECK(message_of([&] { list.reader({"lr"}); }) ==
        "ntk.test.fn: unknown field [1] (known fields: lr)");
  Table number_key("{[2.5] = true}");
  CHECK(message_of([&] { number_key.reader({"lr"}); }) ==
        "ntk.test.fn: unknown field [2.5] (known fields: lr)");
  Table not_table("42");
  CHECK(message_of([&] { not_table.reader({"lr"}); }) ==
        "ntk.test.fn: expected a table of fields, got number");
  CHECK(lua_gettop(t.L) == 1);  // the key iteration leaves the stack as it was
  // A record allows any key; its getters read as usual.
  Table record("{x = 1, anything = 2}");
  CHECK(TableReader::record(record.L, 1, "data set").number("x", 0.0) == 1.0);
}

TEST_CASE("TableReader number: fallback, required, ranges and types", "[lua][table_reader]") {
  Table t("{lr = 0.5, neg = -1, zero = 0, name = 'fast', inf = math.huge}");
  const TableReader r = t.reader({"lr", "neg", "zero", "name", "inf", "absent"});
  CHECK(r.number("lr", 1.0) == 0.5);
  CHECK(r.number("absent", 1.5) == 1.5);
  CHECK_FALSE(r.number("absent").has_value());
  CHECK(r.required_number("lr", Range::positive()) == 0.5);
  CHECK(message_of([&] { r.required_number("absent"); }) == "ntk.test.fn: field 'absent' is required");
  CHECK(message_of([&] { r.number("neg", Range::positive()); }) ==
        "ntk.test.fn: field 'neg' must be a number > 0, got -1");
  CHECK(message_of([&] { r.number("zero", Range::positive()); }) ==
        "ntk.test.fn: field 'zero' must be a number > 0, got 0");
  CHECK(r.number("zero", Range::non_negative()) == 0.0);
  CHECK(message_of([&] { r.number("lr", Range::between(1, 2)); }) ==
        "ntk.test.fn: field 'lr' must be a number in [1, 2], got 0.5");
  CHECK(message_of([&] { r.number("name"); }) ==
        "ntk.test.fn: field 'name' must be a finite number, got 'fast'");
  CHECK(message_of([&] { r.number("inf"); }) ==
        "ntk.test.fn: field 'inf' must be a finite number, got inf");
  CHECK(lua_gettop(t.L) == 1);  // every getter pops what it pushed, on errors too
}

TEST_CASE("TableReader integer: 3 and 3.0 are integers, 3.5 is not", "[lua][table_reader]") {
  Table t("{a = 3, b = 3.0, c = 3.5, d = -2, s = '3'}");
  const TableReader r = t.reader({"a", "b", "c", "d", "s", "n"});
  CHECK(r.integer("a", 0) == 3);
  CHECK(r.integer("b", 0) == 3);
  CHECK(r.integer("n", 7) == 7);
  CHECK(r.required_integer("a", Range::at_least(1)) == 3);
  CHECK(message_of([&] { r.integer("c", 0); }) == "ntk.test.fn: field 'c' must be an integer, got 3.5");
  CHECK(message_of([&] { r.integer("d", Range::non_negative()); }) ==
        "ntk.test.fn: field 'd' must be an integer >= 0, got -2");
  CHECK(message_of([&] { r.integer("s", 0); }) == "ntk.test.fn: field 's' must be an integer, got '3'");
  CHECK(message_of([&] { r.required_integer("n"); }) == "ntk.test.fn: field 'n' is required");
}

TEST_CASE("TableReader boolean, string and choice", "[lua][table_reader]") {
  Table t("{on = true, off = false, n = 1, mode = 'sum', bad = 'max'}");
  const TableReader r = t.reader({"on", "off", "n", "mode", "bad", "none"});
  CHECK(r.boolean("on", false));
  CHECK_FALSE(r.boolean("off", true));
  CHECK(r.boolean("none", true));
  CHECK(message_of([&] { r.boolean("n"); }) == "ntk.test.fn: field 'n' must be a boolean, got 1");
  CHECK(r.string("mode", "x") == "sum");
  CHECK(r.string("none", "fallback") == "fallback");
  CHECK(message_of([&] { r.string("on"); }) == "ntk.test.fn: field 'on' must be a string, got true");
  CHECK(message_of([&] { r.required_string("none"); }) == "ntk.test.fn: field 'none' is required");
  CHECK(r.choice("mode", "mean", {"sum", "mean"}) == "sum");
  CHECK(r.choice("none", "mean", {"sum", "mean"}) == "mean");
  CHECK(message_of([&] { r.choice("bad", "mean", {"sum", "mean"}); }) ==
        "ntk.test.fn: field 'bad' must be one of sum, mean, got 'max'");
}

TEST_CASE("TableReader matrix and numbers: no copy of an ntk.matrix, rows converted",
          "[lua][table_reader]") {
  Table t("{rows = {{1, 2}, {3, 4}}, ragged = {{1, 2}, {3}}, list = {1, 2, 3}, one = 4, "
          "bad_list = {1, 'x'}, neg = {1, -1}}");
  ntk::lua::push_matrix(t.L, arma::mat{{5, 6}});
  lua_setfield(t.L, 1, "M");
  const TableReader r = t.reader({"rows", "ragged", "list", "one", "bad_list", "neg", "M", "none"});
  arma::mat storage;
  const arma::mat* rows = r.matrix("rows", storage);
  REQUIRE(rows == &storage);
  CHECK(arma::approx_equal(*rows, arma::mat{{1, 2}, {3, 4}}, "absdiff", 0.0));
  arma::mat unused;
  lua_getfield(t.L, 1, "M");
  const arma::mat* userdata = &ntk::lua::check_matrix(t.L, -1);
  lua_pop(t.L, 1);
  CHECK(&r.required_matrix("M", unused) == userdata);  // the ntk.matrix itself
  CHECK(unused.is_empty());
  CHECK(r.matrix("none", storage) == nullptr);
  CHECK_THAT(message_of([&] { r.matrix("ragged", storage); }),
             Catch::StartsWith("ntk.test.fn: field 'ragged' is not a matrix:") &&
                 Catch::Contains("row 2 has 1 entries but row 1 has 2"));
  CHECK(message_of([&] { r.required_matrix("none", storage); }) ==
        "ntk.test.fn: field 'none' (an ntk.matrix) is required");
  CHECK(r.numbers("list").value() == std::vector<double>{1, 2, 3});
  CHECK(r.numbers("one").value() == std::vector<double>{4});
  CHECK_FALSE(r.numbers("none").has_value());
  CHECK(message_of([&] { r.numbers("bad_list"); }) ==
        "ntk.test.fn: field 'bad_list' must be a number or a list of numbers (entry 2 is not a number)");
  CHECK(message_of([&] { r.numbers("neg", Range::positive()); }) ==
        "ntk.test.fn: field 'neg' must be a number or a list of numbers > 0 (entry 2 is -1)");
  CHECK(message_of([&] { r.numbers("one", Range::between(0, 1)); }) ==
        "ntk.test.fn: field 'one' must be a number or a list of numbers in [0, 1], got 4");
  CHECK(lua_gettop(t.L) == 1);
}

TEST_CASE("Range texts", "[lua][table_reader]") {
  CHECK(Range::positive().text() == "> 0");
  CHECK(Range::non_negative().text() == ">= 0");
  CHECK(Range::between(1, 2).text() == "in [1, 2]");
  CHECK(Range::unit_open().text() == "in (0, 1]");
  CHECK(Range{}.text().empty());
  CHECK(Range::unit_open().contains(1.0));
  CHECK_FALSE(Range::unit_open().contains(0.0));
}
