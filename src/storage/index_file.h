// The storage shared by the offset and time indexes: fixed-size big-endian entries kept in
// memory exactly as they are in the file, written to the file in flush() rather than on every
// append. An index is only trusted up to the log's recovery point (everything after it is
// rebuilt by recovery), so deferring its writes to the flush that advances that point loses
// nothing and saves a system call per entry. The file is written at its exact size; Kafka
// preallocates and trims on close, and both read the same.
//
// Indexes of inactive segments load lazily, on first use, and can be unloaded again, so an idle
// partition costs little memory. A loaded index needs no descriptor: it opens its file (a
// LazyFile, counted by the file cache when one is given) only to write it, and an index that is
// written and synced lets the cache close it like a segment's .log.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/bytes.h"
#include "common/status.h"
#include "storage/file_system.h"
#include "storage/lazy_file.h"

namespace gregor::storage {

class IndexFile {
 public:
  IndexFile(FileSystem& fs, std::string path, size_t entry_size, size_t max_bytes, FileCache* file_cache = nullptr)
      : fs_(fs),
        file_cache_(file_cache),
        path_(std::move(path)),
        entry_size_(entry_size),
        max_entries_(max_bytes / entry_size) {}

  // Truncates or creates the file and starts empty.
  Status create();
  // Reads the file if not yet in memory; a missing file reads as empty. A size that is not a
  // multiple of the entry size is corruption (kafka_storage_error).
  Status load();
  bool loaded() const { return loaded_; }
  // Drops the in-memory entries when all are in the file and synced; the next load() reads
  // them again.
  void unload();

  size_t entries() const { return raw_.size() / entry_size_; }
  size_t max_entries() const { return max_entries_; }
  const uint8_t* entry_bytes(size_t i) const { return raw_.data() + i * entry_size_; }
  // Appends one entry of entry_size bytes.
  void push(const uint8_t* entry) { raw_.insert(raw_.end(), entry, entry + entry_size_); }
  // Keeps the first n entries.
  void keep(size_t n);
  // How many leading entries satisfy in_prefix(i); entries are sorted, so those form a prefix.
  template <typename InPrefix>
  size_t prefix_length(InPrefix in_prefix) const {
    size_t lo = 0, hi = entries();
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      if (in_prefix(mid)) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  Status flush();
  Status sync();
  Status close();

  const std::string& path() const { return path_; }
  // Renames the file (it exists) to path.
  Status rename(const std::string& path);
  // The file is missing: only the name changes.
  void set_path(std::string path) { path_ = std::move(path); }
  // The file while the index holds it (it has written it since loading), for syncing elsewhere.
  std::shared_ptr<File> file() const { return file_; }

 private:
  // Makes file_ if there is none; it opens on first use.
  void ensure_file(OpenMode mode);

  FileSystem& fs_;
  FileCache* file_cache_;
  std::string path_;
  size_t entry_size_;
  size_t max_entries_;
  std::shared_ptr<LazyFile> file_;
  Bytes raw_;
  bool loaded_ = false;
  size_t file_bytes_ = 0;    // bytes of raw_ known to be in the file (a prefix)
  bool file_longer_ = false;  // the file holds entries that were dropped from raw_
  bool unsynced_ = false;     // written since the last sync
};

}  // namespace gregor::storage
