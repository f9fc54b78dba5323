#include "core/batch/locked_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ntk/sdk/error.hpp"

namespace ntk::core::batch {

LockedFile::LockedFile(const std::string& path, int flags) : path_(path) {
  for (;;) {
    fd_ = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
    if (fd_ < 0) fail("cannot open");
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno != EINTR) {
        const int error = errno;
        ::close(fd_);
        errno = error;
        fail("cannot lock");
      }
    }
    struct stat held {}, named {};
    if (::fstat(fd_, &held) == 0 && ::stat(path.c_str(), &named) == 0 &&
        held.st_dev == named.st_dev && held.st_ino == named.st_ino)
      return;
    ::close(fd_);  // replaced (or removed) while we waited: lock what is there now
    fd_ = -1;
  }
}

LockedFile::~LockedFile() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

void LockedFile::fail(const char* what) const {
  throw_error("batch results: ", what, " ", path_, ": ", std::strerror(errno));
}

}  // namespace ntk::core::batch
