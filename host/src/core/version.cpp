#include "core/version.hpp"

namespace ntk::core {
std::string ntklab_version() { return "0.1.0"; }
}  // namespace ntk::core
