// The cluster metadata log: partition 0 of `__cluster_metadata`, in `<metadata dir>/__cluster_metadata-0`,
// a storage::Log of ordinary v2 batches whose records have null keys and the framed metadata
// records (record_serde.h) as values, as KRaft writes it.
//
// Every append is one batch, so a list of records is committed or lost as a whole (KRaft's atomic
// batches). A batch is committed once it is durable: this node is the whole quorum. When Raft
// comes, commit will mean "durable on a majority" and reach the same callback; nothing above this
// class needs to know which.
//
// Committed batches are everything the log holds after open() (it syncs what recovery kept before
// reading it back), and every append whose callback reported success. The high watermark of the
// partition marks the committed end, so readers of the partition never see an uncommitted batch.
//
// Not thread-safe: the log is owned by one thread, which also runs the commit callbacks (from the
// sync completions of its SyncExecutor). The log must outlive the callbacks of its appends.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "metadata/image.h"
#include "metadata/record_serde.h"
#include "storage/clock.h"
#include "storage/file_system.h"
#include "storage/log.h"
#include "storage/sync_executor.h"

namespace gregor::metadata {

class MetadataLog {
 public:
  struct Options {
    std::string metadata_dir;  // the log dir that holds __cluster_metadata-0 (Kafka's metadata.log.dir)
    // The cluster id from the directory's meta.properties; the log does not record it, the image
    // carries it.
    std::string cluster_id;
    // The largest batch (Kafka's KRaft limit): one append may not encode to more.
    int32_t max_batch_bytes = 8 * 1024 * 1024;
  };

  struct Batch {
    int64_t base_offset = 0;
    int32_t leader_epoch = -1;
    std::vector<MetadataRecord> records;  // record i is at base_offset + i
  };

  struct Opened {
    std::unique_ptr<MetadataLog> log;
    // The image of every batch the log holds.
    std::shared_ptr<const MetadataImage> image;
  };

  // committed is ok once the batch is durable; otherwise the error that stopped it, and the
  // batch is not part of the log (a failed sync truncates back to the durable end).
  using CommitCallback = std::function<void(Status status, int64_t base_offset, int64_t last_offset)>;

  static constexpr const char* kPartitionDirName = "__cluster_metadata-0";

  // The partition's settings: cleanup.policy=delete without retention (only snapshots may ever
  // drop metadata), and batches up to max_batch_bytes.
  static storage::LogConfig log_config(const Options& options);

  // Opens (or creates) the log, recovers it, makes what recovery kept durable and replays every
  // batch into an image. Fails on any batch that does not decode or does not replay.
  static StatusOr<Opened> open(storage::FileSystem& fs, storage::Clock& clock, storage::SyncExecutor& syncs,
                               Options options);

  // Appends records as one batch stamped with leader_epoch and returns the offset of its first
  // record. on_commit runs once the batch is durable, possibly before append returns (with an
  // inline sync executor). Fails, appending nothing, when a record does not encode or the batch
  // is too large. With no records nothing is appended, and on_commit runs once everything
  // appended before is committed, so that a response with no records still follows the ones
  // before it.
  StatusOr<int64_t> append(std::span<const MetadataRecord> records, int32_t leader_epoch, CommitCallback on_commit);

  // Calls visit for each batch from the one holding from_offset up to the committed end, in
  // order; stops at the first error (a batch that does not decode, or one visit returns).
  Status read_committed(int64_t from_offset, const std::function<Status(const Batch&)>& visit);

  int64_t end_offset() const { return log_->log_end_offset(); }
  // Everything below is committed.
  int64_t committed_offset() const { return log_->high_watermark(); }
  storage::Log& partition_log() { return *log_; }

  // Syncs and closes the partition log; the MetadataLog must not be used after.
  Status close();

 private:
  MetadataLog(storage::Clock& clock, std::unique_ptr<storage::Log> log, Options options)
      : clock_(clock), log_(std::move(log)), options_(std::move(options)) {}

  storage::Clock& clock_;
  std::unique_ptr<storage::Log> log_;
  Options options_;
};

// Decodes the records of one v2 batch of the metadata log. Control batches (which KRaft writes
// for leader changes and snapshots) hold no metadata records and give an empty list.
StatusOr<std::vector<MetadataRecord>> decode_batch_records(BytesView batch);

}  // namespace gregor::metadata
