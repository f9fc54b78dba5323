// Registration of the resnet plugin (left out of the static library the tests link).
#include "conformance.hpp"
#include "resnet_architecture.hpp"

#ifndef NTK_PLUGIN_NO_REGISTER
NTK_REGISTER_PLUGIN(ntk::resnet::plugin_info, ntk::resnet::make_architecture)
NTK_REGISTER_CONFORMANCE_INPUTS(ntk::resnet::sample_inputs)
#endif
