#include "core/batch/folder_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <chrono>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>

#include "ntk/sdk/error.hpp"

namespace ntk::core::batch {

std::string lock_file_path(const std::string& dir) { return dir + "/batch.lock"; }

pid_t read_lock_pid(const std::string& lock_path) {
  std::ifstream in(lock_path);
  std::string text;
  if (!std::getline(in, text)) return 0;
  if (text.empty() || text.size() > 12 || text.find_first_not_of("0123456789") != std::string::npos)
    return 0;
  return static_cast<pid_t>(std::stoll(text));
}

namespace {

bool process_alive(pid_t pid) { return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM); }

}  // namespace

FolderLock::FolderLock(const std::string& dir) {
  const std::string path = lock_file_path(dir);
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw_error("batch: cannot open the lock file ", path, ": ", std::strerror(errno));
  // A live holder is refused at once. Two moments are waited out (2 s at most): a holder that
  // has locked but not yet written its pid, and a holder killed with SIGKILL while it was
  // starting a worker: the forked child shares the lock until it exec's or dies with its
  // parent, a few milliseconds later.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  for (;;) {
    if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) break;
    const int error = errno;
    if (error == EINTR) continue;
    const pid_t holder = error == EWOULDBLOCK ? read_lock_pid(path) : 0;
    if (error == EWOULDBLOCK && !process_alive(holder) &&
        std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    ::close(fd_);
    fd_ = -1;
    if (error != EWOULDBLOCK) throw_error("batch: cannot lock ", path, ": ", std::strerror(error));
    throw_error("batch: ", dir, " is in use by another batch (",
                holder > 0 ? "pid " + std::to_string(holder) : std::string("pid unknown"),
                ", holding ", path, "); wait until it ends or choose another --out");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) !=
                                      static_cast<ssize_t>(pid.size())) {
    const int error = errno;
    ::close(fd_);
    fd_ = -1;
    throw_error("batch: cannot write the pid into ", path, ": ", std::strerror(error));
  }
}

FolderLock::~FolderLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace ntk::core::batch
