// A partition's log: a directory `<topic>-<partition>` of segments in Kafka's layout, the offsets
// that frame it, and its durability.
//
// Offsets, log start <= high watermark <= log end: the log start offset is the first offset
// readable (raised by retention and DeleteRecords); the log end offset (LEO) is the next offset
// to assign; the high watermark, set by the owner (replication), bounds what consumers read.
//
// Durability. An append writes its batch to the active segment's page cache and returns. Under
// the default flush.messages=1 every append needs a sync before it is acknowledged: the caller
// asks when_durable(end) and is called back once an fdatasync has covered the append. Syncs run
// on a SyncExecutor; while one is in flight, later appends queue behind it and the next sync
// covers all of them (group commit). Larger flush.messages / flush.ms relax this as in Kafka.
//
// Two points track what is on disk:
//   durable offset  every batch below it is synced in its .log file (what acknowledgements need)
//   recovery point  below it, .log files and indexes are synced (what recovery may trust)
// Appends move the first. The second moves on roll (the full segment is flushed whole), on
// flush() and on close. After a crash, recovery rescans only from the recovery point.
//
// A failed write or sync is never acknowledged. A failed write removes its partial bytes; a
// failed sync truncates the log back to its durable offset, since after a failed fdatasync the
// kernel may have dropped the unsynced pages. Either way the log keeps working: appends succeed
// again once the disk does.
//
// Not thread-safe: a partition is owned by one thread, which also runs sync completions.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "storage/clock.h"
#include "storage/file_cache.h"
#include "storage/file_system.h"
#include "storage/leader_epoch_cache.h"
#include "storage/log_config.h"
#include "storage/log_validator.h"
#include "storage/producer_state.h"
#include "storage/segment.h"
#include "storage/sync_executor.h"

namespace gregor::storage {

struct AppendResult {
  int64_t base_offset = -1;
  int64_t last_offset = -1;
  int64_t log_append_time = -1;  // -1 unless the topic uses LogAppendTime
  int64_t log_start_offset = 0;
  int64_t max_timestamp = -1;
  int64_t records = 0;
  // The flush policy wants this append synced before it is acknowledged: call when_durable.
  bool sync_required = false;
  // The batch repeats one its producer already wrote (idempotent produce): nothing was
  // appended, and the offsets are the original batch's.
  bool duplicate = false;
};

struct ReadResult {
  FileSlice slice;  // whole batches; size 0 when there is nothing to read
  int64_t high_watermark = 0;
  int64_t log_start_offset = 0;
  int64_t log_end_offset = 0;
};

enum class ReadLimit { log_end, high_watermark };

// ListOffsets' special timestamps.
inline constexpr int64_t kLatestTimestamp = -1;
inline constexpr int64_t kEarliestTimestamp = -2;
inline constexpr int64_t kMaxTimestamp = -3;
inline constexpr int64_t kEarliestLocalTimestamp = -4;

class Log {
 public:
  struct Options {
    std::string dir;  // the partition directory, `<log dir>/<topic>-<partition>`
    LogConfig config;
    int64_t recovery_point = 0;
    int64_t log_start_offset = 0;
    bool clean_shutdown = false;  // the log dir was closed cleanly: trust it, skip recovery
    std::optional<int64_t> high_watermark;  // default: the log end offset
    // Bounds the descriptors the segments' files (.log and indexes) hold, shared by all the logs
    // of a broker (file_cache.h); it must outlive the log and its pending syncs. nullptr: a .log
    // stays open once used.
    FileCache* file_cache = nullptr;
    int64_t producer_id_expiration_ms = 86'400'000;  // producer.id.expiration.ms
  };

  // Opens or creates the log, recovering it unless clean_shutdown.
  static StatusOr<std::unique_ptr<Log>> open(FileSystem& fs, Clock& clock, SyncExecutor& syncs, Options options);
  ~Log();

  // A produce append as leader: validates the one batch, assigns offsets from the log end,
  // stamps leader_epoch (and the time, for LogAppendTime) into batch, and writes it. A batch
  // with a producer id goes through the producer state's checks first (producer_state.h): a
  // duplicate is answered with its original offsets (AppendResult::duplicate). When the batch
  // is refused for particular records, record_errors (if given) receives them, as Produce
  // reports them.
  StatusOr<AppendResult> append_as_leader(std::span<uint8_t> batch, int32_t leader_epoch,
                                          std::vector<RecordError>* record_errors = nullptr);
  // A replication append: batches keep their offsets, which must follow the log end.
  StatusOr<AppendResult> append_as_follower(std::span<const uint8_t> batches);

  // Calls done once every offset below end_offset is durable (at once if it already is), or
  // with the error that stopped it. Runs on the owner's thread, from a sync completion.
  void when_durable(int64_t end_offset, std::function<void(Status)> done);
  // Syncs everything now (log and indexes), moving the recovery point to the log end.
  // Blocks the caller; for shutdown, tools and tests.
  Status flush();
  // Starts a sync when flush.ms has passed since the last one and data is unsynced. Call
  // periodically (the log manager does).
  void maybe_flush_on_interval();

  StatusOr<ReadResult> read(int64_t offset, uint32_t max_bytes, ReadLimit limit = ReadLimit::log_end,
                            bool min_one = true);
  // ListOffsets: the first record at or after timestamp, or one of the special timestamps.
  // nullopt when there is none.
  StatusOr<std::optional<TimestampAndOffset>> offset_for_timestamp(int64_t timestamp);

  // Removes everything from offset on (a follower's divergence). Offsets above the log end do
  // nothing.
  Status truncate_to(int64_t offset);
  // Removes everything and starts again empty at offset.
  // Both truncations are durable when they return; the caller then checkpoints the recovery
  // point and log start (see docs/storage.md).
  Status truncate_fully_and_start_at(int64_t offset);
  // DeleteRecords: moves the log start offset up to offset (at most the high watermark) and
  // deletes the segments wholly below it. Returns the new log start offset.
  StatusOr<int64_t> delete_records_before(int64_t offset);
  // The owner moves the high watermark; it is kept within [log start, log end].
  void set_high_watermark(int64_t offset);

  // Retention: deletes segments past retention.ms / retention.bytes or wholly below the log
  // start offset. Files are renamed *.deleted at once and removed file.delete.delay.ms later by
  // delete_expired_files. Returns the number of segments deleted.
  StatusOr<int> apply_retention();
  Status delete_expired_files();
  // The deleted segments whose file.delete.delay.ms has passed, for the caller to remove (off
  // the owner's thread: Segment::delete_files is safe on any thread once the log lets go).
  std::vector<std::unique_ptr<Segment>> take_expired_files();

  // Compaction (log_cleaner.h). The cleaner fills a segment made by create_cleaned_segment
  // (files suffixed .cleaned), syncs it whole, and hands it to replace_segments with the bases
  // of the run of inactive segments it replaces, in order. The cleaned segment starts at the
  // first base and must cover exactly the run's offset range: every later base of the run lies
  // below its next offset and the segment after the run starts at or after it (the cleaner
  // always keeps the run's last batch, so the cleaned segment ends where the run did).
  // The swap follows Kafka's protocol, so a crash at any point recovers to either the old
  // segments or the cleaned one: rename .cleaned -> .swap and sync the directory (from here
  // recovery completes the swap), retire the old segments (.deleted) and sync the directory,
  // rename .swap -> final and sync the directory. Fails, changing nothing and deleting the
  // cleaned files, when the run is not there as described (retention or truncation got to it
  // first) or before the swap is durable; a failure after that takes the log offline (every
  // call fails) and reopening the log completes the swap.
  StatusOr<std::unique_ptr<Segment>> create_cleaned_segment(int64_t base_offset);
  Status replace_segments(std::unique_ptr<Segment> cleaned, const std::vector<int64_t>& old_bases);
  // Learns the tail (next offset, largest timestamp) of each segment holding offsets from
  // from_offset on, where not yet known, as retention does, so segments() reports them; for the
  // cleaner's planning.
  Status load_segment_tails(int64_t from_offset = 0);

  // Full flush and close; the log must not be used after.
  Status close();

  int64_t log_start_offset() const { return log_start_offset_; }
  int64_t log_end_offset() const { return next_offset_; }
  int64_t high_watermark() const { return high_watermark_; }
  int64_t recovery_point() const { return recovery_point_; }
  int64_t durable_offset() const { return durable_offset_; }
  uint64_t size_bytes() const;
  size_t segment_count() const { return segments_.size(); }
  const std::string& dir() const { return dir_; }
  const LogConfig& config() const { return config_; }
  void update_config(const LogConfig& config);
  LeaderEpochCache& leader_epochs() { return epochs_; }
  // Segments in offset order, for dumps and tests.
  std::vector<const Segment*> segments() const;
  // What recovery did when the log was opened ("" when nothing was truncated).
  const std::string& recovery_report() const { return recovery_report_; }
  // The producers that wrote to the partition (idempotence), kept across restarts by snapshots.
  const ProducerStateManager& producer_state() const { return producers_; }
  // Forgets producers idle for producer.id.expiration.ms; the log manager calls it periodically.
  void remove_expired_producers();

 private:
  Log(FileSystem& fs, Clock& clock, SyncExecutor& syncs, Options options, LeaderEpochCache epochs);
  Status load(bool clean_shutdown, int64_t recovery_point);
  Status remove_leftovers();
  // Finishes a swap a crash interrupted; returns the bases of segments that need recovery.
  StatusOr<std::vector<int64_t>> complete_swaps();
  Segment& active() { return *segments_.rbegin()->second; }
  Status check_usable() const;
  // Rolls to a new segment when the next append of bytes would not fit (Kafka's maybeRoll).
  Status maybe_roll(uint64_t bytes, int64_t first_offset, int64_t max_offset, int64_t max_timestamp);
  Status roll(int64_t base_offset);
  StatusOr<AppendResult> finish_append(std::span<const uint8_t> batches, const ValidatedAppend& v);
  // Undoes a failed sync: back to the durable offset.
  void recover_from_failure(const Status& cause);
  // The log could not undo a failure: every later call fails with kafka_storage_error.
  void go_offline(const Status& cause, const Status& undo);
  void start_sync();
  void complete_waiters(int64_t durable, const Status& failure);
  Status delete_segments(std::vector<int64_t> bases, const char* reason);
  void raise_log_start(int64_t offset);
  // Producer state on open: drops snapshots past the log end and strays, then rebuilds.
  Status load_producer_state();
  // Loads the latest snapshot at or below the log end and replays the batches after it.
  Status rebuild_producer_state();
  ValidationConfig validation_config() const;
  std::string name() const;

  FileSystem& fs_;
  Clock& clock_;
  SyncExecutor& syncs_;
  FileCache* file_cache_;
  std::string dir_;
  LogConfig config_;
  LeaderEpochCache epochs_;
  LogValidator validator_;
  ProducerStateManager producers_;
  std::map<int64_t, std::unique_ptr<Segment>> segments_;
  int64_t next_offset_ = 0;
  int64_t log_start_offset_ = 0;
  int64_t high_watermark_ = 0;
  int64_t recovery_point_ = 0;
  int64_t durable_offset_ = 0;
  int64_t unflushed_messages_ = 0;
  int64_t last_flush_ms_ = 0;
  int64_t segment_jitter_ms_ = 0;

  struct Waiter {
    int64_t end_offset;
    std::function<void(Status)> done;
  };
  std::deque<Waiter> waiters_;
  bool sync_in_flight_ = false;
  bool dir_sync_needed_ = false;   // a segment was created since the last sync
  int64_t full_flush_upto_ = -1;   // a rolled segment still needs its indexes synced
  uint64_t generation_ = 0;        // bumped by truncations: a sync started before one is stale
  Status failed_;                  // set when the log could not undo a failure; all calls fail

  struct PendingDelete {
    std::unique_ptr<Segment> segment;
    int64_t due_ms;
  };
  std::vector<PendingDelete> pending_deletes_;
  std::string recovery_report_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace gregor::storage
