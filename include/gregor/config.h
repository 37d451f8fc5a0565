// Client configuration with Kafka's property names, types, defaults and validation.
//
// A client is configured from Properties (name -> value strings, as Java's Properties) or a
// properties file. Each client kind has a ConfigDef listing every key it knows; parsing checks
// every given key against it: an unknown key, a missing required one, a value of the wrong type
// or outside its range is a ConfigException whose message names the key, as Kafka's does.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gregor/errors.h"

namespace gregor {

using Properties = std::map<std::string, std::string>;

// Java's properties format: key=value, key:value or "key value"; '#' and '!' comments; a
// trailing backslash continues a line; \t \n \r \\ \uXXXX escapes.
Properties parse_properties(std::string_view text);
// Reads a properties file; a file that cannot be read is a ConfigException naming it.
Properties load_properties(const std::string& path);

enum class ConfigType { boolean, string, int32, int64, float64, list, class_name, password };

struct ConfigKey {
  std::string name;
  ConfigType type = ConfigType::string;
  // No default: the key is required. A default of std::nullopt with has_default is Java's null.
  bool has_default = true;
  std::optional<std::string> default_value;
  // Numeric range (inclusive) and, for strings, the accepted values (compared case-insensitively
  // when case_insensitive is set, as Kafka's CaseInsensitiveValidString).
  std::optional<double> min;
  std::optional<double> max;
  std::vector<std::string> one_of;
  bool case_insensitive = false;
  bool list_non_empty = false;
};

class ConfigValues;

class ConfigDef {
 public:
  ConfigDef& define(ConfigKey key);
  const ConfigKey* find(std::string_view name) const;
  const std::map<std::string, ConfigKey, std::less<>>& keys() const { return keys_; }
  // Parses and validates; throws ConfigException.
  ConfigValues parse(const Properties& props) const;

 private:
  std::map<std::string, ConfigKey, std::less<>> keys_;
};

// Parsed values; each getter throws ConfigException for a key the definition lacks or when the
// type differs. A null value (Java's null) reads as std::nullopt from get_optional_string.
class ConfigValues {
 public:
  bool get_bool(std::string_view name) const;
  int32_t get_int(std::string_view name) const;
  int64_t get_long(std::string_view name) const;
  double get_double(std::string_view name) const;
  std::string get_string(std::string_view name) const;  // "" when null
  std::optional<std::string> get_optional_string(std::string_view name) const;
  std::vector<std::string> get_list(std::string_view name) const;
  // Whether the user gave the key (rather than the default applying).
  bool originally_set(std::string_view name) const;
  const Properties& originals() const { return originals_; }

 private:
  friend class ConfigDef;
  struct Value {
    ConfigType type;
    std::optional<std::string> raw;  // nullopt: null
    bool b = false;
    int64_t i = 0;
    double d = 0;
    std::vector<std::string> list;
  };
  const Value& at(std::string_view name, ConfigType type) const;
  std::map<std::string, Value, std::less<>> values_;
  Properties originals_;
};

// The keys every client shares (Kafka's CommonClientConfigs): bootstrap.servers, client.id,
// request.timeout.ms, retry.backoff.ms, reconnect.backoff.ms, metadata.max.age.ms, ...
ConfigDef common_client_config_def();
// ProducerConfig's keys and defaults (Kafka 4.0).
const ConfigDef& producer_config_def();
// ConsumerConfig's keys and defaults (Kafka 4.0).
const ConfigDef& consumer_config_def();

}  // namespace gregor
