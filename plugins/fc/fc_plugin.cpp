// Registration of the fc plugin (left out of the static library the tests link).
#include "fc_architecture.hpp"

#ifndef NTK_PLUGIN_NO_REGISTER
NTK_REGISTER_PLUGIN(ntk::fc::plugin_info, ntk::fc::make_architecture)
#endif
