#include "storage/log_config.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <variant>

#include "storage/config_def.h"

namespace gregor::storage {
namespace {

constexpr std::string_view kTimestampTypes[] = {"CreateTime", "LogAppendTime"};
// BrokerCompressionType.names(), in Kafka's order.
constexpr std::string_view kCompressionTypes[] = {"uncompressed", "zstd", "lz4",
                                                  "snappy",       "gzip", "producer"};
constexpr std::string_view kCleanupPolicies[] = {"compact", "delete"};

// ---- The topic-level keys --------------------------------------------------------------------

struct KeyDef {
  TopicConfigKey key;
  ConfigValidator validator;
  void (*set)(LogConfig&, const ConfigValue&);
  ConfigValue (*get)(const LogConfig&);
  // The broker default comes from several properties with unit conversions or precedence
  // (segment.ms, segment.jitter.ms, flush.ms, retention.ms); from_broker_properties handles it.
  bool derived_broker_default = false;
};

#define GREGOR_FIELD(member)                                                                 \
  [](LogConfig& c, const ConfigValue& v) { c.member = std::get<decltype(LogConfig::member)>(v); }, \
      [](const LogConfig& c) -> ConfigValue { return c.member; }

// Kafka's LogConfig definition order (it decides which of several bad values is reported).
const KeyDef kKeyDefs[] = {
    {{"segment.bytes", ConfigType::int32, "1073741824", "log.segment.bytes"},
     at_least(1024 * 1024),
     GREGOR_FIELD(segment_bytes)},
    {{"segment.ms", ConfigType::int64, "604800000", "log.roll.ms"},
     at_least(1),
     GREGOR_FIELD(segment_ms),
     true},
    {{"segment.jitter.ms", ConfigType::int64, "0", "log.roll.jitter.ms"},
     at_least(0),
     GREGOR_FIELD(segment_jitter_ms),
     true},
    {{"segment.index.bytes", ConfigType::int32, "10485760", "log.index.size.max.bytes"},
     at_least(4),
     GREGOR_FIELD(segment_index_bytes)},
    {{"flush.messages", ConfigType::int64, "1", "log.flush.interval.messages"},
     at_least(1),
     GREGOR_FIELD(flush_messages)},
    {{"flush.ms", ConfigType::int64, "9223372036854775807", "log.flush.interval.ms"},
     at_least(0),
     GREGOR_FIELD(flush_ms),
     true},
    {{"retention.bytes", ConfigType::int64, "-1", "log.retention.bytes"},
     no_check(),
     GREGOR_FIELD(retention_bytes)},
    {{"retention.ms", ConfigType::int64, "604800000", "log.retention.ms"},
     at_least(-1),
     GREGOR_FIELD(retention_ms),
     true},
    {{"max.message.bytes", ConfigType::int32, "1048588", "message.max.bytes"},
     at_least(0),
     GREGOR_FIELD(max_message_bytes)},
    {{"index.interval.bytes", ConfigType::int32, "4096", "log.index.interval.bytes"},
     at_least(0),
     GREGOR_FIELD(index_interval_bytes)},
    {{"delete.retention.ms", ConfigType::int64, "86400000", "log.cleaner.delete.retention.ms"},
     at_least(0),
     GREGOR_FIELD(delete_retention_ms)},
    {{"min.compaction.lag.ms", ConfigType::int64, "0", "log.cleaner.min.compaction.lag.ms"},
     at_least(0),
     GREGOR_FIELD(min_compaction_lag_ms)},
    {{"max.compaction.lag.ms", ConfigType::int64, "9223372036854775807", "log.cleaner.max.compaction.lag.ms"},
     at_least(1),
     GREGOR_FIELD(max_compaction_lag_ms)},
    {{"file.delete.delay.ms", ConfigType::int64, "60000", "log.segment.delete.delay.ms"},
     at_least(0),
     GREGOR_FIELD(file_delete_delay_ms)},
    {{"min.cleanable.dirty.ratio", ConfigType::float64, "0.5", "log.cleaner.min.cleanable.ratio"},
     between(0, 1),
     GREGOR_FIELD(min_cleanable_dirty_ratio)},
    {{"cleanup.policy", ConfigType::list, "delete", "log.cleanup.policy"},
     list_of(kCleanupPolicies),
     [](LogConfig& c, const ConfigValue& v) {
       const auto& items = std::get<std::vector<std::string>>(v);
       c.cleanup_policy_compact = std::find(items.begin(), items.end(), "compact") != items.end();
       c.cleanup_policy_delete = std::find(items.begin(), items.end(), "delete") != items.end();
     },
     [](const LogConfig& c) -> ConfigValue {
       std::vector<std::string> items;
       if (c.cleanup_policy_compact) items.emplace_back("compact");
       if (c.cleanup_policy_delete) items.emplace_back("delete");
       return items;
     }},
    {{"unclean.leader.election.enable", ConfigType::boolean, "false", "unclean.leader.election.enable"},
     no_check(),
     GREGOR_FIELD(unclean_leader_election_enable)},
    {{"min.insync.replicas", ConfigType::int32, "1", "min.insync.replicas"},
     at_least(1),
     GREGOR_FIELD(min_insync_replicas)},
    {{"compression.type", ConfigType::string, "producer", "compression.type"},
     one_of(kCompressionTypes),
     GREGOR_FIELD(compression_type)},
    {{"compression.gzip.level", ConfigType::int32, "-1", "compression.gzip.level"},
     {ConfigCheck::gzip_level, 0, 0, {}},
     GREGOR_FIELD(compression_gzip_level)},
    {{"compression.lz4.level", ConfigType::int32, "9", "compression.lz4.level"},
     between(1, 17),
     GREGOR_FIELD(compression_lz4_level)},
    {{"compression.zstd.level", ConfigType::int32, "3", "compression.zstd.level"},
     between(-131072, 22),
     GREGOR_FIELD(compression_zstd_level)},
    {{"preallocate", ConfigType::boolean, "false", "log.preallocate"}, no_check(), GREGOR_FIELD(preallocate)},
    {{"message.timestamp.type", ConfigType::string, "CreateTime", "log.message.timestamp.type"},
     one_of(kTimestampTypes),
     [](LogConfig& c, const ConfigValue& v) {
       c.message_timestamp_type = std::get<std::string>(v) == "LogAppendTime"
                                      ? record::TimestampType::log_append_time
                                      : record::TimestampType::create_time;
     },
     [](const LogConfig& c) -> ConfigValue {
       return std::string(c.message_timestamp_type == record::TimestampType::log_append_time ? "LogAppendTime"
                                                                                             : "CreateTime");
     }},
    {{"message.timestamp.before.max.ms", ConfigType::int64, "9223372036854775807",
      "log.message.timestamp.before.max.ms"},
     at_least(0),
     GREGOR_FIELD(message_timestamp_before_max_ms)},
    {{"message.timestamp.after.max.ms", ConfigType::int64, "3600000", "log.message.timestamp.after.max.ms"},
     at_least(0),
     GREGOR_FIELD(message_timestamp_after_max_ms)},
    {{"leader.replication.throttled.replicas", ConfigType::list, "", ""},
     {ConfigCheck::throttled_replicas, 0, 0, {}},
     [](LogConfig& c, const ConfigValue& v) {
       c.leader_replication_throttled_replicas.clear();
       for (const std::string& s : std::get<std::vector<std::string>>(v)) {
         c.leader_replication_throttled_replicas.emplace_back(java_trim(s));
       }
     },
     [](const LogConfig& c) -> ConfigValue { return c.leader_replication_throttled_replicas; }},
    {{"follower.replication.throttled.replicas", ConfigType::list, "", ""},
     {ConfigCheck::throttled_replicas, 0, 0, {}},
     [](LogConfig& c, const ConfigValue& v) {
       c.follower_replication_throttled_replicas.clear();
       for (const std::string& s : std::get<std::vector<std::string>>(v)) {
         c.follower_replication_throttled_replicas.emplace_back(java_trim(s));
       }
     },
     [](const LogConfig& c) -> ConfigValue { return c.follower_replication_throttled_replicas; }},
    {{"remote.storage.enable", ConfigType::boolean, "false", ""},
     no_check(),
     GREGOR_FIELD(remote_storage_enable)},
    {{"local.retention.ms", ConfigType::int64, "-2", "log.local.retention.ms"},
     at_least(-2),
     GREGOR_FIELD(local_retention_ms)},
    {{"local.retention.bytes", ConfigType::int64, "-2", "log.local.retention.bytes"},
     at_least(-2),
     GREGOR_FIELD(local_retention_bytes)},
    {{"remote.log.copy.disable", ConfigType::boolean, "false", ""},
     no_check(),
     GREGOR_FIELD(remote_log_copy_disable)},
    {{"remote.log.delete.on.disable", ConfigType::boolean, "false", ""},
     no_check(),
     GREGOR_FIELD(remote_log_delete_on_disable)},
};

#undef GREGOR_FIELD

const KeyDef* find_def(std::string_view name) {
  for (const KeyDef& def : kKeyDefs) {
    if (def.key.name == name) return &def;
  }
  return nullptr;
}

// Checks on the combined config that no single value shows (Kafka's LogConfig.validateValues,
// and the tiered-storage check a broker with tiered storage disabled makes).
Status validate_combined(const LogConfig& c) {
  if (c.min_compaction_lag_ms > c.max_compaction_lag_ms) {
    return Status(ErrorCode::invalid_config, "conflict topic config setting min.compaction.lag.ms (" +
                                                 std::to_string(c.min_compaction_lag_ms) +
                                                 ") > max.compaction.lag.ms (" +
                                                 std::to_string(c.max_compaction_lag_ms) + ")");
  }
  if (c.remote_storage_enable) {
    return Status(ErrorCode::invalid_config,
                  "Tiered Storage functionality is disabled in the broker. Topic cannot be configured with "
                  "remote log storage.");
  }
  return {};
}

// ---- Broker properties -----------------------------------------------------------------------

constexpr int64_t kMillisPerMinute = 60 * 1000;
constexpr int64_t kMillisPerHour = 60 * kMillisPerMinute;

// A broker property that feeds a derived default, with its own type and validator.
struct BrokerKey {
  std::string_view name;
  ConfigType type;
  ConfigValidator validator;
};

constexpr BrokerKey kLogRollMs{"log.roll.ms", ConfigType::int64, {}};
constexpr BrokerKey kLogRollHours{"log.roll.hours", ConfigType::int32, at_least(1)};
constexpr BrokerKey kLogRollJitterMs{"log.roll.jitter.ms", ConfigType::int64, {}};
constexpr BrokerKey kLogRollJitterHours{"log.roll.jitter.hours", ConfigType::int32, at_least(0)};
constexpr BrokerKey kLogRetentionMs{"log.retention.ms", ConfigType::int64, {}};
constexpr BrokerKey kLogRetentionMinutes{"log.retention.minutes", ConfigType::int32, {}};
constexpr BrokerKey kLogRetentionHours{"log.retention.hours", ConfigType::int32, {}};
constexpr BrokerKey kLogFlushIntervalMs{"log.flush.interval.ms", ConfigType::int64, {}};
constexpr BrokerKey kLogFlushSchedulerIntervalMs{"log.flush.scheduler.interval.ms", ConfigType::int64, {}};

// The property as an integer when present; a parse or validation failure goes to *error.
std::optional<int64_t> broker_integer(const std::map<std::string, std::string>& props, const BrokerKey& key,
                                      Status* error) {
  auto it = props.find(std::string(key.name));
  if (it == props.end()) return std::nullopt;
  StatusOr<ConfigValue> v = parse_and_validate(key.name, key.type, key.validator, it->second);
  if (!v) {
    if (error->ok()) *error = v.status();
    return std::nullopt;
  }
  if (auto* i = std::get_if<int32_t>(&*v)) return *i;
  return std::get<int64_t>(*v);
}

// What each topic config does, for DescribeConfigs' documentation field.
struct TopicConfigDoc {
  std::string_view name;
  std::string_view doc;
};

constexpr TopicConfigDoc kTopicConfigDocs[] = {
    {"segment.bytes", "The size at which the active segment of a partition's log is rolled."},
    {"segment.ms", "The age at which the active segment is rolled even when not full, so retention and "
                   "compaction can act on it."},
    {"segment.jitter.ms", "The most a random offset may subtract from segment.ms, so that segments do not "
                          "all roll at once."},
    {"segment.index.bytes", "The size of the offset and time index files of a segment."},
    {"flush.messages", "The number of records after which an fsync is forced (Gregor's default, 1, syncs "
                       "every append)."},
    {"flush.ms", "The time after which an fsync is forced, whatever flush.messages says."},
    {"retention.bytes", "The size a partition's log may reach before old segments are deleted under the "
                        "delete policy; -1 for no limit."},
    {"retention.ms", "How long a segment is kept before it is deleted under the delete policy; -1 for no "
                     "limit."},
    {"max.message.bytes", "The largest record batch the topic accepts, after compression."},
    {"index.interval.bytes", "How many bytes of records go between two entries of the offset index."},
    {"delete.retention.ms", "How long the tombstones of a compacted topic are kept, for consumers to see "
                            "them."},
    {"min.compaction.lag.ms", "The least time a record stays uncompacted in the log."},
    {"max.compaction.lag.ms", "The most time a record may stay uncompacted in the log."},
    {"file.delete.delay.ms", "How long a deleted segment's files wait before they are removed."},
    {"min.cleanable.dirty.ratio", "The share of the log that must be uncompacted before the cleaner "
                                  "compacts it."},
    {"cleanup.policy", "What happens to old segments: delete, compact, both, or neither (an empty list)."},
    {"unclean.leader.election.enable", "Whether a replica outside the ISR may become leader, at the cost "
                                       "of losing records."},
    {"min.insync.replicas", "The fewest in-sync replicas that must acknowledge a write with acks=all."},
    {"compression.type", "The final compression of the topic's batches: uncompressed, zstd, lz4, snappy, "
                         "gzip, or producer (as sent)."},
    {"compression.gzip.level", "The level of gzip compression when compression.type is gzip."},
    {"compression.lz4.level", "The level of lz4 compression when compression.type is lz4."},
    {"compression.zstd.level", "The level of zstd compression when compression.type is zstd."},
    {"preallocate", "Whether a new segment's file is allocated at its full size when it is created."},
    {"message.timestamp.type", "Whether record timestamps are the producer's (CreateTime) or the broker's "
                               "(LogAppendTime)."},
    {"message.timestamp.before.max.ms", "How far in the past a CreateTime timestamp may be before the "
                                        "batch is refused."},
    {"message.timestamp.after.max.ms", "How far in the future a CreateTime timestamp may be before the "
                                       "batch is refused."},
    {"leader.replication.throttled.replicas", "The replicas whose log replication is throttled on the "
                                              "leader side: partition:broker entries, or *."},
    {"follower.replication.throttled.replicas", "The replicas whose log replication is throttled on the "
                                                "follower side: partition:broker entries, or *."},
    {"remote.storage.enable", "Whether the topic uses tiered storage (not supported: must stay false)."},
    {"local.retention.ms", "How long segments stay on local disk with tiered storage; -2 for retention.ms."},
    {"local.retention.bytes", "How much log stays on local disk with tiered storage; -2 for "
                              "retention.bytes."},
    {"remote.log.copy.disable", "Whether copying segments to tiered storage is stopped."},
    {"remote.log.delete.on.disable", "Whether tiered storage data is deleted when tiered storage is "
                                     "turned off for the topic."},
};

}  // namespace

std::string_view LogConfig::documentation(std::string_view name) {
  for (const TopicConfigDoc& d : kTopicConfigDocs) {
    if (d.name == name) return d.doc;
  }
  return {};
}

std::span<const TopicConfigKey> LogConfig::topic_config_keys() {
  static const std::vector<TopicConfigKey> keys = [] {
    std::vector<TopicConfigKey> out;
    for (const KeyDef& def : kKeyDefs) out.push_back(def.key);
    return out;
  }();
  return keys;
}

const TopicConfigKey* LogConfig::find_topic_config_key(std::string_view name) {
  for (const TopicConfigKey& key : topic_config_keys()) {
    if (key.name == name) return &key;
  }
  return nullptr;
}

StatusOr<LogConfig> LogConfig::from_broker_properties(const std::map<std::string, std::string>& props) {
  LogConfig out;
  Status error;

  // Properties that map one to one onto a topic config share its type and validator.
  for (const KeyDef& def : kKeyDefs) {
    if (def.derived_broker_default || def.key.server_default.empty()) continue;
    auto it = props.find(std::string(def.key.server_default));
    if (it == props.end()) continue;
    StatusOr<ConfigValue> v = parse_and_validate(def.key.server_default, def.key.type, def.validator, it->second);
    if (!v) return v.status();
    def.set(out, *v);
  }

  // The rest: every present name is parsed and validated; the first present one wins.
  std::optional<int64_t> roll_ms = broker_integer(props, kLogRollMs, &error);
  std::optional<int64_t> roll_hours = broker_integer(props, kLogRollHours, &error);
  std::optional<int64_t> jitter_ms = broker_integer(props, kLogRollJitterMs, &error);
  std::optional<int64_t> jitter_hours = broker_integer(props, kLogRollJitterHours, &error);
  std::optional<int64_t> retention_ms = broker_integer(props, kLogRetentionMs, &error);
  std::optional<int64_t> retention_minutes = broker_integer(props, kLogRetentionMinutes, &error);
  std::optional<int64_t> retention_hours = broker_integer(props, kLogRetentionHours, &error);
  std::optional<int64_t> flush_interval_ms = broker_integer(props, kLogFlushIntervalMs, &error);
  std::optional<int64_t> flush_scheduler_ms = broker_integer(props, kLogFlushSchedulerIntervalMs, &error);
  if (!error) return error;

  out.segment_ms = roll_ms ? *roll_ms : roll_hours.value_or(7 * 24) * kMillisPerHour;
  out.segment_jitter_ms = jitter_ms ? *jitter_ms : jitter_hours.value_or(0) * kMillisPerHour;
  if (retention_ms) {
    out.retention_ms = *retention_ms;
  } else if (retention_minutes) {
    out.retention_ms = *retention_minutes * kMillisPerMinute;
  } else {
    out.retention_ms = retention_hours.value_or(7 * 24) * kMillisPerHour;
  }
  if (out.retention_ms < 0) out.retention_ms = -1;
  out.flush_ms = flush_interval_ms ? *flush_interval_ms : flush_scheduler_ms.value_or(kLongMax);

  // KafkaConfig's requirements on the derived values.
  if (out.segment_ms < 1) {
    return Status(ErrorCode::invalid_config, "log.roll.ms must be greater than or equal to 1");
  }
  if (out.segment_jitter_ms < 0) {
    return Status(ErrorCode::invalid_config, "log.roll.jitter.ms must be greater than or equal to 0");
  }
  if (out.retention_ms < 1 && out.retention_ms != -1) {
    return Status(ErrorCode::invalid_config,
                  "log.retention.ms must be unlimited (-1) or, greater than or equal to 1");
  }
  // The derived values then pass the topic-level validators, as when Kafka builds its default
  // LogConfig from the broker config (only flush.ms can fail here: log.flush.interval.ms has no
  // validator of its own).
  for (const KeyDef& def : kKeyDefs) {
    if (!def.derived_broker_default) continue;
    if (Status s = validate_config_value(def.key.name, def.validator, def.get(out)); !s) return s;
  }
  if (Status s = validate_combined(out); !s) return s;
  return out;
}

StatusOr<LogConfig> LogConfig::with_topic_overrides(
    const std::map<std::string, std::string>& topic_configs) const {
  for (const auto& [name, value] : topic_configs) {
    if (find_def(name) == nullptr) {
      return Status(ErrorCode::invalid_config, "Unknown topic config name: " + name);
    }
  }
  LogConfig out = *this;
  for (const KeyDef& def : kKeyDefs) {
    auto it = topic_configs.find(std::string(def.key.name));
    if (it == topic_configs.end()) continue;
    StatusOr<ConfigValue> v = parse_and_validate(def.key.name, def.key.type, def.validator, it->second);
    if (!v) return v.status();
    def.set(out, *v);
  }
  if (Status s = validate_combined(out); !s) return s;
  return out;
}

std::map<std::string, std::string> LogConfig::to_topic_configs() const {
  std::map<std::string, std::string> out;
  for (const KeyDef& def : kKeyDefs) out.emplace(def.key.name, render_config_value(def.get(*this)));
  return out;
}

int64_t LogConfig::max_segment_ms() const {
  if (compact() && max_compaction_lag_ms > 0) return std::min(max_compaction_lag_ms, segment_ms);
  return segment_ms;
}

}  // namespace gregor::storage
