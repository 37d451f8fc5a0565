#include "storage/log_config.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/error_code.h"
#include "common/status.h"

namespace gregor::storage {
namespace {

using Props = std::map<std::string, std::string>;

constexpr int64_t kLongMax = std::numeric_limits<int64_t>::max();

// The message of the invalid_config Status that `result` holds; "" (and a test failure) if it
// holds a config or another code.
std::string config_error(const StatusOr<LogConfig>& result) {
  EXPECT_FALSE(result.ok());
  if (result.ok()) return "";
  EXPECT_EQ(result.status().code(), ErrorCode::invalid_config) << result.status().to_string();
  return result.status().message();
}

LogConfig broker(const Props& props) {
  StatusOr<LogConfig> c = LogConfig::from_broker_properties(props);
  EXPECT_TRUE(c.ok()) << c.status().to_string();
  return c.ok() ? *c : LogConfig{};
}

LogConfig topic(const Props& overrides, const LogConfig& base = {}) {
  StatusOr<LogConfig> c = base.with_topic_overrides(overrides);
  EXPECT_TRUE(c.ok()) << c.status().to_string();
  return c.ok() ? *c : LogConfig{};
}

TEST(LogConfig, DefaultsMatchKafka4) {
  LogConfig c;
  EXPECT_EQ(c.segment_bytes, 1073741824);
  EXPECT_EQ(c.segment_ms, 604800000);
  EXPECT_EQ(c.segment_jitter_ms, 0);
  EXPECT_EQ(c.segment_index_bytes, 10485760);
  EXPECT_EQ(c.index_interval_bytes, 4096);
  EXPECT_EQ(c.max_message_bytes, 1048588);
  EXPECT_EQ(c.message_timestamp_type, record::TimestampType::create_time);
  EXPECT_EQ(c.message_timestamp_before_max_ms, kLongMax);
  EXPECT_EQ(c.message_timestamp_after_max_ms, 3600000);  // Long.MAX_VALUE before Kafka 4.0
  EXPECT_EQ(c.flush_ms, kLongMax);
  EXPECT_EQ(c.retention_ms, 604800000);
  EXPECT_EQ(c.retention_bytes, -1);
  EXPECT_TRUE(c.delete_enabled());
  EXPECT_FALSE(c.compact());
  EXPECT_EQ(c.delete_retention_ms, 86400000);
  EXPECT_EQ(c.min_cleanable_dirty_ratio, 0.5);
  EXPECT_EQ(c.min_compaction_lag_ms, 0);
  EXPECT_EQ(c.max_compaction_lag_ms, kLongMax);
  EXPECT_EQ(c.file_delete_delay_ms, 60000);
  EXPECT_EQ(c.min_insync_replicas, 1);
  EXPECT_FALSE(c.unclean_leader_election_enable);
  EXPECT_EQ(c.compression_type, "producer");
  EXPECT_EQ(c.compression_gzip_level, -1);
  EXPECT_EQ(c.compression_lz4_level, 9);
  EXPECT_EQ(c.compression_zstd_level, 3);
  EXPECT_FALSE(c.preallocate);
  EXPECT_TRUE(c.leader_replication_throttled_replicas.empty());
  EXPECT_TRUE(c.follower_replication_throttled_replicas.empty());
  EXPECT_FALSE(c.remote_storage_enable);
  EXPECT_EQ(c.local_retention_ms, -2);
  EXPECT_EQ(c.local_retention_bytes, -2);
  // Empty broker properties give the same defaults.
  EXPECT_EQ(broker({}), c);
}

TEST(LogConfig, DurableByDefaultUnlikeKafka) {
  // Gregor fsyncs every append before acknowledging it; Kafka's default is Long.MAX_VALUE.
  EXPECT_EQ(LogConfig{}.flush_messages, 1);
  EXPECT_EQ(broker({}).flush_messages, 1);
  EXPECT_EQ(LogConfig::find_topic_config_key("flush.messages")->default_value, "1");
  // Kafka's behaviour is one setting away, at either level.
  EXPECT_EQ(broker({{"log.flush.interval.messages", "9223372036854775807"}}).flush_messages, kLongMax);
  EXPECT_EQ(topic({{"flush.messages", "9223372036854775807"}}).flush_messages, kLongMax);
}

TEST(LogConfig, KeyTableListsKafka4TopicConfigs) {
  std::set<std::string> names;
  for (const TopicConfigKey& key : LogConfig::topic_config_keys()) names.emplace(key.name);
  EXPECT_EQ(names, (std::set<std::string>{"cleanup.policy",
                                          "compression.gzip.level",
                                          "compression.lz4.level",
                                          "compression.type",
                                          "compression.zstd.level",
                                          "delete.retention.ms",
                                          "file.delete.delay.ms",
                                          "flush.messages",
                                          "flush.ms",
                                          "follower.replication.throttled.replicas",
                                          "index.interval.bytes",
                                          "leader.replication.throttled.replicas",
                                          "local.retention.bytes",
                                          "local.retention.ms",
                                          "max.compaction.lag.ms",
                                          "max.message.bytes",
                                          "message.timestamp.after.max.ms",
                                          "message.timestamp.before.max.ms",
                                          "message.timestamp.type",
                                          "min.cleanable.dirty.ratio",
                                          "min.compaction.lag.ms",
                                          "min.insync.replicas",
                                          "preallocate",
                                          "remote.log.copy.disable",
                                          "remote.log.delete.on.disable",
                                          "remote.storage.enable",
                                          "retention.bytes",
                                          "retention.ms",
                                          "segment.bytes",
                                          "segment.index.bytes",
                                          "segment.jitter.ms",
                                          "segment.ms",
                                          "unclean.leader.election.enable"}));

  // The listed defaults are what a default config renders.
  std::map<std::string, std::string> rendered = LogConfig{}.to_topic_configs();
  ASSERT_EQ(rendered.size(), names.size());
  for (const TopicConfigKey& key : LogConfig::topic_config_keys()) {
    EXPECT_EQ(rendered.at(std::string(key.name)), key.default_value) << key.name;
  }

  const TopicConfigKey* segment_bytes = LogConfig::find_topic_config_key("segment.bytes");
  ASSERT_NE(segment_bytes, nullptr);
  EXPECT_EQ(segment_bytes->type, ConfigType::int32);
  EXPECT_EQ(segment_bytes->server_default, "log.segment.bytes");
  EXPECT_EQ(LogConfig::find_topic_config_key("retention.ms")->type, ConfigType::int64);
  EXPECT_EQ(LogConfig::find_topic_config_key("retention.ms")->server_default, "log.retention.ms");
  EXPECT_EQ(LogConfig::find_topic_config_key("max.message.bytes")->server_default, "message.max.bytes");
  EXPECT_EQ(LogConfig::find_topic_config_key("min.cleanable.dirty.ratio")->type, ConfigType::float64);
  EXPECT_EQ(LogConfig::find_topic_config_key("cleanup.policy")->type, ConfigType::list);
  EXPECT_EQ(LogConfig::find_topic_config_key("preallocate")->type, ConfigType::boolean);
  EXPECT_EQ(LogConfig::find_topic_config_key("compression.type")->type, ConfigType::string);
  EXPECT_EQ(LogConfig::find_topic_config_key("remote.storage.enable")->server_default, "");
  EXPECT_EQ(LogConfig::find_topic_config_key("log.segment.bytes"), nullptr);
  EXPECT_EQ(config_type_name(ConfigType::int32), "INT");
  EXPECT_EQ(config_type_name(ConfigType::int64), "LONG");
  EXPECT_EQ(config_type_name(ConfigType::float64), "DOUBLE");
}

TEST(LogConfig, BrokerRetentionMsBeatsMinutesBeatsHours) {
  EXPECT_EQ(broker({{"log.retention.hours", "2"}}).retention_ms, 2 * 3600000);
  EXPECT_EQ(broker({{"log.retention.minutes", "30"}, {"log.retention.hours", "2"}}).retention_ms, 30 * 60000);
  EXPECT_EQ(
      broker({{"log.retention.ms", "1234"}, {"log.retention.minutes", "30"}, {"log.retention.hours", "2"}})
          .retention_ms,
      1234);
  EXPECT_EQ(broker({{"log.retention.ms", "1234"}, {"log.retention.hours", "2"}}).retention_ms, 1234);
  // Any negative time means no limit.
  EXPECT_EQ(broker({{"log.retention.ms", "-1"}}).retention_ms, -1);
  EXPECT_EQ(broker({{"log.retention.hours", "-5"}}).retention_ms, -1);
  EXPECT_EQ(broker({{"log.retention.minutes", "-1"}, {"log.retention.hours", "5"}}).retention_ms, -1);
  // Zero is neither unlimited nor a time.
  EXPECT_EQ(config_error(LogConfig::from_broker_properties({{"log.retention.ms", "0"}})),
            "log.retention.ms must be unlimited (-1) or, greater than or equal to 1");
  // A name that loses is still validated.
  EXPECT_EQ(config_error(
                LogConfig::from_broker_properties({{"log.retention.ms", "5"}, {"log.retention.hours", "x"}})),
            "Invalid value x for configuration log.retention.hours: Not a number of type INT");
}

TEST(LogConfig, BrokerRollMsBeatsHours) {
  EXPECT_EQ(broker({{"log.roll.hours", "1"}}).segment_ms, 3600000);
  EXPECT_EQ(broker({{"log.roll.ms", "5000"}, {"log.roll.hours", "1"}}).segment_ms, 5000);
  EXPECT_EQ(broker({{"log.roll.jitter.hours", "2"}}).segment_jitter_ms, 7200000);
  EXPECT_EQ(broker({{"log.roll.jitter.ms", "10"}, {"log.roll.jitter.hours", "2"}}).segment_jitter_ms, 10);
  EXPECT_EQ(config_error(LogConfig::from_broker_properties({{"log.roll.ms", "0"}})),
            "log.roll.ms must be greater than or equal to 1");
  EXPECT_EQ(config_error(LogConfig::from_broker_properties({{"log.roll.hours", "0"}})),
            "Invalid value 0 for configuration log.roll.hours: Value must be at least 1");
  EXPECT_EQ(config_error(LogConfig::from_broker_properties({{"log.roll.jitter.ms", "-1"}})),
            "log.roll.jitter.ms must be greater than or equal to 0");
}

TEST(LogConfig, BrokerFlushIntervalFallsBackToSchedulerInterval) {
  EXPECT_EQ(broker({{"log.flush.scheduler.interval.ms", "2000"}}).flush_ms, 2000);
  EXPECT_EQ(broker({{"log.flush.interval.ms", "500"}, {"log.flush.scheduler.interval.ms", "2000"}}).flush_ms,
            500);
  // log.flush.interval.ms has no validator of its own; the value still has to be a valid flush.ms.
  EXPECT_EQ(config_error(LogConfig::from_broker_properties({{"log.flush.interval.ms", "-5"}})),
            "Invalid value -5 for configuration flush.ms: Value must be at least 0");
}

TEST(LogConfig, BrokerNamesMapOntoTopicSettings) {
  LogConfig c = broker({{"log.segment.bytes", "2097152"},
                        {"log.index.size.max.bytes", "4096"},
                        {"log.index.interval.bytes", "100"},
                        {"message.max.bytes", "2000000"},
                        {"log.message.timestamp.type", "LogAppendTime"},
                        {"log.message.timestamp.before.max.ms", "1000"},
                        {"log.message.timestamp.after.max.ms", "2000"},
                        {"log.flush.interval.messages", "10"},
                        {"log.retention.bytes", "1000000"},
                        {"log.cleanup.policy", "compact"},
                        {"log.cleaner.delete.retention.ms", "100"},
                        {"log.cleaner.min.cleanable.ratio", "0.25"},
                        {"log.cleaner.min.compaction.lag.ms", "5"},
                        {"log.cleaner.max.compaction.lag.ms", "600000"},
                        {"log.segment.delete.delay.ms", "0"},
                        {"min.insync.replicas", "2"},
                        {"unclean.leader.election.enable", "true"},
                        {"compression.type", "zstd"},
                        {"compression.zstd.level", "7"},
                        {"log.preallocate", "true"},
                        {"log.local.retention.ms", "1000"},
                        // Not log settings, or topic-level names: ignored at the broker level.
                        {"num.partitions", "3"},
                        {"segment.bytes", "abc"},
                        {"no.such.property", "x"}});
  EXPECT_EQ(c.segment_bytes, 2097152);
  EXPECT_EQ(c.segment_index_bytes, 4096);
  EXPECT_EQ(c.index_interval_bytes, 100);
  EXPECT_EQ(c.max_message_bytes, 2000000);
  EXPECT_EQ(c.message_timestamp_type, record::TimestampType::log_append_time);
  EXPECT_EQ(c.message_timestamp_before_max_ms, 1000);
  EXPECT_EQ(c.message_timestamp_after_max_ms, 2000);
  EXPECT_EQ(c.flush_messages, 10);
  EXPECT_EQ(c.retention_bytes, 1000000);
  EXPECT_TRUE(c.compact());
  EXPECT_FALSE(c.delete_enabled());
  EXPECT_EQ(c.delete_retention_ms, 100);
  EXPECT_EQ(c.min_cleanable_dirty_ratio, 0.25);
  EXPECT_EQ(c.min_compaction_lag_ms, 5);
  EXPECT_EQ(c.max_compaction_lag_ms, 600000);
  EXPECT_EQ(c.file_delete_delay_ms, 0);
  EXPECT_EQ(c.min_insync_replicas, 2);
  EXPECT_TRUE(c.unclean_leader_election_enable);
  EXPECT_EQ(c.compression_type, "zstd");
  EXPECT_EQ(c.compression_zstd_level, 7);
  EXPECT_TRUE(c.preallocate);
  EXPECT_EQ(c.local_retention_ms, 1000);
}

TEST(LogConfig, BrokerBadValuesNameTheBrokerProperty) {
  EXPECT_EQ(config_error(LogConfig::from_broker_properties({{"log.segment.bytes", "abc"}})),
            "Invalid value abc for configuration log.segment.bytes: Not a number of type INT");
  EXPECT_EQ(config_error(LogConfig::from_broker_properties({{"log.segment.bytes", "1000"}})),
            "Invalid value 1000 for configuration log.segment.bytes: Value must be at least 1048576");
  EXPECT_EQ(
      config_error(LogConfig::from_broker_properties({{"log.cleanup.policy", "delete,none"}})),
      "Invalid value none for configuration log.cleanup.policy: String must be one of: compact, delete");
  EXPECT_EQ(
      config_error(LogConfig::from_broker_properties({{"log.cleaner.min.cleanable.ratio", "2"}})),
      "Invalid value 2.0 for configuration log.cleaner.min.cleanable.ratio: Value must be no more than 1");
  EXPECT_EQ(config_error(LogConfig::from_broker_properties(
                {{"log.cleaner.min.compaction.lag.ms", "10"}, {"log.cleaner.max.compaction.lag.ms", "5"}})),
            "conflict topic config setting min.compaction.lag.ms (10) > max.compaction.lag.ms (5)");
}

TEST(LogConfig, TopicOverridesApplyOverTheBrokerDefaults) {
  LogConfig base = broker({{"log.retention.hours", "1"}, {"log.cleanup.policy", "compact"}});
  LogConfig c = topic({{"segment.bytes", "1048576"},
                       {"segment.ms", "1000"},
                       {"retention.ms", "-1"},
                       {"cleanup.policy", "delete"},
                       {"message.timestamp.type", "LogAppendTime"},
                       {"min.cleanable.dirty.ratio", "0.1"},
                       {"preallocate", "TRUE"},
                       {"max.message.bytes", " 500 "},
                       {"compression.type", "lz4"}},
                      base);
  EXPECT_EQ(c.segment_bytes, 1048576);
  EXPECT_EQ(c.segment_ms, 1000);
  EXPECT_EQ(c.retention_ms, -1);
  EXPECT_TRUE(c.delete_enabled());
  EXPECT_FALSE(c.compact());
  EXPECT_EQ(c.message_timestamp_type, record::TimestampType::log_append_time);
  EXPECT_EQ(c.min_cleanable_dirty_ratio, 0.1);
  EXPECT_TRUE(c.preallocate);
  EXPECT_EQ(c.max_message_bytes, 500);
  EXPECT_EQ(c.compression_type, "lz4");
  // What the topic does not set comes from the base, which is unchanged.
  EXPECT_EQ(c.index_interval_bytes, base.index_interval_bytes);
  EXPECT_EQ(base.retention_ms, 3600000);
  EXPECT_TRUE(base.compact());
  EXPECT_EQ(topic({}, base), base);
}

TEST(LogConfig, CleanupPolicyLists) {
  LogConfig both = topic({{"cleanup.policy", " compact , delete "}});
  EXPECT_TRUE(both.compact());
  EXPECT_TRUE(both.delete_enabled());
  EXPECT_EQ(both.to_topic_configs().at("cleanup.policy"), "compact,delete");
  LogConfig compact = topic({{"cleanup.policy", "compact"}});
  EXPECT_TRUE(compact.compact());
  EXPECT_FALSE(compact.delete_enabled());
  // An empty list: no cleanup at all, segments are kept forever.
  LogConfig neither = topic({{"cleanup.policy", ""}});
  EXPECT_FALSE(neither.compact());
  EXPECT_FALSE(neither.delete_enabled());
  EXPECT_EQ(neither.to_topic_configs().at("cleanup.policy"), "");
  // Validation is case-sensitive, and an empty item is not a policy.
  EXPECT_EQ(config_error(LogConfig{}.with_topic_overrides({{"cleanup.policy", "Delete"}})),
            "Invalid value Delete for configuration cleanup.policy: String must be one of: compact, delete");
  EXPECT_EQ(config_error(LogConfig{}.with_topic_overrides({{"cleanup.policy", "delete,"}})),
            "Invalid value  for configuration cleanup.policy: String must be one of: compact, delete");
}

TEST(LogConfig, UnknownTopicConfigsAreRejected) {
  EXPECT_EQ(config_error(LogConfig{}.with_topic_overrides({{"segment.bytes", "1048576"}, {"foo", "1"}})),
            "Unknown topic config name: foo");
  // Broker-level names are not topic configs.
  EXPECT_EQ(config_error(LogConfig{}.with_topic_overrides({{"log.retention.ms", "1"}})),
            "Unknown topic config name: log.retention.ms");
  // Removed in Kafka 4.0.
  EXPECT_EQ(config_error(LogConfig{}.with_topic_overrides({{"message.format.version", "3.0"}})),
            "Unknown topic config name: message.format.version");
  EXPECT_EQ(config_error(LogConfig{}.with_topic_overrides({{"message.timestamp.difference.max.ms", "1"}})),
            "Unknown topic config name: message.timestamp.difference.max.ms");
  EXPECT_EQ(config_error(LogConfig{}.with_topic_overrides({{"message.downconversion.enable", "true"}})),
            "Unknown topic config name: message.downconversion.enable");
}

TEST(LogConfig, BadTopicValuesGiveKafkasMessages) {
  const std::map<std::string, std::string> cases[] = {
      {{"key", "segment.bytes"},
       {"value", "abc"},
       {"message", "Invalid value abc for configuration segment.bytes: Not a number of type INT"}},
      {{"key", "segment.bytes"},
       {"value", "2147483648"},
       {"message", "Invalid value 2147483648 for configuration segment.bytes: Not a number of type INT"}},
      {{"key", "segment.bytes"},
       {"value", "1048575"},
       {"message", "Invalid value 1048575 for configuration segment.bytes: Value must be at least 1048576"}},
      {{"key", "segment.ms"},
       {"value", "0"},
       {"message", "Invalid value 0 for configuration segment.ms: Value must be at least 1"}},
      {{"key", "segment.ms"},
       {"value", "1.5"},
       {"message", "Invalid value 1.5 for configuration segment.ms: Not a number of type LONG"}},
      {{"key", "segment.index.bytes"},
       {"value", "3"},
       {"message", "Invalid value 3 for configuration segment.index.bytes: Value must be at least 4"}},
      {{"key", "retention.ms"},
       {"value", "-2"},
       {"message", "Invalid value -2 for configuration retention.ms: Value must be at least -1"}},
      {{"key", "flush.messages"},
       {"value", "0"},
       {"message", "Invalid value 0 for configuration flush.messages: Value must be at least 1"}},
      {{"key", "max.message.bytes"},
       {"value", "-1"},
       {"message", "Invalid value -1 for configuration max.message.bytes: Value must be at least 0"}},
      {{"key", "max.compaction.lag.ms"},
       {"value", "0"},
       {"message", "Invalid value 0 for configuration max.compaction.lag.ms: Value must be at least 1"}},
      {{"key", "min.insync.replicas"},
       {"value", "0"},
       {"message", "Invalid value 0 for configuration min.insync.replicas: Value must be at least 1"}},
      {{"key", "min.cleanable.dirty.ratio"},
       {"value", "1.5"},
       {"message",
        "Invalid value 1.5 for configuration min.cleanable.dirty.ratio: Value must be no more than 1"}},
      {{"key", "min.cleanable.dirty.ratio"},
       {"value", "-0.1"},
       {"message",
        "Invalid value -0.1 for configuration min.cleanable.dirty.ratio: Value must be at least 0"}},
      {{"key", "min.cleanable.dirty.ratio"},
       {"value", "half"},
       {"message",
        "Invalid value half for configuration min.cleanable.dirty.ratio: Not a number of type DOUBLE"}},
      {{"key", "preallocate"},
       {"value", "yes"},
       {"message",
        "Invalid value yes for configuration preallocate: Expected value to be either true or false"}},
      {{"key", "message.timestamp.type"},
       {"value", "createtime"},
       {"message",
        "Invalid value createtime for configuration message.timestamp.type: String must be one of: "
        "CreateTime, LogAppendTime"}},
      {{"key", "compression.type"},
       {"value", "none"},
       {"message",
        "Invalid value none for configuration compression.type: String must be one of: uncompressed, "
        "zstd, lz4, snappy, gzip, producer"}},
      {{"key", "compression.gzip.level"},
       {"value", "0"},
       {"message",
        "Invalid value 0 for configuration compression.gzip.level: Value must be between 1 and 9 or "
        "equal to -1"}},
      {{"key", "compression.lz4.level"},
       {"value", "18"},
       {"message",
        "Invalid value 18 for configuration compression.lz4.level: Value must be no more than 17"}},
      {{"key", "compression.zstd.level"},
       {"value", "-131073"},
       {"message",
        "Invalid value -131073 for configuration compression.zstd.level: Value must be at least -131072"}},
      {{"key", "local.retention.ms"},
       {"value", "-3"},
       {"message", "Invalid value -3 for configuration local.retention.ms: Value must be at least -2"}},
      {{"key", "leader.replication.throttled.replicas"},
       {"value", "0:1, x"},
       {"message",
        "Invalid value [0:1, x] for configuration leader.replication.throttled.replicas: "
        "leader.replication.throttled.replicas must be the literal '*' or a list of replicas in the "
        "following format: [partitionId]:[brokerId],[partitionId]:[brokerId],..."}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(config_error(LogConfig{}.with_topic_overrides({{c.at("key"), c.at("value")}})), c.at("message"))
        << c.at("key") << "=" << c.at("value");
  }
}

TEST(LogConfig, ValuesParseAsJavaParsesThem) {
  EXPECT_EQ(topic({{"segment.bytes", "+2097152"}}).segment_bytes, 2097152);
  EXPECT_EQ(topic({{"segment.bytes", "\t2097152\n"}}).segment_bytes, 2097152);
  EXPECT_EQ(topic({{"retention.bytes", "-9223372036854775808"}}).retention_bytes,
            std::numeric_limits<int64_t>::min());
  EXPECT_EQ(topic({{"min.cleanable.dirty.ratio", "1"}}).min_cleanable_dirty_ratio, 1.0);
  EXPECT_EQ(topic({{"min.cleanable.dirty.ratio", ".25"}}).min_cleanable_dirty_ratio, 0.25);
  EXPECT_EQ(topic({{"min.cleanable.dirty.ratio", "5e-1"}}).min_cleanable_dirty_ratio, 0.5);
  EXPECT_EQ(topic({{"min.cleanable.dirty.ratio", "0.75d"}}).min_cleanable_dirty_ratio, 0.75);
  EXPECT_EQ(topic({{"unclean.leader.election.enable", " True "}}).unclean_leader_election_enable, true);
  EXPECT_EQ(topic({{"compression.type", " gzip "}}).compression_type, "gzip");
  EXPECT_EQ(topic({{"compression.gzip.level", "-1"}}).compression_gzip_level, -1);
  EXPECT_EQ(topic({{"compression.gzip.level", "9"}}).compression_gzip_level, 9);
  EXPECT_EQ(topic({{"retention.bytes", "-5"}}).retention_bytes, -5);  // no validator, as in Kafka
  EXPECT_EQ(topic({{"leader.replication.throttled.replicas", "*"}}).leader_replication_throttled_replicas,
            (std::vector<std::string>{"*"}));
  EXPECT_EQ(topic({{"follower.replication.throttled.replicas", "0:1 , 1:2"}})
                .follower_replication_throttled_replicas,
            (std::vector<std::string>{"0:1", "1:2"}));
}

TEST(LogConfig, CombinedChecks) {
  EXPECT_EQ(config_error(LogConfig{}.with_topic_overrides(
                {{"min.compaction.lag.ms", "100"}, {"max.compaction.lag.ms", "99"}})),
            "conflict topic config setting min.compaction.lag.ms (100) > max.compaction.lag.ms (99)");
  // Checked against the combined config, not just the overrides.
  LogConfig base = topic({{"max.compaction.lag.ms", "50"}});
  EXPECT_EQ(config_error(base.with_topic_overrides({{"min.compaction.lag.ms", "51"}})),
            "conflict topic config setting min.compaction.lag.ms (51) > max.compaction.lag.ms (50)");
  EXPECT_EQ(
      config_error(LogConfig{}.with_topic_overrides({{"remote.storage.enable", "true"}})),
      "Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log "
      "storage.");
  EXPECT_FALSE(topic({{"remote.storage.enable", "false"}}).remote_storage_enable);
}

TEST(LogConfig, RoundTripsThroughTopicConfigs) {
  LogConfig custom = topic({{"segment.bytes", "2097152"},
                            {"segment.ms", "60000"},
                            {"segment.jitter.ms", "17"},
                            {"flush.messages", "9223372036854775807"},
                            {"flush.ms", "1000"},
                            {"retention.ms", "-1"},
                            {"retention.bytes", "123456789"},
                            {"cleanup.policy", "delete,compact"},
                            {"min.cleanable.dirty.ratio", "0.0001"},
                            {"message.timestamp.type", "LogAppendTime"},
                            {"message.timestamp.after.max.ms", "9223372036854775807"},
                            {"compression.type", "uncompressed"},
                            {"compression.zstd.level", "-5"},
                            {"unclean.leader.election.enable", "true"},
                            {"leader.replication.throttled.replicas", "0:1,1:2"},
                            {"local.retention.bytes", "-1"}});
  std::map<std::string, std::string> configs = custom.to_topic_configs();
  EXPECT_EQ(configs.size(), LogConfig::topic_config_keys().size());
  EXPECT_EQ(configs.at("min.cleanable.dirty.ratio"), "1.0E-4");  // as Java's Double.toString
  EXPECT_EQ(configs.at("cleanup.policy"), "compact,delete");
  EXPECT_EQ(configs.at("message.timestamp.type"), "LogAppendTime");
  EXPECT_EQ(configs.at("leader.replication.throttled.replicas"), "0:1,1:2");
  EXPECT_EQ(configs.at("unclean.leader.election.enable"), "true");
  EXPECT_EQ(configs.at("flush.messages"), "9223372036854775807");

  // On any base, the rendered configs give back the same config.
  LogConfig other_base = broker({{"log.retention.hours", "1"}, {"log.cleanup.policy", "compact"}});
  EXPECT_EQ(topic(configs, other_base), custom);
  EXPECT_EQ(topic(LogConfig{}.to_topic_configs(), other_base), LogConfig{});
  EXPECT_EQ(topic(other_base.to_topic_configs()), other_base);
}

TEST(LogConfig, DoublesRenderAsJavaDoes) {
  auto ratio = [](const std::string& value) {
    return topic({{"min.cleanable.dirty.ratio", value}}).to_topic_configs().at("min.cleanable.dirty.ratio");
  };
  EXPECT_EQ(ratio("0.5"), "0.5");
  EXPECT_EQ(ratio("1"), "1.0");
  EXPECT_EQ(ratio("0"), "0.0");
  EXPECT_EQ(ratio("0.001"), "0.001");
  EXPECT_EQ(ratio("0.00099"), "9.9E-4");
  EXPECT_EQ(ratio("0.123456789"), "0.123456789");
}

TEST(LogConfig, DerivedValues) {
  LogConfig c;
  EXPECT_EQ(c.max_segment_ms(), c.segment_ms);
  EXPECT_EQ(c.init_file_size(), 0);
  LogConfig compacted = topic({{"cleanup.policy", "compact"}, {"max.compaction.lag.ms", "1000"}});
  EXPECT_EQ(compacted.max_segment_ms(), 1000);
  LogConfig deleting = topic({{"max.compaction.lag.ms", "1000"}});
  EXPECT_EQ(deleting.max_segment_ms(), deleting.segment_ms);
  EXPECT_EQ(topic({{"preallocate", "true"}}).init_file_size(), c.segment_bytes);
}

// ---- Error codes -------------------------------------------------------------------------------

TEST(ErrorCode, NumbersAndNamesFollowKafka) {
  EXPECT_EQ(static_cast<int16_t>(ErrorCode::unknown_server_error), -1);
  EXPECT_EQ(error_name(ErrorCode::unknown_server_error), "UNKNOWN_SERVER_ERROR");
  EXPECT_EQ(error_name(ErrorCode::none), "NONE");
  EXPECT_EQ(static_cast<int16_t>(ErrorCode::offset_out_of_range), 1);
  EXPECT_EQ(error_name(ErrorCode::offset_out_of_range), "OFFSET_OUT_OF_RANGE");
  EXPECT_EQ(static_cast<int16_t>(ErrorCode::not_leader_or_follower), 6);
  EXPECT_EQ(error_name(ErrorCode::not_leader_or_follower), "NOT_LEADER_OR_FOLLOWER");
  EXPECT_EQ(static_cast<int16_t>(ErrorCode::invalid_config), 40);
  EXPECT_EQ(error_name(ErrorCode::invalid_config), "INVALID_CONFIG");
  EXPECT_EQ(static_cast<int16_t>(ErrorCode::kafka_storage_error), 56);
  EXPECT_EQ(error_name(ErrorCode::kafka_storage_error), "KAFKA_STORAGE_ERROR");
  EXPECT_EQ(static_cast<int16_t>(ErrorCode::producer_fenced), 90);
  EXPECT_EQ(error_name(ErrorCode::producer_fenced), "PRODUCER_FENCED");
  EXPECT_EQ(static_cast<int16_t>(ErrorCode::unknown_topic_id), 100);
  EXPECT_EQ(error_name(ErrorCode::unknown_topic_id), "UNKNOWN_TOPIC_ID");
  EXPECT_EQ(static_cast<int16_t>(ErrorCode::transaction_abortable), 120);
  EXPECT_EQ(error_name(ErrorCode::transaction_abortable), "TRANSACTION_ABORTABLE");
  EXPECT_EQ(static_cast<int16_t>(ErrorCode::share_session_limit_reached), 133);
  EXPECT_EQ(error_name(ErrorCode::share_session_limit_reached), "SHARE_SESSION_LIMIT_REACHED");
}

TEST(ErrorCode, EveryKafkaCodeHasANameAndAMessage) {
  std::set<std::string_view> names;
  for (int code = -1; code <= 133; ++code) {
    auto e = static_cast<ErrorCode>(code);
    EXPECT_NE(error_name(e), "UNKNOWN_ERROR_CODE") << code;
    names.insert(error_name(e));
    if (e != ErrorCode::none) {
      EXPECT_FALSE(error_message(e).empty()) << code;
    }
  }
  EXPECT_EQ(names.size(), 135u);
  EXPECT_TRUE(error_message(ErrorCode::none).empty());
  EXPECT_EQ(error_name(static_cast<ErrorCode>(134)), "UNKNOWN_ERROR_CODE");
  EXPECT_EQ(error_name(static_cast<ErrorCode>(-2)), "UNKNOWN_ERROR_CODE");
  EXPECT_FALSE(error_message(static_cast<ErrorCode>(134)).empty());
}

TEST(ErrorCode, RetriableAsKafkasExceptions) {
  for (ErrorCode e :
       {ErrorCode::corrupt_message, ErrorCode::unknown_topic_or_partition, ErrorCode::leader_not_available,
        ErrorCode::not_leader_or_follower, ErrorCode::request_timed_out, ErrorCode::replica_not_available,
        ErrorCode::network_exception, ErrorCode::coordinator_load_in_progress, ErrorCode::not_enough_replicas,
        ErrorCode::not_controller, ErrorCode::concurrent_transactions, ErrorCode::kafka_storage_error,
        ErrorCode::fenced_leader_epoch, ErrorCode::offset_not_available, ErrorCode::throttling_quota_exceeded,
        ErrorCode::unknown_topic_id, ErrorCode::share_session_limit_reached}) {
    EXPECT_TRUE(is_retriable(e)) << error_name(e);
  }
  for (ErrorCode e : {ErrorCode::none, ErrorCode::unknown_server_error, ErrorCode::offset_out_of_range,
                      ErrorCode::broker_not_available, ErrorCode::message_too_large,
                      ErrorCode::invalid_config, ErrorCode::rebalance_in_progress, ErrorCode::producer_fenced,
                      ErrorCode::invalid_producer_epoch, ErrorCode::transaction_abortable,
                      ErrorCode::stale_member_epoch, ErrorCode::offset_moved_to_tiered_storage,
                      ErrorCode::rebootstrap_required, static_cast<ErrorCode>(134)}) {
    EXPECT_FALSE(is_retriable(e)) << error_name(e);
  }
  int retriable = 0;
  for (int code = -1; code <= 133; ++code) retriable += is_retriable(static_cast<ErrorCode>(code)) ? 1 : 0;
  EXPECT_EQ(retriable, 32);
}

TEST(ErrorCode, StatusToStringStartsWithTheName) {
  EXPECT_EQ(Status(ErrorCode::invalid_config, "Unknown topic config name: x").to_string(),
            "INVALID_CONFIG: Unknown topic config name: x");
  EXPECT_EQ(Status().to_string(), "NONE");
}

}  // namespace
}  // namespace gregor::storage
