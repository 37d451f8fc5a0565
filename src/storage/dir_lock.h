// An exclusive lock on a data directory, held for a broker's lifetime: `.lock` in the directory,
// locked with flock(2). Two brokers (or two Broker instances in one process) never share a log
// directory; the kernel drops the lock when the process dies, so a crash leaves nothing to clean.
#pragma once

#include <string>

#include "common/status.h"

namespace gregor::storage {

class DirLock {
 public:
  static constexpr const char* kFileName = ".lock";

  // Creates dir when missing, then locks it; fails at once when another holder has it.
  static StatusOr<DirLock> acquire(const std::string& dir);

  DirLock(DirLock&& other) noexcept : fd_(other.fd_), dir_(std::move(other.dir_)) { other.fd_ = -1; }
  DirLock& operator=(DirLock&& other) noexcept;
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;
  ~DirLock();

  const std::string& dir() const { return dir_; }

 private:
  DirLock(int fd, std::string dir) : fd_(fd), dir_(std::move(dir)) {}

  int fd_ = -1;
  std::string dir_;
};

}  // namespace gregor::storage
