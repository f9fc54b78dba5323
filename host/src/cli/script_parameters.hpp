// What run and batch tell about a script's declared parameters (ntk.params); defined in run.cpp.
#pragma once

#include <string>

#include "lua/architecture_source.hpp"
#include "lua/runtime.hpp"

namespace ntk::cli {

// `COMMAND SCRIPT --help`: prints the script's parameters (name, type, default, doc) on stdout;
// returns the exit status (1 when the script fails before declaring them).
int describe_script(const std::string& script, lua::ArchitectureSource& architectures,
                    const lua::RunOptions& options = {});

// One warning line on stderr when the script declares no parameters ("COMMAND: warning: …").
void warn_if_undeclared(const std::string& command, const std::string& script);

}  // namespace ntk::cli
