// `ntklab batch SCRIPT.lua --grid KEY=V1,V2,… --reps N --jobs J --out DIR [--resume] [--plot]
//  [--set KEY=VALUE]…`: a headless sweep, each job its own `ntklab run` process
// (engine: host/src/core/batch/batch.hpp).
#pragma once

#include "cli/commands.hpp"

namespace ntk::cli {

const Command& batch_command();

}  // namespace ntk::cli
