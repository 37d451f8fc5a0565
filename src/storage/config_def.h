// Kafka's ConfigDef as Gregor's config tables need it: a string value parsed by its type, checked
// with Kafka's validators, and rendered back as Kafka renders it. The topic configs (log_config.h)
// and the broker configs (src/config) share it, so both give Kafka's one-line messages, e.g.
//   "Invalid value abc for configuration num.partitions: Not a number of type INT".
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/status.h"

namespace gregor::storage {

// A config's type as Kafka's ConfigDef.Type names it. The numbers are the ConfigType values of
// DescribeConfigs responses (v3+).
enum class ConfigType : int8_t {
  boolean = 1,
  string = 2,
  int32 = 3,
  int16 = 4,
  int64 = 5,
  float64 = 6,
  list = 7,
  class_name = 8,
  password = 9,
};

// Kafka's name for the type: "BOOLEAN", "STRING", "INT", "SHORT", "LONG", "DOUBLE", "LIST", "CLASS"
// or "PASSWORD".
std::string_view config_type_name(ConfigType type);

// A parsed value. STRING, CLASS and PASSWORD values are strings.
using ConfigValue = std::variant<bool, int16_t, int32_t, int64_t, double, std::string, std::vector<std::string>>;

// Java's String.trim(): strips every char <= ' ' from both ends.
std::string_view java_trim(std::string_view s);

// ConfigDef.parseType for a string value: surrounding whitespace trimmed, booleans
// case-insensitive, numbers as Integer/Short/Long.parseLong and Double.parseDouble read them,
// lists split on commas (with the whitespace around them) keeping empty items, "" being [].
// Errors name the original, untrimmed value.
StatusOr<ConfigValue> parse_config_value(std::string_view name, ConfigType type, std::string_view raw);

// ConfigDef.convertToString: numbers in decimal, doubles as Java prints them, booleans
// "true"/"false", lists joined with ",".
std::string render_config_value(const ConfigValue& value);

// Double.toString.
std::string java_double_string(double d);

// Joins items with separator.
std::string join_strings(const std::vector<std::string>& items, std::string_view separator);

// The invalid_config Status of ConfigException(name, value, why):
// "Invalid value <value> for configuration <name>: <why>".
Status invalid_config_value(std::string_view name, std::string_view value, std::string_view why);

// Kafka's validators, as far as the config tables use them.
enum class ConfigCheck {
  none,
  at_least,            // Range.atLeast(min)
  between,             // Range.between(min, max)
  one_of,              // ValidString.in(valid...)
  list_of,             // ValidList.in(valid...)
  gzip_level,          // GzipCompression.LevelValidator: 1..9 or -1
  throttled_replicas,  // ThrottledReplicaListValidator: "*" or partition:broker entries
};

struct ConfigValidator {
  ConfigCheck check = ConfigCheck::none;
  int64_t min = 0;
  int64_t max = 0;
  std::span<const std::string_view> valid = {};
};

constexpr ConfigValidator no_check() { return {}; }
constexpr ConfigValidator at_least(int64_t min) { return {ConfigCheck::at_least, min, 0, {}}; }
constexpr ConfigValidator between(int64_t min, int64_t max) { return {ConfigCheck::between, min, max, {}}; }
constexpr ConfigValidator one_of(std::span<const std::string_view> valid) { return {ConfigCheck::one_of, 0, 0, valid}; }
constexpr ConfigValidator list_of(std::span<const std::string_view> valid) {
  return {ConfigCheck::list_of, 0, 0, valid};
}

// The validator's ensureValid on a value parsed for it.
Status validate_config_value(std::string_view name, const ConfigValidator& validator, const ConfigValue& value);

// parse_config_value, then validate_config_value.
StatusOr<ConfigValue> parse_and_validate(std::string_view name, ConfigType type, const ConfigValidator& validator,
                                         std::string_view raw);

}  // namespace gregor::storage
