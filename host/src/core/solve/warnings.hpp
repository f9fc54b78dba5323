// How the solvers report numerical trouble that is not an error (ill-conditioning, a fallback).
//
// Every warning is both returned in the result's `warnings` list and passed to a sink; the
// default sink prints "ntklab warning: <message>" on stderr, so a batch log shows it too.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace ntk::core::solve {

using WarningSink = std::function<void(const std::string&)>;

// Appends `message` to `log` and hands it to `sink` (stderr when the sink is empty).
void emit_warning(const WarningSink& sink, std::vector<std::string>& log, const std::string& message);

}  // namespace ntk::core::solve
