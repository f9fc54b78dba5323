// ntk.params: a script's declared parameters (name, type, default, one-line doc).
//
//   local p = ntk.params{
//     sigma2  = {1.0, "initialisation variance"},                -- number (a float default)
//     width   = {1000, "hidden width"},                          -- integer (an integer default)
//     dataset = {"mnist", "data set", choices = {"mnist", "cifar"}},
//     widths  = {{64, 256}, "widths to sweep"},                  -- list of numbers
//     plot    = {true, "draw the figure"},                       -- boolean
//     lr      = {1, "step size", type = "number"},               -- type given explicitly
//   }
//
// The type comes from the default (or `type =`); the call returns a table with every declared
// parameter: the value given with --set (or a batch's --grid) checked and converted, else the
// default. A given key that the script does not declare is an error naming it and listing the
// declared ones; a value of the wrong type is an error naming the key, the value and the type.
// The names ntklab sets itself (host_parameter_names) are always accepted and passed through;
// a script may declare one of them to give it a default and a type (e.g. seed).
//
// Texts from the command line convert as follows: integer "3" (also "3.0", "1e3"); number any
// finite numeral (an integer numeral stays a Lua integer, like tonumber); boolean true, false,
// 1, 0; list "0,0.2,0.4" (one number is a list of one); string the text as given.
//
// The host learns the declaration before running anything (`ntklab run SCRIPT --help`,
// `ntklab batch` checking --set/--grid): it runs the script in "declare only" mode, where
// ntk.params records the declaration and stops the script (see runtime.hpp).
#pragma once

#include <string>
#include <utility>
#include <vector>

struct lua_State;

namespace ntk::lua {

enum class ParamType { integer, number, string, boolean, list };

struct ParamSpec {
  std::string name;
  ParamType type = ParamType::number;
  std::string default_text;          // as --help shows it: 1000, 0.5, "mnist", 64,256, true
  std::string doc;                   // one line
  std::vector<std::string> choices;  // strings only; empty = any
};

// Sorted by name.
using ParamDeclaration = std::vector<ParamSpec>;

// A value converted from its command-line text.
struct ParamValue {
  ParamType type = ParamType::number;
  bool is_integer = false;  // number: the text was an integer numeral (stays a Lua integer)
  long long integer = 0;    // integer, and number when is_integer
  double number = 0;
  bool boolean = false;
  std::string text;                           // string
  std::vector<std::pair<bool, double>> list;  // list: (integer numeral?, value)
};

// Converts `text` to the spec's type (see the header comment for the accepted texts); throws
// ntk::Error "parameter 'width' must be an integer, got 'abc'".
ParamValue convert_parameter(const ParamSpec& spec, const std::string& text);

// "integer", "number", "string", "boolean", "list of numbers".
std::string type_name(ParamType type);

// The names ntklab sets itself (run modes, batch jobs): mode, out, results, out_dir, job, rep,
// seed. Always accepted by ntk.params, declared or not.
const std::vector<std::string>& host_parameter_names();
bool is_host_parameter(const std::string& name);

// The declared spec of `name`, or nullptr.
const ParamSpec* find_parameter(const ParamDeclaration& declaration, const std::string& name);

// "a, b, c": the declared names, for messages.
std::string declared_names(const ParamDeclaration& declaration);

// Checks that `name` is declared (or set by ntklab) and `text` converts to its type; throws
// ntk::Error "unknown parameter 'w_std' (declared: depth, sigma2)" or
// "parameter 'width' must be an integer, got 'abc'".
void check_parameter(const ParamDeclaration& declaration, const std::string& name,
                     const std::string& text);

// The lines `ntklab run SCRIPT --help` prints: one per parameter (name, type, default, doc).
std::string describe_parameters(const ParamDeclaration& declaration);

// Declare-only mode: when `sink` is not null, ntk.params stores the declaration in *sink and
// stops the script by raising the error object that is_declaration_stop recognises.
void set_declaration_sink(lua_State* L, ParamDeclaration* sink);
bool is_declaration_stop(lua_State* L, int index);

// Stores the command-line texts of the given parameters in the state, for ntk.params to
// convert (the global `params` holds them already converted the old way, for undeclared
// scripts). Called by new_state.
void set_given_parameters(lua_State* L, const std::vector<std::pair<std::string, std::string>>& given);

// True when ntk.params was called in this state (the script declares its parameters).
bool parameters_declared(lua_State* L);

struct Context;
// Adds ntk.params to the `ntk` table on top of the stack (called by new_state).
void open_params(lua_State* L, Context& ctx);

}  // namespace ntk::lua
