#include "controller/config_schema.h"

#include <algorithm>

namespace gregor::controller {

using metadata::ConfigResourceType;

namespace {

// Broker-level names beyond LogConfig's server_default that set a topic config, after it
// (Kafka's ServerTopicConfigSynonyms).
struct ExtraSynonym {
  std::string_view topic_config;
  std::string_view broker_config;
};
constexpr ExtraSynonym kExtraSynonyms[] = {
    {"segment.ms", "log.roll.hours"},
    {"segment.jitter.ms", "log.roll.jitter.hours"},
    {"retention.ms", "log.retention.minutes"},
    {"retention.ms", "log.retention.hours"},
    {"flush.ms", "log.flush.scheduler.interval.ms"},
};

template <typename Map>
bool has_any(const Map& configs, const std::vector<std::string_view>& names) {
  return std::any_of(names.begin(), names.end(), [&](std::string_view n) { return configs.count(std::string(n)) > 0; });
}

}  // namespace

std::map<std::string, std::string> BrokerConfigLayers::merged() const {
  std::map<std::string, std::string> out = static_config;
  for (const auto& [k, v] : cluster_dynamic) out[k] = v;
  for (const auto& [k, v] : node_dynamic) out[k] = v;
  return out;
}

storage::LogConfig BrokerConfigLayers::log_defaults() const {
  if (auto all = storage::LogConfig::from_broker_properties(merged()); all.ok()) return *all;
  if (auto fixed = storage::LogConfig::from_broker_properties(static_config); fixed.ok()) return *fixed;
  return storage::LogConfig{};
}

std::vector<std::string_view> broker_synonyms(std::string_view topic_config) {
  std::vector<std::string_view> names;
  const storage::TopicConfigKey* key = storage::LogConfig::find_topic_config_key(topic_config);
  if (!key) return names;
  if (!key->server_default.empty()) names.push_back(key->server_default);
  for (const ExtraSynonym& s : kExtraSynonyms) {
    if (s.topic_config == topic_config) names.push_back(s.broker_config);
  }
  return names;
}

std::vector<EffectiveConfig> effective_topic_configs(const BrokerConfigLayers& layers,
                                                     const std::map<std::string, std::string>& topic_configs) {
  const std::map<std::string, std::string> defaults = layers.log_defaults().to_topic_configs();
  std::vector<EffectiveConfig> out;
  for (const storage::TopicConfigKey& key : storage::LogConfig::topic_config_keys()) {
    const std::string name(key.name);
    EffectiveConfig entry{name, "", ConfigSource::default_config};
    if (auto it = topic_configs.find(name); it != topic_configs.end()) {
      entry.value = it->second;
      entry.source = ConfigSource::dynamic_topic_config;
    } else {
      const std::vector<std::string_view> synonyms = broker_synonyms(key.name);
      if (has_any(layers.node_dynamic, synonyms)) {
        entry.source = ConfigSource::dynamic_broker_config;
      } else if (has_any(layers.cluster_dynamic, synonyms)) {
        entry.source = ConfigSource::dynamic_default_broker_config;
      } else if (has_any(layers.static_config, synonyms)) {
        entry.source = ConfigSource::static_broker_config;
      }
      auto d = defaults.find(name);
      entry.value = d == defaults.end() ? std::string(key.default_value) : d->second;
    }
    out.push_back(std::move(entry));
  }
  std::sort(out.begin(), out.end(), [](const EffectiveConfig& a, const EffectiveConfig& b) { return a.name < b.name; });
  return out;
}

bool is_list_config(ConfigResourceType type, std::string_view name) {
  const auto is_list_topic_key = [](std::string_view topic_name) {
    const storage::TopicConfigKey* key = storage::LogConfig::find_topic_config_key(topic_name);
    return key && key->type == storage::ConfigType::list;
  };
  if (type == ConfigResourceType::topic) return is_list_topic_key(name);
  if (type == ConfigResourceType::broker) {
    // The broker-level names of list-valued topic configs (log.cleanup.policy).
    for (const storage::TopicConfigKey& key : storage::LogConfig::topic_config_keys()) {
      if (key.type == storage::ConfigType::list && key.server_default == name) return true;
    }
  }
  return false;
}

std::optional<std::string> schema_default(ConfigResourceType type, std::string_view name) {
  if (type == ConfigResourceType::broker) {
    // The broker-level name of a topic config has the same default (log.cleanup.policy).
    for (const storage::TopicConfigKey& key : storage::LogConfig::topic_config_keys()) {
      if (key.server_default == name) return std::string(key.default_value);
    }
    return std::nullopt;
  }
  if (type != ConfigResourceType::topic) return std::nullopt;
  const storage::TopicConfigKey* key = storage::LogConfig::find_topic_config_key(name);
  if (!key) return std::nullopt;
  return std::string(key->default_value);
}

}  // namespace gregor::controller
