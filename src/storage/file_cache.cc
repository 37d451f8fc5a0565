#include "storage/file_cache.h"

#include <sys/resource.h>

#include <algorithm>
#include <cassert>

#include "storage/lazy_file.h"

namespace gregor::storage {

FileCache::FileCache(size_t capacity) : capacity_(std::max<size_t>(capacity, 1)) {}

FileCache::~FileCache() { assert(newest_ == nullptr && "a LazyFile outlived its FileCache"); }

void FileCache::link_front_locked(LazyFile& file) {
  file.listed_ = true;
  file.placed_at_ = epoch_.load(std::memory_order_relaxed);
  file.newer_ = nullptr;
  file.older_ = newest_;
  (newest_ ? newest_->newer_ : oldest_) = &file;
  newest_ = &file;
}

void FileCache::unlink_locked(LazyFile& file) {
  (file.newer_ ? file.newer_->older_ : newest_) = file.older_;
  (file.older_ ? file.older_->newer_ : oldest_) = file.newer_;
  file.newer_ = file.older_ = nullptr;
  file.listed_ = false;
}

void FileCache::opened(LazyFile& file, Closed& closed) {
  std::lock_guard lock(mutex_);
  epoch_.store(epoch_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  link_front_locked(file);
  open_.store(open_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  evict_locked(closed, &file);
}

void FileCache::forget(LazyFile& file) {
  std::lock_guard lock(mutex_);
  if (!file.listed_) return;
  unlink_locked(file);
  open_.store(open_.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
  // Only the cache's own lock guards the file now: its owner is destroying it.
  if (file.unsynced_locked()) unsynced_.fetch_sub(1, std::memory_order_relaxed);
}

void FileCache::became_synced() {
  unsynced_.fetch_sub(1, std::memory_order_relaxed);
  if (open_.load(std::memory_order_relaxed) <= capacity_) return;
  Closed closed;  // released after the lock
  std::lock_guard lock(mutex_);
  evict_locked(closed, nullptr);
}

void FileCache::evict_locked(Closed& closed, LazyFile* opening) {
  // Every file is looked at no more than twice: a file used since it was placed goes to the
  // front, placed now, and closes when next reached unless used again. So does one that cannot
  // close yet, so the walk ends.
  size_t open = open_.load(std::memory_order_relaxed);
  for (size_t steps = 2 * open; open > capacity_ && steps > 0; --steps) {
    // Nothing can close when every file is unsynced or being opened: skip the walk, which would
    // cost a step per open file on every open while the cache is over its soft limit.
    size_t kept = unsynced_.load(std::memory_order_relaxed) + (opening ? 1 : 0);
    if (kept >= open) break;
    LazyFile& file = *oldest_;
    unlink_locked(file);
    // The file opening now holds its own lock; any other busy one is in use, so not a candidate.
    std::unique_lock file_lock(file.mutex_, std::defer_lock);
    if (&file != opening && file_lock.try_lock()) {
      if (file.used_at_ <= file.placed_at_ && !file.unsynced_locked()) {
        closed.push_back(std::move(file.file_));  // leaves file_ null: closed
        open_.store(--open, std::memory_order_relaxed);
        evictions_.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
    }
    link_front_locked(file);
  }
}

size_t default_max_open_files() {
  constexpr size_t kMin = 64;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 512;  // half of the usual 1024
  // Linux caps descriptors at fs.nr_open (1 << 20 by default) whatever the limit says.
  rlim_t soft = limit.rlim_cur == RLIM_INFINITY ? rlim_t{1} << 20 : limit.rlim_cur;
  return std::max<size_t>(static_cast<size_t>(soft / 2), kMin);
}

}  // namespace gregor::storage
