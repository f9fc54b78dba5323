// Where the project's data/ folder is.
//
// Searched in order: $NTKLAB_DATA_DIR (if set, the only place looked at); the source tree's
// data/ next to the executable's build folder (build/bin/ntklab -> ../../data, also
// build/tests/test_x -> ../../data); the current working directory's data/.
#pragma once

#include <string>

namespace ntk::core::data {

// The path of `relative` (e.g. "mnist/t10k-images-idx3-ubyte.gz") under the first data folder
// that contains it; throws naming every place tried, and how to point NTKLAB_DATA_DIR at it.
std::string find_data_file(const std::string& relative);

// The data folder itself: the first candidate that exists (same order), or throws.
std::string data_dir();

}  // namespace ntk::core::data
