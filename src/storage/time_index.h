// The sparse time index of one segment (`<base offset>.timeindex`), in Kafka's format: 12-byte
// entries of big-endian (timestamp: int64, offset - base offset: int32), both strictly
// increasing. An entry (t, o) says no record before the batch holding offset o has a timestamp
// above t, so the first record with timestamp >= target is at or after the offset of the last
// entry whose timestamp is <= target.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "storage/index_file.h"

namespace gregor::storage {

struct TimestampOffset {
  int64_t timestamp = -1;
  int64_t offset = 0;
};

class TimeIndex {
 public:
  static constexpr size_t kEntrySize = 12;

  TimeIndex(FileSystem& fs, std::string path, int64_t base_offset, size_t max_bytes, FileCache* file_cache = nullptr)
      : file_(fs, std::move(path), kEntrySize, max_bytes, file_cache), base_offset_(base_offset) {}

  Status create() { return file_.create(); }
  Status load();

  // The last entry with timestamp <= target, or {-1, base offset} when there is none.
  StatusOr<TimestampOffset> lookup(int64_t target);
  // Appends (timestamp, offset) when timestamp is above the last entry's and offset is not
  // below it; otherwise does nothing. The last slot is reserved for the entry written when the
  // segment rolls (final = true), as Kafka does.
  void maybe_append(int64_t timestamp, int64_t offset, bool final = false);
  Status truncate_to(int64_t offset);

  bool full() const { return file_.entries() + 1 >= file_.max_entries(); }
  size_t entries() const { return file_.entries(); }
  TimestampOffset entry(size_t i) const;
  std::optional<TimestampOffset> last_entry() const;
  IndexFile& file() { return file_; }

 private:
  IndexFile file_;
  int64_t base_offset_;
};

}  // namespace gregor::storage
