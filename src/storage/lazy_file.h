// A file opened on first use. Segments of a partition that is not being read or written hold
// no descriptor, so thousands of idle partitions fit within the process's descriptor limit.
// Thread-safe like the files it wraps: the first use from any thread opens it once.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>

#include "storage/file_system.h"

namespace gregor::storage {

class LazyFile final : public File {
 public:
  LazyFile(FileSystem& fs, std::string path, OpenMode mode) : fs_(fs), path_(std::move(path)), mode_(mode) {}

  Status write_at(uint64_t offset, BytesView data) override {
    auto f = get();
    return f.ok() ? (*f)->write_at(offset, data) : f.status();
  }
  StatusOr<size_t> read_at(uint64_t offset, std::span<uint8_t> out) override {
    auto f = get();
    if (!f.ok()) return f.status();
    return (*f)->read_at(offset, out);
  }
  Status sync() override {
    auto f = get();
    return f.ok() ? (*f)->sync() : f.status();
  }
  Status truncate(uint64_t size) override {
    auto f = get();
    return f.ok() ? (*f)->truncate(size) : f.status();
  }
  StatusOr<uint64_t> size() override {
    auto f = get();
    if (!f.ok()) return f.status();
    return (*f)->size();
  }
  int native_handle() const override {
    auto f = const_cast<LazyFile*>(this)->get();
    return f.ok() ? (*f)->native_handle() : -1;
  }
  const std::string& path() const override { return path_; }

 private:
  StatusOr<File*> get() {
    if (File* f = open_.load(std::memory_order_acquire)) return f;
    std::lock_guard lock(mutex_);
    if (!file_) {
      auto f = fs_.open(path_, mode_);
      if (!f.ok()) return f.status();
      file_ = std::move(*f);
      open_.store(file_.get(), std::memory_order_release);
    }
    return file_.get();
  }

  FileSystem& fs_;
  std::string path_;
  OpenMode mode_;
  std::mutex mutex_;
  std::shared_ptr<File> file_;
  std::atomic<File*> open_{nullptr};
};

}  // namespace gregor::storage
