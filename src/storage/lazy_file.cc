#include "storage/lazy_file.h"

#include <type_traits>

#include "storage/file_cache.h"

namespace gregor::storage {

LazyFile::LazyFile(FileSystem& fs, std::string path, OpenMode mode, FileCache* cache)
    : fs_(fs), cache_(cache), mode_(mode) {
  names_.push_back(std::move(path));
  path_.store(&names_.back(), std::memory_order_release);
}

LazyFile::~LazyFile() {
  // Nobody calls this file any more, but the cache may be evicting it: the cache forgets it
  // under the cache's lock first.
  if (cache_) cache_->forget(*this);
}

const std::string& LazyFile::path() const { return *path_.load(std::memory_order_acquire); }

Status LazyFile::open_locked(std::vector<std::shared_ptr<File>>& closed) {
  if (file_) return {};
  auto f = fs_.open(path(), mode_);
  if (!f.ok()) return f.status();
  file_ = std::move(*f);
  // A reopen must not create a file that was deleted meanwhile, nor truncate.
  if (mode_ != OpenMode::read_only) mode_ = OpenMode::read_write;
  if (cache_) {
    cache_->opened(*this, closed);
  } else {
    open_.store(file_.get(), std::memory_order_release);
  }
  return {};
}

StatusOr<File*> LazyFile::open_for_good() {
  if (File* f = open_.load(std::memory_order_acquire)) return f;
  std::vector<std::shared_ptr<File>> none;  // nothing is evicted without a cache
  std::lock_guard lock(mutex_);
  if (Status s = open_locked(none); !s.ok()) return s;
  return file_.get();
}

Status LazyFile::acquire(Use use, std::shared_ptr<File>& out) {
  std::vector<std::shared_ptr<File>> closed;  // evicted files, released after the lock
  std::lock_guard lock(mutex_);
  if (Status s = open_locked(closed); !s.ok()) return s;
  used_at_ = cache_->epoch();
  if (use == Use::write) {
    if (!unsynced_locked()) cache_->became_unsynced();
    ++writes_started_;
  }
  out = file_;
  return {};
}

template <typename Op>
auto LazyFile::with_file(Use use, Op op) {
  using Result = std::invoke_result_t<Op, File&>;
  if (!cache_) {
    auto f = open_for_good();
    if (!f.ok()) return Result(f.status());
    return op(**f);
  }
  std::shared_ptr<File> f;
  if (Status s = acquire(use, f); !s.ok()) return Result(s);
  Result result = op(*f);
  // Even a failed write may have changed the file; it stays unsynced until a sync after this.
  if (use == Use::write) writes_done_.fetch_add(1, std::memory_order_release);
  return result;
}

Status LazyFile::write_at(uint64_t offset, BytesView data) {
  return with_file(Use::write, [&](File& f) { return f.write_at(offset, data); });
}

StatusOr<size_t> LazyFile::read_at(uint64_t offset, std::span<uint8_t> out) {
  return with_file(Use::read, [&](File& f) { return f.read_at(offset, out); });
}

Status LazyFile::truncate(uint64_t size) {
  return with_file(Use::write, [&](File& f) { return f.truncate(size); });
}

StatusOr<uint64_t> LazyFile::size() {
  return with_file(Use::read, [](File& f) { return f.size(); });
}

Status LazyFile::sync() {
  if (!cache_) {
    auto f = open_for_good();
    return f.ok() ? (*f)->sync() : f.status();
  }
  std::shared_ptr<File> f;
  uint64_t covered;
  {
    std::vector<std::shared_ptr<File>> closed;
    std::lock_guard lock(mutex_);
    // Closed after a sync: nothing was written through it since. Never synced (a segment from
    // before a restart): its pages may be dirty from then, so it is opened and synced.
    if (!file_ && synced_) return {};
    if (Status s = open_locked(closed); !s.ok()) return s;
    // The writes that had returned before the fdatasync begins are the ones it covers.
    covered = writes_done_.load(std::memory_order_acquire);
    f = file_;
  }
  if (Status s = f->sync(); !s.ok()) return s;
  bool now_synced = false;
  {
    std::lock_guard lock(mutex_);
    synced_ = true;
    if (covered > writes_synced_) {
      writes_synced_ = covered;
      now_synced = !unsynced_locked();
    }
  }
  if (now_synced) cache_->became_synced();
  return {};
}

int LazyFile::native_handle() const {
  if (cache_) return -1;
  auto f = const_cast<LazyFile*>(this)->open_for_good();
  return f.ok() ? (*f)->native_handle() : -1;
}

StatusOr<std::shared_ptr<File>> LazyFile::pin() {
  if (!cache_) {
    auto f = open_for_good();
    if (!f.ok()) return f.status();
    return file_;  // set once, before open_ was
  }
  std::shared_ptr<File> f;
  if (Status s = acquire(Use::read, f); !s.ok()) return s;
  return f;
}

Status LazyFile::rename(const std::string& to) {
  // Under the mutex, so no reopen comes between the rename and the new name.
  std::lock_guard lock(mutex_);
  if (Status s = fs_.rename(path(), to); !s.ok()) return s;
  names_.push_back(to);
  path_.store(&names_.back(), std::memory_order_release);
  return {};
}

}  // namespace gregor::storage
