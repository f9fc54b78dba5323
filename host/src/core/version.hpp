// The ntklab version, as recorded in batch manifests and `ntklab --version`.
#pragma once

#include <string>

namespace ntk::core {
std::string ntklab_version();
}
