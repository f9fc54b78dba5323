#include "core/train/regularizer.hpp"

#include "ntk/sdk/error.hpp"

namespace ntk::core::train {

Regularizer parse_regularizer(const std::string& name) {
  if (name == "none") return Regularizer::none;
  if (name == "rdi") return Regularizer::rdi;
  if (name == "aux") return Regularizer::aux;
  throw_error("regularizer \"", name, "\" is not known; use \"none\", \"rdi\" or \"aux\"");
}

const char* regularizer_name(Regularizer r) {
  switch (r) {
    case Regularizer::rdi: return "rdi";
    case Regularizer::aux: return "aux";
    default: return "none";
  }
}

}  // namespace ntk::core::train
