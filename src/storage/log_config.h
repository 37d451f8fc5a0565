// The per-topic log settings the storage engine reads: Kafka's topic configs (the keys of
// TopicConfig, validated as Kafka's LogConfig ConfigDef does), with Kafka 4.x's defaults.
//
// Where the values come from, as in Kafka:
//   - broker properties give the defaults for every topic, under the broker-level names
//     (log.segment.bytes, log.roll.ms, message.max.bytes, log.cleaner.delete.retention.ms, ...):
//     from_broker_properties;
//   - a topic's own configs (CreateTopics, IncrementalAlterConfigs) override them under the
//     topic-level names (segment.bytes, segment.ms, ...): with_topic_overrides.
// Values are parsed as Kafka's ConfigDef parses strings (surrounding whitespace trimmed,
// booleans case-insensitive, lists split on commas) and checked with Kafka's validators; a bad
// value is an invalid_config Status with Kafka's one-line message, e.g.
//   "Invalid value abc for configuration segment.bytes: Not a number of type INT".
//
// DELIBERATE GREGOR DEPARTURE: durable by default. flush.messages (and the broker's
// log.flush.interval.messages) defaults to 1 instead of Kafka's Long.MAX_VALUE: every append is
// fsynced before it is acknowledged, appends that arrive together sharing one fsync (group
// commit). Setting flush.messages to a larger value (Long.MAX_VALUE restores Kafka's behaviour)
// leaves flushing to the OS and to flush.ms, as in Kafka. flush.ms keeps Kafka's default,
// Long.MAX_VALUE.
//
// Kafka 4.x against older versions (these are the 4.x rules):
//   - segment.bytes / log.segment.bytes must be at least 1 MiB (1048576); before 4.0 the floor
//     was 14 bytes (LegacyRecord.RECORD_OVERHEAD_V0).
//   - message.timestamp.after.max.ms defaults to 3600000 (1 hour); before 4.0 it was
//     Long.MAX_VALUE. message.timestamp.before.max.ms still defaults to Long.MAX_VALUE.
//   - message.format.version, message.downconversion.enable and
//     message.timestamp.difference.max.ms were removed in 4.0, so they are unknown topic
//     configs here, as they are to a 4.x broker.
//   - compression.type takes the broker's names: uncompressed, zstd, lz4, snappy, gzip or
//     producer ("none" is the producer's spelling and is rejected, as Kafka rejects it).
//   - An empty cleanup.policy is accepted and means neither delete nor compact: segments are
//     kept forever.
// Not modelled: Kafka's test-only internal.segment.bytes, and remote.copy.lag.ms/bytes, which
// only the newest Kafka development line has. Tiered storage is not supported: remote.storage.enable=true is rejected
// with the message a Kafka broker gives when tiered storage is disabled; the other remote and
// local.retention.* keys are accepted and stored but have no effect.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "record/record_batch.h"
#include "storage/config_def.h"

namespace gregor::storage {

// One topic-level config key.
struct TopicConfigKey {
  std::string_view name;  // "segment.bytes"
  ConfigType type;
  std::string_view default_value;   // as to_topic_configs renders it (Gregor's for flush.messages)
  std::string_view server_default;  // the broker property that sets the default, e.g.
                                    // "log.segment.bytes" (the first of several); "" for none
};

struct LogConfig {
  static constexpr int64_t kLongMax = std::numeric_limits<int64_t>::max();

  int32_t segment_bytes = 1024 * 1024 * 1024;      // segment.bytes, >= 1048576
  int64_t segment_ms = 7 * 24 * 60 * 60 * 1000LL;  // segment.ms (7 days), >= 1
  int64_t segment_jitter_ms = 0;                   // segment.jitter.ms, >= 0
  int32_t segment_index_bytes = 10 * 1024 * 1024;  // segment.index.bytes, >= 4
  int32_t index_interval_bytes = 4096;             // index.interval.bytes, >= 0
  int32_t max_message_bytes = 1024 * 1024 + 12;    // max.message.bytes, >= 0
  record::TimestampType message_timestamp_type = record::TimestampType::create_time;
  int64_t message_timestamp_before_max_ms = kLongMax;       // >= 0
  int64_t message_timestamp_after_max_ms = 60 * 60 * 1000;  // >= 0 (1 hour since Kafka 4.0)
  int64_t flush_messages = 1;                               // GREGOR: Kafka's is Long.MAX_VALUE
  int64_t flush_ms = kLongMax;                              // >= 0
  int64_t retention_ms = 7 * 24 * 60 * 60 * 1000LL;         // -1 = no time limit; >= -1
  int64_t retention_bytes = -1;                             // negative = no size limit
  bool cleanup_policy_delete = true;                        // cleanup.policy contains "delete"
  bool cleanup_policy_compact = false;                      // cleanup.policy contains "compact"
  int64_t delete_retention_ms = 24 * 60 * 60 * 1000;        // delete.retention.ms, >= 0
  double min_cleanable_dirty_ratio = 0.5;                   // in [0, 1]
  int64_t min_compaction_lag_ms = 0;                        // >= 0, <= max_compaction_lag_ms
  int64_t max_compaction_lag_ms = kLongMax;                 // >= 1
  int64_t file_delete_delay_ms = 60000;                     // file.delete.delay.ms, >= 0
  int32_t min_insync_replicas = 1;                          // min.insync.replicas, >= 1
  bool unclean_leader_election_enable = false;
  std::string compression_type = "producer";  // uncompressed|zstd|lz4|snappy|gzip|producer
  int32_t compression_gzip_level = -1;        // 1..9, or -1 (zlib's default)
  int32_t compression_lz4_level = 9;          // 1..17
  int32_t compression_zstd_level = 3;         // -131072..22
  bool preallocate = false;
  // "*" or "partition:broker" entries (used by kafka-reassign-partitions.sh --throttle).
  std::vector<std::string> leader_replication_throttled_replicas;
  std::vector<std::string> follower_replication_throttled_replicas;
  // Tiered storage is not supported: remote_storage_enable stays false, the rest are inert.
  bool remote_storage_enable = false;
  int64_t local_retention_ms = -2;     // -2 = use retention.ms; >= -2
  int64_t local_retention_bytes = -2;  // -2 = use retention.bytes; >= -2
  bool remote_log_copy_disable = false;
  bool remote_log_delete_on_disable = false;

  // The defaults for every topic, from the broker's properties under their broker-level names:
  //   log.segment.bytes, log.roll.ms / log.roll.hours, log.roll.jitter.ms / log.roll.jitter.hours,
  //   log.index.size.max.bytes, log.index.interval.bytes, message.max.bytes,
  //   log.message.timestamp.type, log.message.timestamp.before.max.ms,
  //   log.message.timestamp.after.max.ms, log.flush.interval.messages,
  //   log.flush.interval.ms / log.flush.scheduler.interval.ms, log.retention.ms /
  //   log.retention.minutes / log.retention.hours, log.retention.bytes, log.cleanup.policy,
  //   log.cleaner.delete.retention.ms, log.cleaner.min.cleanable.ratio,
  //   log.cleaner.min.compaction.lag.ms, log.cleaner.max.compaction.lag.ms,
  //   log.segment.delete.delay.ms, min.insync.replicas, unclean.leader.election.enable,
  //   compression.type, compression.{gzip,lz4,zstd}.level, log.preallocate,
  //   log.local.retention.ms, log.local.retention.bytes.
  // Where several names set one value the first present wins (ms over minutes over hours); each
  // present name is still parsed and validated. A negative retention time means no limit (-1);
  // the roll time must come out >= 1, the jitter >= 0 and the retention time -1 or >= 1, as
  // KafkaConfig requires. Keys that are not log settings are ignored (the broker checks them).
  static StatusOr<LogConfig> from_broker_properties(const std::map<std::string, std::string>& props);

  // This config with a topic's own configs, under topic-level names, applied over it. Every name
  // must be a topic config ("Unknown topic config name: x" otherwise); values are validated in
  // Kafka's definition order; then, on the result, min.compaction.lag.ms must not exceed
  // max.compaction.lag.ms and remote.storage.enable must be false.
  StatusOr<LogConfig> with_topic_overrides(const std::map<std::string, std::string>& topic_configs) const;

  // Every topic-level key with this config's value as Kafka renders it (numbers in decimal,
  // doubles as Java prints them, booleans "true"/"false", lists joined with ","; cleanup.policy
  // as "delete", "compact", "compact,delete" or ""). with_topic_overrides of the result on any
  // base gives back this config.
  std::map<std::string, std::string> to_topic_configs() const;

  // All topic-level keys, in Kafka's definition order.
  static std::span<const TopicConfigKey> topic_config_keys();
  // The key with that topic-level name, or nullptr.
  static const TopicConfigKey* find_topic_config_key(std::string_view name);
  // One line on what a topic config does, as DescribeConfigs documents it; "" for other names.
  static std::string_view documentation(std::string_view name);

  bool compact() const { return cleanup_policy_compact; }
  bool delete_enabled() const { return cleanup_policy_delete; }
  // The age after which the active segment rolls: segment.ms, or max.compaction.lag.ms when the
  // topic is compacted and that is smaller (as Kafka's LogConfig.maxSegmentMs).
  int64_t max_segment_ms() const;
  // The size to preallocate a new segment file at: segment.bytes with preallocate, else 0.
  int32_t init_file_size() const { return preallocate ? segment_bytes : 0; }

  bool operator==(const LogConfig&) const = default;
};

}  // namespace gregor::storage
