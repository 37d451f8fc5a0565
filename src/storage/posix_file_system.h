// The real file system: POSIX descriptors, pread/pwrite, fdatasync.
#pragma once

#include "storage/file_system.h"

namespace gregor::storage {

class PosixFileSystem final : public FileSystem {
 public:
  StatusOr<std::shared_ptr<File>> open(const std::string& path, OpenMode mode) override;
  bool exists(const std::string& path) override;
  StatusOr<std::vector<std::string>> list(const std::string& dir) override;
  Status create_dirs(const std::string& dir) override;
  Status remove(const std::string& path) override;
  Status rename(const std::string& from, const std::string& to) override;
  Status sync_dir(const std::string& dir) override;
};

}  // namespace gregor::storage
