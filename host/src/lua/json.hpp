// JSON for results files: Lua values to one line of JSON and back (JSON Lines).
//
// Encoding (written by nlohmann-json): Lua integers as JSON integers, exactly; Lua floats in the
// shortest text that reads back to the same double, whole ones with ".0" (3.0) so that they
// decode as floats again; strings (UTF-8, else an error naming the key path); booleans; tables
// whose keys are all strings (objects, keys sorted so output is stable), tables with keys 1..n
// (arrays; an empty table is [], except the whole value, {}), ntk.matrix (a list of rows).
// NaN and ±inf are refused with an error naming the key path (e.g. "runs[2].loss"): JSON has
// no such numbers and a results file must not hide them. Other types are refused likewise.
//
// Decoding: objects become tables with string keys, arrays become lists, JSON integers Lua
// integers (exact; one of 2^63 or more, beyond Lua's integers, a float), other numbers floats,
// null nil. The reader is core::batch::parse_json (one parser, one set of messages); errors
// name the line and column.
//
// All functions throw ntk::Error; call them inside `protect`.
#pragma once

#include <lua.hpp>

#include <string>
#include <string_view>

namespace ntk::lua {

// The value at `index` as compact JSON. `function` prefixes messages, e.g. "write_jsonl()".
std::string encode_json(lua_State* L, int index, const std::string& function);

// Pushes the value encoded by `text`; `where` (e.g. "read_jsonl(): FILE:LINE") prefixes
// messages, which end with the line and column.
void push_decoded_json(lua_State* L, std::string_view text, const std::string& where);

}  // namespace ntk::lua
