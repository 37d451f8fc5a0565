// The broker config names a Kafka 4.x broker knows, with Kafka's types, defaults, importance and
// dynamic update modes (DynamicBrokerConfig: read-only, per-broker or cluster-wide).
//
// Three kinds of keys:
//   - modelled: Gregor reads them; full definition (default, validator, short doc);
//   - log: the broker-level log settings, which LogConfig::from_broker_properties parses and
//     validates (storage/log_config.h) and which give every topic its defaults; the table has their
//     defaults and docs for DescribeConfigs;
//   - accepted: Kafka knows them but Gregor does not act on them (ssl.*, sasl.*, quotas, tiered
//     storage, metrics, ...). They are parsed by type and kept, so a config written for Kafka
//     loads without warnings; the table has no default for them.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "storage/config_def.h"

namespace gregor::config {

using storage::ConfigType;

enum class ConfigImportance : int8_t { high, medium, low };

// How a config may change while the broker runs (Kafka's DynamicBrokerConfig).
enum class DynamicUpdateMode : int8_t {
  read_only,     // only in server.properties
  per_broker,    // dynamically, for one broker (IncrementalAlterConfigs on BROKER "<id>")
  cluster_wide,  // dynamically, per broker or as the cluster default (BROKER "")
};

enum class KeyKind : int8_t { modelled, log, accepted };

struct BrokerConfigKey {
  std::string_view name;
  ConfigType type;
  // Kafka's default as DescribeConfigs renders it; nullopt for null (unset) or no default.
  std::optional<std::string_view> default_value;
  // No default at all: loading fails without it ("Missing required configuration ...").
  bool required = false;
  ConfigImportance importance = ConfigImportance::low;
  DynamicUpdateMode dynamic = DynamicUpdateMode::read_only;
  storage::ConfigValidator validator = {};
  std::string_view doc;
  KeyKind kind = KeyKind::modelled;
};

// Every key, modelled and log keys first, then the accepted ones; names are unique.
std::span<const BrokerConfigKey> broker_config_keys();

// The key with exactly that name, or nullptr.
const BrokerConfigKey* find_broker_config_key(std::string_view name);

// The names whose values stand in for name, in precedence order, name included (Kafka's
// DynamicBrokerConfig.brokerConfigSynonyms, plus log.dir behind log.dirs):
//   log.roll.ms, log.roll.hours; log.roll.jitter.ms, log.roll.jitter.hours;
//   log.retention.ms, log.retention.minutes, log.retention.hours;
//   log.flush.interval.ms, log.flush.scheduler.interval.ms; log.dirs, log.dir.
// A listener override "listener.name.<listener>.<config>" has <config> as its synonym.
std::vector<std::string_view> broker_config_synonyms(std::string_view name);

// The <config> of "listener.name.<listener>.<config>", or nullopt for any other name.
std::optional<std::string_view> listener_override_base(std::string_view name);

// Kafka's SslConfigs.RECONFIGURABLE_CONFIGS: keystore and truststore settings, which can be
// changed dynamically only with a listener prefix.
bool is_listener_only_security_config(std::string_view name);

}  // namespace gregor::config
