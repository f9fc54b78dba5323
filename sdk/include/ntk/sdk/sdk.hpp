// Everything a plugin author includes.
#pragma once

#include "ntk/sdk/architecture.hpp"
#include "ntk/sdk/error.hpp"
#include "ntk/sdk/inputs.hpp"
#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/network.hpp"
#include "ntk/sdk/options.hpp"
#include "ntk/sdk/plugin.hpp"
#include "ntk/sdk/progress.hpp"
#include "ntk/sdk/version.hpp"
