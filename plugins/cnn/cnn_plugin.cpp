// Registration of the cnn plugin (left out of the static library the tests link).
#include "cnn_architecture.hpp"
#include "conformance.hpp"

#ifndef NTK_PLUGIN_NO_REGISTER
NTK_REGISTER_PLUGIN(ntk::cnn::plugin_info, ntk::cnn::make_architecture)
NTK_REGISTER_CONFORMANCE_INPUTS(ntk::cnn::sample_images)
#endif
