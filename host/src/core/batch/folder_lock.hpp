// One batch per --out folder at a time: DIR/batch.lock.
//
// Two batches (or a batch and a --resume) on one folder used to append the same jobs twice and
// overwrite each other's manifest. The batch now holds an exclusive flock on DIR/batch.lock for
// its whole life and writes its pid into the file. flock, not the file's existence, is the lock:
// the kernel drops it when the process ends in any way (kill -9 included), so a stale file never
// blocks the next batch; the pid inside only names the holder in the refusal.
//
// The descriptor is close-on-exec: workers do not inherit the lock, so a worker that outlives
// its batch does not keep the folder locked.
#pragma once

#include <sys/types.h>

#include <string>

namespace ntk::core::batch {

class FolderLock {
 public:
  // Locks DIR/batch.lock (created if missing; DIR must exist) and writes this process's pid into
  // it. If another process holds it, throws ntk::Error naming DIR and the holder's pid at once
  // (no waiting).
  explicit FolderLock(const std::string& dir);
  ~FolderLock();  // closing the descriptor releases the lock; the file stays
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

 private:
  int fd_ = -1;
};

// The path of DIR's lock file.
std::string lock_file_path(const std::string& dir);

// The pid written in a lock file, or 0 when there is none (missing file, empty, not a number).
pid_t read_lock_pid(const std::string& lock_path);

}  // namespace ntk::core::batch
