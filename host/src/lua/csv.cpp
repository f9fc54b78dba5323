// Numeric CSV writing (see csv.hpp).
#include "lua/csv.hpp"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "ntk/sdk/error.hpp"

namespace ntk::lua {

void write_csv(const std::string& path, const arma::mat& m, const std::string& function) {
  const std::filesystem::path target(path);
  std::error_code ec;
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path(), ec);
  if (ec) throw_error(function, ": cannot create directory ", target.parent_path().string(), ": ",
                      ec.message());
  if (!m.is_finite())
    for (arma::uword j = 0; j < m.n_cols; ++j)
      for (arma::uword i = 0; i < m.n_rows; ++i)
        if (!std::isfinite(m(i, j)))
          throw_error(function, ": entry (", i + 1, ", ", j + 1, ") is ", m(i, j),
                      "; CSV files hold finite numbers only");
  std::FILE* file = std::fopen(path.c_str(), "w");
  if (file == nullptr) throw_error(function, ": cannot open ", path, " for writing: ",
                                   std::strerror(errno));
  for (arma::uword i = 0; i < m.n_rows; ++i) {
    for (arma::uword j = 0; j < m.n_cols; ++j)
      std::fprintf(file, j == 0 ? "%.17g" : ",%.17g", m(i, j));
    std::fputc('\n', file);
  }
  const bool failed = std::ferror(file) != 0;
  if (std::fclose(file) != 0 || failed) throw_error(function, ": error writing ", path);
}

}  // namespace ntk::lua
