// A file opened on first use. Segments of a partition that is not being read or written hold
// no descriptor, so thousands of idle partitions fit within the process's descriptor limit.
//
// Without a FileCache the descriptor then stays open until the LazyFile is destroyed. With one,
// the cache may close it when too many are open (file_cache.h) and the next call reopens it, in
// the same mode except that a reopen never creates or truncates (create modes reopen
// read_write), under the name the last rename() gave it.
//
// Unsynced writes. A descriptor with a write or truncate made through it that no successful
// sync() has covered yet is never closed: if write-back of that data failed, closing the
// descriptor and syncing a new one could lose the error (the kernel reports a write-back error
// to fsync only on descriptors that were open when it was recorded, and may already have dropped
// the failed pages), and a log would acknowledge data that is gone. A sync() on a closed file
// that was synced through this LazyFile before does nothing: every write made through it since
// would have kept it open.
//
// Threads: as File, write_at and truncate come from the file's owner, one at a time, and sync(),
// read_at, size() and pin() may come from any thread concurrently with them. With a cache, each
// call takes a reference to the open file in one short section under a mutex and uses it after
// releasing the mutex, so an eviction only drops the LazyFile's own reference and the
// descriptor closes when the last call using it returns. Without a cache, calls on an open file
// take no lock at all.
#pragma once

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "storage/file_system.h"

namespace gregor::storage {

class FileCache;

class LazyFile final : public File {
 public:
  // cache: nullptr keeps the descriptor open once opened.
  LazyFile(FileSystem& fs, std::string path, OpenMode mode, FileCache* cache = nullptr);
  ~LazyFile() override;
  LazyFile(const LazyFile&) = delete;
  LazyFile& operator=(const LazyFile&) = delete;

  Status write_at(uint64_t offset, BytesView data) override;
  StatusOr<size_t> read_at(uint64_t offset, std::span<uint8_t> out) override;
  Status sync() override;
  Status truncate(uint64_t size) override;
  StatusOr<uint64_t> size() override;
  // A descriptor must stay open for as long as a caller uses it. Without a cache that is until
  // this LazyFile is destroyed, and this returns it (opening the file if need be). With a cache
  // the descriptor may close at any moment, so this returns -1; a caller that wants one for
  // sendfile takes pin()->native_handle() and keeps the pinned file while it uses it.
  int native_handle() const override;
  // The current name (changed by rename()).
  const std::string& path() const override;

  // The open file underneath, opened if need be. It stays open while the caller holds it, even
  // if the cache closes this LazyFile's reference meanwhile or the file is deleted: for
  // sendfile (its native_handle()) and for reads that must outlive the segment. For reading:
  // writes through it would escape the unsynced rule above.
  StatusOr<std::shared_ptr<File>> pin();

  // Renames the file (FileSystem::rename), and reopens it under the new name from now on.
  Status rename(const std::string& to);

 private:
  friend class FileCache;
  enum class Use { read, write };

  // With a cache: the open file, opened if need be, for one call of kind use.
  Status acquire(Use use, std::shared_ptr<File>& out);
  // Without a cache: the open file, which stays open until the LazyFile goes.
  StatusOr<File*> open_for_good();
  // Opens file_ when closed. Under mutex_.
  Status open_locked(std::vector<std::shared_ptr<File>>& closed);
  // Runs op on the open file (Status or StatusOr op(File&)).
  template <typename Op>
  auto with_file(Use use, Op op);
  // Whether a write or truncate is not yet covered by a successful sync. Under mutex_.
  bool unsynced_locked() const { return writes_synced_ != writes_started_; }

  FileSystem& fs_;
  FileCache* const cache_;
  std::mutex mutex_;
  OpenMode mode_;  // the mode of the next open; create modes become read_write after the first
  // Every name the file had, so a reference path() returned stays valid after a rename; the
  // current one is at the back, and path_ points to it.
  std::deque<std::string> names_;
  std::atomic<const std::string*> path_;
  std::shared_ptr<File> file_;          // null while closed
  std::atomic<File*> open_{nullptr};    // file_, once open, when there is no cache (the lock-free path)

  // With a cache, all under mutex_ except writes_done_.
  uint64_t used_at_ = 0;                // the cache's epoch at the last call
  bool synced_ = false;                 // a sync() succeeded
  uint64_t writes_started_ = 0;         // write_at and truncate calls begun
  std::atomic<uint64_t> writes_done_{0};  // of those, returned (counted after the system call)
  uint64_t writes_synced_ = 0;          // of those, covered by a successful sync
  // The cache's list of open files, under the cache's mutex.
  bool listed_ = false;
  uint64_t placed_at_ = 0;  // the epoch when it went to the front
  LazyFile* newer_ = nullptr;
  LazyFile* older_ = nullptr;
};

}  // namespace gregor::storage
