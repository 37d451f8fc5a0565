// What the controller knows about config keys: where a topic config's value comes from when the
// topic does not set it (Kafka's KafkaConfigSchema.resolveEffectiveTopicConfigs), and which keys
// are lists (for IncrementalAlterConfigs' APPEND and SUBTRACT).
//
// A topic config that the topic does not set takes the broker's value under one of its
// broker-level names (segment.ms from log.roll.ms, or log.roll.hours, ...), looked for in order in
// the broker's own dynamic configs, the cluster-wide dynamic defaults (broker ""), the broker's
// static properties, and last Kafka's default.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "metadata/image.h"
#include "storage/log_config.h"

namespace gregor::controller {

// Where a config's value comes from, as DescribeConfigs and CreateTopics report it
// (DescribeConfigsResponse.ConfigSource).
enum class ConfigSource : int8_t {
  unknown = 0,
  dynamic_topic_config = 1,
  dynamic_broker_config = 2,
  dynamic_default_broker_config = 3,
  static_broker_config = 4,
  default_config = 5,
};

struct EffectiveConfig {
  std::string name;
  std::string value;
  ConfigSource source = ConfigSource::unknown;
};

// The broker-level configs under a topic's own, most specific first.
struct BrokerConfigLayers {
  const metadata::MetadataImage::Configs& node_dynamic;     // the broker's own dynamic configs
  const metadata::MetadataImage::Configs& cluster_dynamic;  // the cluster-wide defaults (broker "")
  const std::map<std::string, std::string>& static_config;  // the broker's properties

  // The layers merged, the most specific value of each key winning.
  std::map<std::string, std::string> merged() const;
  // The defaults every topic starts from. A layer whose log settings do not parse is skipped, so
  // a bad dynamic value cannot stop topics from being created.
  storage::LogConfig log_defaults() const;
};

// Every topic config, by name, as a topic with these configs of its own sees it: its own raw
// value (DYNAMIC_TOPIC_CONFIG), else the broker-level value and the layer it came from.
std::vector<EffectiveConfig> effective_topic_configs(const BrokerConfigLayers& layers,
                                                     const std::map<std::string, std::string>& topic_configs);

// The broker-level names that set a topic config's default, in the order Kafka looks for them.
std::vector<std::string_view> broker_synonyms(std::string_view topic_config);

// Whether a config of a resource type holds a comma-separated list.
bool is_list_config(metadata::ConfigResourceType type, std::string_view name);

// The default of a topic config as Kafka's schema gives it, or of the broker-level name of one
// (log.cleanup.policy); nullopt for other keys.
std::optional<std::string> schema_default(metadata::ConfigResourceType type, std::string_view name);

}  // namespace gregor::controller
