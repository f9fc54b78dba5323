// The conformance kit moved to the public SDK headers; this keeps `#include "conformance.hpp"`.
#include "ntk/sdk/conformance.hpp"
