// The sparse offset index of one segment (`<base offset>.index`), in Kafka's format: 8-byte
// entries of big-endian (offset - base offset: int32, byte position in the .log: int32), offsets
// strictly increasing. An entry (o, p) says the batch whose last offset is o starts at byte p;
// a lookup takes the last entry at or below a target and the reader scans forward from there.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "storage/index_file.h"

namespace gregor::storage {

struct OffsetPosition {
  int64_t offset = 0;
  uint32_t position = 0;
};

class OffsetIndex {
 public:
  static constexpr size_t kEntrySize = 8;

  // max_bytes is segment.index.bytes.
  OffsetIndex(FileSystem& fs, std::string path, int64_t base_offset, size_t max_bytes, FileCache* file_cache = nullptr)
      : file_(fs, std::move(path), kEntrySize, max_bytes, file_cache), base_offset_(base_offset) {}

  Status create() { return file_.create(); }
  // Reads the file and checks it: offsets increasing, within 32 bits of the base, positions
  // increasing. Corruption is kafka_storage_error, so the caller can rebuild the index.
  Status load();

  // The last entry with offset <= target, or {base offset, 0} when there is none.
  StatusOr<OffsetPosition> lookup(int64_t target);
  // Appends an entry; offset must exceed the last entry's (checked by the caller).
  void append(int64_t offset, uint32_t position);
  // Drops the entries with offset >= offset.
  Status truncate_to(int64_t offset);

  bool full() const { return file_.entries() >= file_.max_entries(); }
  size_t entries() const { return file_.entries(); }
  OffsetPosition entry(size_t i) const;
  std::optional<OffsetPosition> last_entry() const;
  int64_t base_offset() const { return base_offset_; }
  IndexFile& file() { return file_; }

 private:
  IndexFile file_;
  int64_t base_offset_;
};

}  // namespace gregor::storage
