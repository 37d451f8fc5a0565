// A partition's leader epoch history: for each leader epoch, the first offset written in it,
// persisted to <partition dir>/leader-epoch-checkpoint. Kafka's LeaderEpochFileCache, whose
// semantics it follows; it answers OffsetsForLeaderEpoch (end_offset_for) and tells followers
// where to truncate.
//
// Entries are kept in increasing order of both epoch and start offset: assign() drops any entry
// that would break that order. Every change is written to the checkpoint before the call
// returns (Kafka flushes truncations in the background; we flush them synchronously). When a
// write fails the in-memory change stays and the Status reports the failure, as Kafka's cache
// keeps its change and throws KafkaStorageException (its log dir then goes offline).
//
// Not thread-safe: a partition's state is owned by one core.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "storage/checkpoint_file.h"
#include "storage/file_system.h"

namespace gregor::storage {

// OffsetsForLeaderEpochResponse.UNDEFINED_EPOCH / UNDEFINED_EPOCH_OFFSET.
inline constexpr int32_t kUndefinedEpoch = -1;
inline constexpr int64_t kUndefinedEpochOffset = -1;

class LeaderEpochCache {
 public:
  // An empty cache for partition_dir; reads nothing and writes nothing until a change.
  LeaderEpochCache(FileSystem& fs, std::string partition_dir);

  // The cache held by partition_dir's checkpoint (empty when the file is missing). Its entries
  // go through assign(), as Kafka loads them, so an out-of-order history is repaired in memory
  // (not rewritten until the next change); a negative epoch or offset is a kafka_storage_error.
  static StatusOr<LeaderEpochCache> load(FileSystem& fs, std::string partition_dir);

  // Records that epoch starts at start_offset. Does nothing (and writes nothing) when epoch is
  // the latest epoch and start_offset is not below its start. Otherwise first removes, newest
  // first, every entry whose epoch >= epoch or whose start offset >= start_offset, then adds the
  // entry and writes the checkpoint. So assigning an older epoch at a later offset replaces the
  // newer epochs, and an earlier start for the latest epoch moves it back. A negative epoch or
  // offset is rejected (unknown_server_error) and changes nothing.
  Status assign(int32_t epoch, int64_t start_offset);
  // Assigns each entry in turn, then writes the checkpoint once when entries is not empty
  // (even when nothing changed, as Kafka does). Stops at the first invalid entry and returns
  // its error without writing; the entries before it stay assigned in memory, as in Kafka.
  Status assign(const std::vector<EpochEntry>& entries);

  bool empty() const { return entries_.empty(); }
  std::optional<EpochEntry> latest_entry() const;
  std::optional<int32_t> latest_epoch() const;
  std::optional<EpochEntry> earliest_entry() const;
  // The epoch before the latest one.
  std::optional<int32_t> previous_epoch() const;
  // The greatest epoch below epoch, and its entry.
  std::optional<int32_t> previous_epoch(int32_t epoch) const;
  std::optional<EpochEntry> previous_entry(int32_t epoch) const;
  // The smallest epoch above epoch.
  std::optional<int32_t> next_epoch(int32_t epoch) const;
  std::optional<EpochEntry> epoch_entry(int32_t epoch) const;
  // The epoch offset belongs to: that of the last entry starting at or before it; none when
  // offset is before the first entry.
  std::optional<int32_t> epoch_for_offset(int64_t offset) const;

  // Kafka's endOffsetFor, the answer to OffsetsForLeaderEpoch: (epoch, end offset) where epoch
  // is the greatest known epoch <= requested_epoch and the end offset is the start of the next
  // known epoch, or log_end_offset when requested_epoch is the latest epoch.
  //   - requested_epoch == kUndefinedEpoch, or the cache is empty, or requested_epoch is above
  //     the latest epoch: (kUndefinedEpoch, kUndefinedEpochOffset);
  //   - requested_epoch below the first epoch: (requested_epoch, first entry's start offset).
  std::pair<int32_t, int64_t> end_offset_for(int32_t requested_epoch, int64_t log_end_offset) const;

  // Removes every entry whose start offset >= end_offset (the log was truncated to end
  // there). Nothing when end_offset < 0. Writes the checkpoint when something was removed.
  Status truncate_from_end(int64_t end_offset);
  // Removes every entry whose start offset <= start_offset (the log start moved there) and puts
  // the last of them back starting at start_offset, so the epoch of start_offset is kept:
  // [(2,6),(3,8),(4,11)] truncated to 9 becomes [(3,9),(4,11)]; to 6 or 1 it is unchanged.
  // Writes the checkpoint when that changed an entry.
  Status truncate_from_start(int64_t start_offset);

  // The entries truncated as truncate_from_start(start_offset) (skipped when start_offset < 0)
  // then truncate_from_end(end_offset) would leave them, without changing the cache.
  std::vector<EpochEntry> epoch_entries_in_range(int64_t start_offset, int64_t end_offset) const;

  // Removes every entry and writes the (empty) checkpoint.
  Status clear_and_flush();
  // Removes every entry without writing.
  void clear() { entries_.clear(); }

  // Writes the checkpoint with the current entries.
  Status flush() const;

  // In increasing order of epoch (and of start offset).
  const std::vector<EpochEntry>& epoch_entries() const { return entries_; }

  // Points the cache at the partition's new directory after a rename; writes nothing.
  void set_partition_dir(std::string partition_dir);
  const std::string& checkpoint_path() const { return path_; }

 private:
  // Applies one entry in memory; true when it changed the cache.
  bool assign_in_memory(const EpochEntry& entry);
  // The truncations applied to any list of entries; true when an entry was removed.
  static bool truncate_start_of(std::vector<EpochEntry>& entries, int64_t start_offset);
  static bool truncate_end_of(std::vector<EpochEntry>& entries, int64_t end_offset);

  FileSystem* fs_;
  std::string path_;
  std::vector<EpochEntry> entries_;
};

}  // namespace gregor::storage
