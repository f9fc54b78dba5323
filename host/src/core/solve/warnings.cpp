#include "core/solve/warnings.hpp"

#include <iostream>

namespace ntk::core::solve {

void emit_warning(const WarningSink& sink, std::vector<std::string>& log, const std::string& message) {
  log.push_back(message);
  if (sink)
    sink(message);
  else
    std::cerr << "ntklab warning: " << message << std::endl;
}

}  // namespace ntk::core::solve
