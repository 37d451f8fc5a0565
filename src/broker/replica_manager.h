// The partitions one shard leads, over that shard's log manager: Kafka's ReplicaManager and
// Partition, for a single node (replication comes in a later issue). Produce appends here and
// answers once the append is durable as the topic's flush policy wants; Fetch reads here, up
// to the high watermark, which on a single node follows the durable end of the log. Fetches
// waiting for data (fetch.min.bytes / fetch.max.wait.ms) register a watch that fires when the
// high watermark moves. Lives on its shard's thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "common/error_code.h"
#include "common/uuid.h"
#include "storage/log.h"
#include "storage/log_manager.h"

namespace gregor::broker {

using storage::TopicPartition;

struct ProduceResult {
  ErrorCode error = ErrorCode::none;
  std::string message;
  int64_t base_offset = -1;
  int64_t log_append_time = -1;
  int64_t log_start_offset = -1;
  // The records the validator refused, when it refused the batch for them (Produce v8+).
  std::vector<storage::RecordError> record_errors;
};

struct ListOffsetResult {
  ErrorCode error = ErrorCode::none;
  int64_t timestamp = -1;
  int64_t offset = -1;
  int32_t leader_epoch = -1;
};

struct FetchPartitionResult {
  ErrorCode error = ErrorCode::none;
  int64_t high_watermark = -1;
  int64_t last_stable_offset = -1;
  int64_t log_start_offset = -1;
  storage::FileSlice records;  // size 0 when there is nothing to send
};

struct EpochEndOffsetResult {
  ErrorCode error = ErrorCode::none;
  int32_t leader_epoch = -1;
  int64_t end_offset = -1;
};

struct DeleteRecordsResult {
  ErrorCode error = ErrorCode::none;
  std::string message;
  int64_t low_watermark = -1;
};

// One log of a shard's manager, for DescribeLogDirs.
struct LogDirPartition {
  TopicPartition tp;
  std::string log_dir;    // as configured in log.dirs
  int64_t size = 0;       // bytes of its segments
  int64_t offset_lag = 0;  // how far its end is behind the high watermark; -1 when not led here
};

class ReplicaManager {
 public:
  ReplicaManager(storage::LogManager& logs, int32_t node_id) : logs_(logs), node_id_(node_id) {}

  struct Partition {
    storage::Log* log = nullptr;
    Uuid topic_id;
    int32_t leader_epoch = 0;
  };

  // Leads the partition (creating its log) at this epoch with this config.
  StatusOr<Partition*> make_leader(const TopicPartition& tp, const Uuid& topic_id, int32_t leader_epoch,
                                   const storage::LogConfig& config);
  // Stops leading it and deletes its log (the topic was deleted).
  Status remove(const TopicPartition& tp);
  // Stops leading it and keeps its log (this broker still holds a replica).
  void stop_leading(const TopicPartition& tp);
  Partition* find(const TopicPartition& tp);
  std::vector<TopicPartition> partitions() const;

  // Appends one partition's records (one batch, stamped in place) and calls done on this
  // shard once the append counts as written: at once for acks=0, after its sync otherwise.
  // A retried batch of an idempotent producer is answered with the offsets it was written at,
  // once those are durable.
  void produce(const TopicPartition& tp, std::span<uint8_t> records, int16_t acks,
               std::function<void(ProduceResult)> done);
  // Reads from offset up to the high watermark (the log end for a follower), whole batches, at
  // least one when min_one. current_leader_epoch -1 skips the epoch check.
  FetchPartitionResult fetch(const TopicPartition& tp, int64_t offset, uint32_t max_bytes, bool follower,
                             int32_t current_leader_epoch, bool min_one);
  // ListOffsets: latest (-1) is the high watermark for consumers and the log end for a
  // follower; earliest (-2), max timestamp (-3), earliest local (-4), or by timestamp.
  ListOffsetResult list_offset(const TopicPartition& tp, int64_t timestamp, int32_t current_leader_epoch,
                               bool follower);
  // Calls fire (once, on this shard) when the partition's high watermark next moves, or at once
  // if it is past offset already. Returns an id for unwatch.
  uint64_t watch(const TopicPartition& tp, int64_t offset, std::function<void()> fire);
  void unwatch(const TopicPartition& tp, uint64_t id);

  // OffsetForLeaderEpoch: the greatest epoch at or below leader_epoch that the log knows, and
  // its end (the start of the next epoch, or the log end for the latest one), as Kafka's
  // endOffsetFor; -1 and -1 when there is none. current_leader_epoch -1 skips the epoch check.
  EpochEndOffsetResult end_offset_for_epoch(const TopicPartition& tp, int32_t current_leader_epoch,
                                            int32_t leader_epoch);
  // DeleteRecords: moves the log start offset up to offset (-1: the high watermark) and deletes
  // the segments below it. The new log start reaches the disk with the next checkpoint
  // (LogService::checkpoint_now).
  DeleteRecordsResult delete_records(const TopicPartition& tp, int64_t offset);
  // DescribeLogDirs: every log of this shard's manager in one of log_dirs.
  std::vector<LogDirPartition> describe_logs(const std::vector<std::string>& log_dirs) const;

 private:
  // The partition when this broker leads it at the client's epoch (-1: any), else the error.
  Partition* leader_for(const TopicPartition& tp, int32_t current_leader_epoch, ErrorCode& error);
  void advance_high_watermark(const TopicPartition& tp, Partition& p, int64_t to);

  storage::LogManager& logs_;
  int32_t node_id_;
  std::map<TopicPartition, Partition> partitions_;
  struct Watch {
    uint64_t id;
    std::function<void()> fire;
  };
  std::map<TopicPartition, std::vector<Watch>> watches_;
  uint64_t next_watch_ = 1;
};

}  // namespace gregor::broker
