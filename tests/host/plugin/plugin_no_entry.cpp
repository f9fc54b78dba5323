// A shared library that is not an ntklab plugin: it exports a symbol, but not the two the
// loader looks for.
#include <boost/config.hpp>

extern "C" BOOST_SYMBOL_EXPORT int ntklab_something_else() { return 42; }
