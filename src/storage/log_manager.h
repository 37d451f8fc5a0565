// The logs of one broker: every partition directory under the log dirs (log.dirs), with the
// per-directory files Kafka keeps beside them:
//
//   <log dir>/recovery-point-offset-checkpoint   topic partition offset, per partition
//   <log dir>/log-start-offset-checkpoint        topic partition offset, per partition
//   <log dir>/cleaner-offset-checkpoint          first dirty offset of each compacted partition
//   <log dir>/.kafka_cleanshutdown               present only while the broker is stopped cleanly
//   <log dir>/<topic>-<partition>/               the partition's log (see log.h), with
//       partition.metadata (topic id) and leader-epoch-checkpoint
//
// Opening a log dir that has the clean-shutdown marker trusts every log and reads only each
// active segment's tail; without it every log is recovered from its checkpointed recovery
// point. The marker is removed once the logs are open, so a crash from then on is noticed.
//
// Periodic work happens in tick(), called by the owner's event loop: flush.ms flushes,
// retention every log.retention.check.interval.ms, the expiry of idle producers (producer
// state, producer.id.expiration.ms) every 10 minutes, removal of deleted files after
// file.delete.delay.ms, the checkpoints every log.flush.offset.checkpoint.interval.ms /
// log.flush.start.offset.checkpoint.interval.ms, and compaction. Not thread-safe: one owner
// thread.
//
// Compaction, as Kafka's LogCleanerManager: one pass at a time over the filthiest compacted
// log that is due, looked for every log.cleaner.backoff.ms while there is nothing to clean and
// at once after a pass. The pass's reading and writing run on the manager's cleaner thread
// (log.cleaner.threads is 1); its planning and swaps run in tick(), on the owner's thread, so
// appends never wait for a pass (see log_cleaner.h). A partition's cleaning can be paused, which
// aborts a pass in progress (Kafka's abortAndPauseCleaning, for truncation and log moves);
// removing a log or shutting down aborts its pass too.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/uuid.h"
#include "storage/clock.h"
#include "storage/file_cache.h"
#include "storage/file_system.h"
#include "storage/log.h"
#include "storage/checkpoint_file.h"
#include "storage/log_cleaner.h"
#include "storage/log_config.h"
#include "storage/sync_executor.h"
#include "storage/topic_partition.h"

namespace gregor::storage {

inline constexpr std::string_view kCleanShutdownFile = ".kafka_cleanshutdown";

class LogManager {
 public:
  struct Options {
    std::vector<std::string> log_dirs;                  // log.dirs
    LogConfig defaults;                                 // from the broker's log.* properties
    int64_t retention_check_interval_ms = 300'000;      // log.retention.check.interval.ms
    int64_t recovery_point_checkpoint_interval_ms = 60'000;  // log.flush.offset.checkpoint.interval.ms
    int64_t log_start_checkpoint_interval_ms = 60'000;  // log.flush.start.offset.checkpoint.interval.ms
    bool cleaner_enable = true;                         // log.cleaner.enable
    int64_t cleaner_backoff_ms = 15'000;                // log.cleaner.backoff.ms
    size_t cleaner_dedupe_buffer_size = 128u << 20;     // log.cleaner.dedupe.buffer.size
    double cleaner_io_max_bytes_per_second = std::numeric_limits<double>::max();  // log.cleaner.io.max.bytes.per.second
    // Whether passes read and write on a cleaner thread; without it tick() runs them whole.
    bool cleaner_thread = true;
    // Descriptors the segment files (.log and indexes) keep open (file_cache.h): a cache of
    // its own with max_open_files (0: unbounded), or one the caller owns, which must outlive
    // the manager and any sync job still holding one of its files.
    size_t max_open_files = default_max_open_files();
    FileCache* file_cache = nullptr;
    // Thread-per-core: each core's manager loads and serves only the partitions it owns (null:
    // all of them)...
    std::function<bool(const TopicPartition&)> owns;
    // ...and then the per-directory files (checkpoints, clean-shutdown marker), which hold every
    // partition of a log dir, are written by whoever gathers checkpoints() from all managers.
    bool manage_dir_files = true;
    int64_t producer_id_expiration_ms = 86'400'000;  // producer.id.expiration.ms
    // How often idle producers are expired (Kafka's internal producer.id.expiration.check.interval.ms).
    int64_t producer_id_expiration_check_interval_ms = 600'000;
  };

  // What one manager contributes to a log dir's checkpoint files.
  struct DirCheckpoints {
    OffsetCheckpoint recovery_points;
    OffsetCheckpoint log_starts;
    OffsetCheckpoint cleaner_offsets;
    void merge(const DirCheckpoints& other);
  };

  static StatusOr<std::unique_ptr<LogManager>> open(FileSystem& fs, Clock& clock, SyncExecutor& syncs, Options options);
  ~LogManager();

  // The partition's log, created in the log dir holding the fewest partitions when missing.
  // An existing log with a different topic id is an inconsistent_topic_id error.
  StatusOr<Log*> get_or_create(const TopicPartition& tp, const Uuid& topic_id, const LogConfig& config);
  Log* get(const TopicPartition& tp) const;
  std::optional<Uuid> topic_id(const TopicPartition& tp) const;
  // Closes the log and renames its directory `<topic>-<partition>.<id>-delete`; the files go
  // after file.delete.delay.ms (or at the next start).
  Status remove(const TopicPartition& tp);
  std::vector<TopicPartition> partitions() const;
  size_t size() const { return logs_.size(); }

  void tick();
  // Finishes the compaction pass in progress, or runs one over the filthiest compacted log that
  // is due, before returning (waiting for the cleaner thread); writes cleaner-offset-checkpoint.
  // Returns whether a log was cleaned; a pass that failed or was aborted is its error.
  StatusOr<bool> clean_one();
  // Waits until the file removals handed to the background thread are done (tests, tools).
  void wait_for_background();
  // The partition whose compaction pass is in progress, if any.
  std::optional<TopicPartition> cleaning() const;
  // Aborts the partition's pass in progress, waiting for the cleaner thread to let go of it, and
  // keeps it from being cleaned until as many resume_cleaning calls.
  void pause_cleaning(const TopicPartition& tp);
  void resume_cleaning(const TopicPartition& tp);
  Status write_checkpoints();
  DirCheckpoints checkpoints(const std::string& log_dir) const;
  // Closes every log (full flush), writes the checkpoints and the clean-shutdown marker.
  Status shutdown();

  // Whether the log dirs were found cleanly shut down when opened.
  bool opened_clean() const { return opened_clean_; }

 private:
  struct Entry {
    std::unique_ptr<Log> log;
    std::string log_dir;
    Uuid topic_id;
  };
  struct PendingDirDelete {
    std::string path;
    int64_t due_ms;
  };

  // The compaction pass in progress.
  struct Cleaning {
    TopicPartition tp;
    std::unique_ptr<CleaningPass> pass;
    bool background = false;  // a step is on the cleaner thread
    Status failure;
  };

  LogManager(FileSystem& fs, Clock& clock, SyncExecutor& syncs, Options options);
  // Starts a pass over the filthiest due log; false when none is due.
  bool start_cleaning();
  // Runs the pass's owner steps, hands its background steps to the cleaner thread (or runs them
  // when there is none), and ends it when done or failed.
  void advance_cleaning();
  void end_cleaning();
  // Aborts the pass in progress (on tp, or any) and waits until the cleaner thread lets go of it.
  void abort_cleaning(const std::optional<TopicPartition>& tp);
  Status write_cleaner_checkpoint(const std::string& log_dir);
  // Runs file removals on the cleaner thread (or at once without one); failures are logged.
  void run_in_background(std::function<Status()> work, std::string what);
  Status load_dir(const std::string& dir);
  Status remove_tree(const std::string& path);

  FileSystem& fs_;
  Clock& clock_;
  SyncExecutor& syncs_;
  Options options_;
  std::unique_ptr<FileCache> own_file_cache_;  // outlives the logs below
  FileCache* file_cache_ = nullptr;
  std::map<TopicPartition, Entry> logs_;
  std::vector<PendingDirDelete> pending_dir_deletes_;
  std::map<TopicPartition, int64_t> cleaner_offsets_;  // first dirty offsets, from the checkpoint
  std::unique_ptr<LogCleaner> cleaner_;
  std::unique_ptr<ThreadSyncExecutor> cleaner_thread_;
  std::optional<Cleaning> cleaning_;
  std::map<TopicPartition, int> cleaning_paused_;
  Status last_pass_;  // how the last pass ended
  int64_t next_clean_check_ms_;
  int64_t last_retention_ms_;
  int64_t last_producer_expiration_ms_;
  int64_t last_recovery_checkpoint_ms_;
  int64_t last_start_checkpoint_ms_;
  bool opened_clean_ = true;
  bool shut_down_ = false;
};

// The per-directory files, for a manager's or gathered from several.
Status write_dir_checkpoints(FileSystem& fs, const std::string& log_dir, const LogManager::DirCheckpoints& c);
Status write_clean_shutdown_marker(FileSystem& fs, const std::string& log_dir);
// Removes the marker once every log of the dir is open, so a crash from then on is noticed.
Status remove_clean_shutdown_marker(FileSystem& fs, const std::string& log_dir);

// "orders-3" -> {orders, 3}; nullopt for names that are not partition directories (including
// Kafka's "-delete", "-future" and "-stray" directories).
std::optional<TopicPartition> parse_partition_dir(const std::string& name);

}  // namespace gregor::storage
