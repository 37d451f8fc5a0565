// One segment of a partition log: `<base offset>.log` holding record batches exactly as they
// arrived (offsets and append time already assigned), with its offset and time indexes. Names
// are the base offset in 20 digits, as Kafka's: 00000000000000000042.log, .index, .timeindex.
//
// A segment knows nothing of configuration beyond its index settings and nothing of durability:
// the log decides when to sync (see log.h). Only the log's last segment is appended to.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/bytes.h"
#include "common/status.h"
#include "storage/file_system.h"
#include "storage/lazy_file.h"
#include "storage/offset_index.h"
#include "storage/segment_scanner.h"
#include "storage/time_index.h"

namespace gregor::storage {

struct SegmentOptions {
  size_t index_bytes = 10 * 1024 * 1024;  // segment.index.bytes
  int32_t index_interval_bytes = 4096;    // index.interval.bytes
};

// Bytes of a segment file, for reads and for sendfile: the slice holds the open file (pinned,
// see LazyFile::pin), so its descriptor stays valid even if the segment is deleted or its
// descriptor evicted from the file cache meanwhile.
struct FileSlice {
  std::shared_ptr<File> file;
  uint64_t position = 0;
  uint32_t size = 0;
};

struct BatchLocation {
  int64_t base_offset = 0;
  int64_t last_offset = 0;
  uint64_t position = 0;
  uint32_t size = 0;
};

struct TimestampAndOffset {
  int64_t timestamp = -1;
  int64_t offset = -1;
  int32_t leader_epoch = -1;
};

class Segment {
 public:
  // "00000000000000000042" and the file names built on it.
  static std::string file_stem(int64_t base_offset);
  static std::string log_path(const std::string& dir, int64_t base_offset, const std::string& suffix = "");

  // Creates empty files for a new segment. Its files' descriptors count against file_cache
  // (file_cache.h) when one is given.
  static StatusOr<std::unique_ptr<Segment>> create(FileSystem& fs, const std::string& dir, int64_t base_offset,
                                                   const SegmentOptions& options, int64_t now_ms,
                                                   const std::string& suffix = "", FileCache* file_cache = nullptr);
  // Opens the files of an existing segment; the .log opens on first use, indexes load lazily.
  // Call either load_tail() (after a clean shutdown) or recover() (after a crash) before using it.
  static StatusOr<std::unique_ptr<Segment>> open(FileSystem& fs, const std::string& dir, int64_t base_offset,
                                                 const SegmentOptions& options, int64_t now_ms,
                                                 const std::string& suffix = "", FileCache* file_cache = nullptr);

  ~Segment();

  // Trusts the indexes, checking them for corruption (a corrupt one is rebuilt by recover()), and
  // learns the next offset and largest timestamp from the last index entries and the bytes after
  // them.
  Status load_tail();

  struct Recovery {
    uint64_t valid_bytes = 0;
    uint64_t truncated_bytes = 0;
    std::string reason;  // why the tail was cut ("" when nothing was)
  };
  // Rebuilds both indexes by scanning every batch, verifying its framing and CRC, and truncates
  // the file at the first torn or corrupt batch. on_batch sees each valid batch in order.
  StatusOr<Recovery> recover(const std::function<void(const BatchInfo&)>& on_batch = {});

  // Appends batches whose offsets were assigned by the log (contiguous from next_offset()). On
  // failure the in-memory state is unchanged and the file may hold a partial write past size(),
  // which discard_unwritten() removes.
  Status append(BytesView batches);
  Status discard_unwritten();

  // The batch holding offset or, when offset falls in a gap, the first after it; searching from
  // the file position start (an index hint). nullopt when the segment ends before.
  StatusOr<std::optional<BatchLocation>> translate_offset(int64_t offset, uint64_t start = 0);

  // Whole batches from the one holding start_offset, up to max_bytes and never past byte
  // max_position (a high-watermark boundary). With min_one, the first batch is returned even
  // when larger than max_bytes. nullopt when start_offset is beyond this segment.
  StatusOr<std::optional<FileSlice>> read(int64_t start_offset, uint32_t max_bytes, uint64_t max_position,
                                          bool min_one);
  // The byte position of the batch boundary before offset (for high-watermark slices).
  StatusOr<uint64_t> position_of(int64_t offset);

  // The first record with timestamp >= timestamp and offset >= start_offset.
  StatusOr<std::optional<TimestampAndOffset>> find_offset_by_timestamp(int64_t timestamp, int64_t start_offset);

  // Removes every batch holding an offset >= offset (a batch straddling it goes as a whole);
  // returns the bytes removed.
  StatusOr<uint64_t> truncate_to(int64_t offset);

  // Whether appending bytes of batches with this largest offset and timestamp should roll the
  // segment first (Kafka's shouldRoll).
  bool should_roll(uint64_t incoming_bytes, int64_t max_offset, int64_t max_timestamp, int64_t now_ms,
                   int64_t segment_bytes, int64_t segment_ms, int64_t jitter_ms) const;

  // Called when the segment stops being the active one: writes the final time index entry.
  void on_become_inactive();
  // Writes pending index entries to their files (not synced).
  Status flush_indexes();
  // Syncs the .log (sync_log) or all three files (sync_all).
  Status sync_log();
  Status sync_all();
  // Frees the memory of the indexes; they reload on use.
  void unload_indexes();

  // Renames the three files to carry suffix ("" or ".deleted", ".cleaned", ".swap").
  Status change_suffix(const std::string& suffix);
  Status delete_files();
  Status close();

  // Whether next_offset and the timestamps are known (create, load_tail or recover ran).
  bool tail_loaded() const { return tail_loaded_; }
  int64_t base_offset() const { return base_offset_; }
  int64_t next_offset() const { return next_offset_; }
  uint64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // The largest batch timestamp so far, and the last offset of that batch; -1 when none.
  int64_t max_timestamp() const { return max_timestamp_; }
  int64_t offset_of_max_timestamp() const { return offset_of_max_timestamp_; }
  // The segment's timestamp for time-based retention: its largest timestamp, or when it has none
  // the time it was created (Kafka uses the file's modification time).
  int64_t largest_timestamp_for_retention() const { return max_timestamp_ >= 0 ? max_timestamp_ : created_ms_; }
  // The .log file, opened on use (the same object for the segment's life).
  std::shared_ptr<File> log_file() const { return log_; }
  OffsetIndex& offset_index() { return offset_index_; }
  TimeIndex& time_index() { return time_index_; }
  const OffsetIndex& offset_index() const { return offset_index_; }
  const TimeIndex& time_index() const { return time_index_; }
  const std::string& suffix() const { return suffix_; }
  std::string log_path() const { return log_path(dir_, base_offset_, suffix_); }

 private:
  Segment(FileSystem& fs, std::string dir, int64_t base_offset, const SegmentOptions& options,
          std::string suffix, int64_t now_ms, FileCache* file_cache);
  std::string path_of(const char* extension, const std::string& suffix) const;
  void index_batch(const BatchInfo& batch);
  // Scans [from, size_) to learn next offset and the largest timestamp.
  Status scan_tail(uint64_t from);

  FileSystem& fs_;
  std::string dir_;
  int64_t base_offset_;
  SegmentOptions options_;
  std::string suffix_;
  std::shared_ptr<LazyFile> log_;
  OffsetIndex offset_index_;
  TimeIndex time_index_;
  uint64_t size_ = 0;
  int64_t next_offset_;
  int64_t max_timestamp_ = -1;
  int64_t offset_of_max_timestamp_ = -1;
  int64_t first_batch_timestamp_ = -1;  // segment.ms counts from here (Kafka's rollingBasedTimestamp)
  int64_t created_ms_;
  uint64_t bytes_since_index_entry_ = 0;
  bool tail_loaded_ = false;
};

}  // namespace gregor::storage
