#include "storage/index_file.h"

#include <cerrno>

namespace gregor::storage {

void IndexFile::ensure_file(OpenMode mode) {
  if (!file_) file_ = std::make_shared<LazyFile>(fs_, path_, mode, file_cache_);
}

Status IndexFile::create() {
  ensure_file(OpenMode::create);
  if (Status s = file_->truncate(0); !s.ok()) return s;
  raw_.clear();
  file_bytes_ = 0;
  file_longer_ = false;
  loaded_ = true;
  // The truncate is a change like a write: until synced, a crash may bring old entries back,
  // and the file cache keeps the descriptor open.
  unsynced_ = true;
  return {};
}

Status IndexFile::load() {
  if (loaded_) return {};
  if (!fs_.exists(path_)) return create();
  ensure_file(OpenMode::read_write);
  auto size = file_->size();
  if (!size.ok()) return size.status();
  if (*size % entry_size_ != 0) {
    return Status(ErrorCode::kafka_storage_error,
                  "corrupt index " + path_ + ": size " + std::to_string(*size) + " is not a multiple of " +
                      std::to_string(entry_size_));
  }
  if (*size / entry_size_ > max_entries_) {
    return Status(ErrorCode::kafka_storage_error, "corrupt index " + path_ + ": " +
                                                      std::to_string(*size / entry_size_) + " entries, more than " +
                                                      std::to_string(max_entries_));
  }
  raw_.resize(*size);
  auto n = file_->read_at(0, raw_);
  if (!n.ok()) return n.status();
  if (*n != raw_.size()) return io_error("short read of", path_, EIO);
  file_bytes_ = raw_.size();
  file_longer_ = false;
  loaded_ = true;
  // Everything is in memory; the descriptor is reopened only if the index changes.
  file_.reset();
  return {};
}

void IndexFile::unload() {
  if (!loaded_ || file_longer_ || file_bytes_ != raw_.size() || unsynced_) return;
  Bytes().swap(raw_);
  loaded_ = false;
  file_bytes_ = 0;
}

void IndexFile::keep(size_t n) {
  size_t bytes = n * entry_size_;
  if (bytes >= raw_.size()) return;
  raw_.resize(bytes);
  if (file_bytes_ > bytes) {
    file_bytes_ = bytes;
    file_longer_ = true;
  }
}

Status IndexFile::flush() {
  if (!loaded_) return {};
  if (file_bytes_ == raw_.size() && !file_longer_) return {};
  ensure_file(OpenMode::create);
  if (file_longer_) {
    if (Status s = file_->truncate(file_bytes_); !s.ok()) return s;
    file_longer_ = false;
  }
  if (file_bytes_ < raw_.size()) {
    if (Status s = file_->write_at(file_bytes_, BytesView(raw_).subview(file_bytes_, raw_.size() - file_bytes_));
        !s.ok()) {
      return s;
    }
    file_bytes_ = raw_.size();
  }
  unsynced_ = true;
  return {};
}

Status IndexFile::sync() {
  if (!file_ || !unsynced_) return {};
  if (Status s = file_->sync(); !s.ok()) return s;
  unsynced_ = false;
  return {};
}

Status IndexFile::rename(const std::string& path) {
  // A file the index holds learns its new name, to reopen under it after the file cache closes it.
  if (Status s = file_ ? file_->rename(path) : fs_.rename(path_, path); !s.ok()) return s;
  path_ = path;
  return {};
}

Status IndexFile::close() {
  Status s = flush();
  file_.reset();
  return s;
}

}  // namespace gregor::storage
