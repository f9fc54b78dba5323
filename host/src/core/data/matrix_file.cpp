#include "core/data/matrix_file.hpp"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "ntk/sdk/error.hpp"

namespace ntk::core::data {

void save_matrix(const std::string& path, const arma::mat& m, const std::string& function) {
  const std::filesystem::path target(path);
  std::error_code ec;
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path(), ec);
  if (ec)
    throw_error(function, ": cannot create the folder ", target.parent_path().string(), ": ",
                ec.message());
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  if (!m.save(tmp, arma::arma_binary)) {
    std::remove(tmp.c_str());
    throw_error(function, ": cannot write ", path, " (", m.n_rows, " x ", m.n_cols,
                "): disk full or no permission?");
  }
  std::filesystem::rename(tmp, target, ec);
  if (ec) {
    std::remove(tmp.c_str());
    throw_error(function, ": cannot move ", tmp, " to ", path, ": ", ec.message());
  }
}

arma::mat load_matrix(const std::string& path, const std::string& function) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_error(function, ": cannot open ", path);
  std::string header;
  std::getline(in, header);
  // arma_binary float64 matrices start with this tag (Armadillo's diskio "ARMA_MAT_BIN_FN008").
  if (header != "ARMA_MAT_BIN_FN008")
    throw_error(function, ": ", path, " is not a matrix saved by M:save (its first line is '",
                header.substr(0, 40), "', expected ARMA_MAT_BIN_FN008)");
  in.close();
  arma::mat m;
  if (!m.load(path, arma::arma_binary))
    throw_error(function, ": ", path, " is truncated or damaged (its size does not match its header)");
  return m;
}

}  // namespace ntk::core::data
