// An open descriptor with an exclusive flock on it, both released on destruction: how every
// writer of results.jsonl takes its turn (results.hpp, quarantine.hpp).
//
// The quarantine replaces results.jsonl by a rename while holding the lock on the old file. A
// writer that was waiting then holds a lock on a file no longer at `path`; so after locking,
// the descriptor is compared with what `path` names now, and opened again until they agree.
#pragma once

#include <string>

namespace ntk::core::batch {

class LockedFile {
 public:
  // Opens `path` with `flags` (plus O_CLOEXEC; mode 0644 when created) and waits for the lock.
  // Throws ntk::Error naming the file.
  LockedFile(const std::string& path, int flags);
  ~LockedFile();
  LockedFile(const LockedFile&) = delete;
  LockedFile& operator=(const LockedFile&) = delete;

  int fd() const { return fd_; }
  // Throws ntk::Error "batch results: WHAT PATH: <strerror(errno)>".
  [[noreturn]] void fail(const char* what) const;

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace ntk::core::batch
