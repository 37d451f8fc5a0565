// A bound on the descriptors that segment files hold (.log files, and index files while they are
// written). A LazyFile (lazy_file.h) opens its file on first use; without a cache it then keeps
// the descriptor until it is destroyed, so a broker whose tens of thousands of segments have each
// been read once would hold tens of thousands of descriptors. LazyFiles given a FileCache register
// their descriptor with it, and when more than capacity() are open the cache closes the least
// recently used; the next call on such a file reopens it.
//
// Least recently used is tracked at the granularity of opens, so that a read never takes the
// cache's lock: the cache counts the files it opens (its epoch), and every call stamps its file
// with the epoch, under the file's own mutex. Files are listed in the order they were opened or
// last moved to the front; to close one, the cache walks the list from the back, moves a file
// used since it was placed to the front, and closes the first that was not. Uses between two
// opens are not told apart.
//
// Never closed: a file with a write or truncate not yet covered by a successful sync (see
// lazy_file.h for why), and a file a call is opening or reading the state of right now. When
// every open file is like that the cache holds more than capacity(): a soft limit. Descriptors
// pinned by callers (LazyFile::pin, the slices Segment::read returns) stay open after eviction
// until the caller lets go, outside the count.
//
// Thread-safe. The cache must outlive every LazyFile that uses it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "storage/file_system.h"

namespace gregor::storage {

class LazyFile;

class FileCache {
 public:
  // capacity: the open descriptors to keep at most (at least 1).
  explicit FileCache(size_t capacity);
  ~FileCache();
  FileCache(const FileCache&) = delete;
  FileCache& operator=(const FileCache&) = delete;

  size_t capacity() const { return capacity_; }
  // Descriptors the cache's files hold now (pinned ones that were evicted not included).
  size_t open_count() const { return open_.load(std::memory_order_relaxed); }
  // Of those, the files that may not be closed until they are synced.
  size_t unsynced_count() const { return unsynced_.load(std::memory_order_relaxed); }
  // Descriptors closed to stay within capacity, since the cache was made.
  uint64_t evictions() const { return evictions_.load(std::memory_order_relaxed); }

 private:
  friend class LazyFile;
  using Closed = std::vector<std::shared_ptr<File>>;

  // A LazyFile just opened its file; it holds its own mutex, so it is not evicted now. The
  // evicted files' references go to closed, for the caller to drop once it holds no lock.
  void opened(LazyFile& file, Closed& closed);
  // A LazyFile is destroyed.
  void forget(LazyFile& file);
  // A file got a write no sync covers yet, or a sync now covers all its writes; then it may
  // close, and files close if the cache is over capacity.
  void became_unsynced() { unsynced_.fetch_add(1, std::memory_order_relaxed); }
  void became_synced();
  // Closes the least recently used files that may close while over capacity; opening is the
  // file whose open called it (never closed: its caller holds its lock), or nullptr.
  void evict_locked(Closed& closed, LazyFile* opening);
  uint64_t epoch() const { return epoch_.load(std::memory_order_relaxed); }
  void link_front_locked(LazyFile& file);
  void unlink_locked(LazyFile& file);

  const size_t capacity_;
  std::mutex mutex_;
  // Open files, most recently considered first; linked through LazyFile::newer_/older_ under mutex_.
  LazyFile* newest_ = nullptr;
  LazyFile* oldest_ = nullptr;
  std::atomic<uint64_t> epoch_{0};   // files opened so far; changed under mutex_
  std::atomic<size_t> open_{0};      // changed under mutex_
  std::atomic<size_t> unsynced_{0};  // changed by files, without mutex_
  std::atomic<uint64_t> evictions_{0};
};

// A default capacity for a broker: half the soft RLIMIT_NOFILE (the rest is for sockets, index
// files and everything else), at least 64.
size_t default_max_open_files();

}  // namespace gregor::storage
