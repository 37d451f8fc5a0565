#include "storage/log_config.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <utility>
#include <variant>

namespace gregor::storage {
namespace {

// ---- Values as Kafka's ConfigDef parses them ----------------------------------------------------

using Value = std::variant<bool, int32_t, int64_t, double, std::string, std::vector<std::string>>;

// Java's String.trim(): strips every char <= ' ' from both ends.
std::string_view java_trim(std::string_view s) {
  while (!s.empty() && static_cast<unsigned char>(s.front()) <= ' ') s.remove_prefix(1);
  while (!s.empty() && static_cast<unsigned char>(s.back()) <= ' ') s.remove_suffix(1);
  return s;
}

// Java regex \s: [ \t\n\x0B\f\r].
bool is_java_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\x0B' || c == '\f' || c == '\r';
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool equals_ignore_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

// Integer.parseInt / Long.parseLong: an optional sign, then one or more ASCII digits, in range.
std::optional<int64_t> parse_java_integer(std::string_view s, int64_t min, int64_t max) {
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  // Accumulate negatively so that the minimum value parses without overflow.
  int64_t value = 0;
  for (char c : s) {
    if (!is_digit(c)) return std::nullopt;
    int digit = c - '0';
    if (value < (std::numeric_limits<int64_t>::min() + digit) / 10) return std::nullopt;
    value = value * 10 - digit;
  }
  if (!negative) {
    if (value == std::numeric_limits<int64_t>::min()) return std::nullopt;
    value = -value;
  }
  if (value < min || value > max) return std::nullopt;
  return value;
}

// Double.parseDouble for decimal input: an optional sign, "NaN", "Infinity", or digits with an
// optional point and exponent, optionally ending in f, F, d or D. Out-of-range values become
// infinity or zero, as in Java. (Java's hexadecimal form is not accepted.)
std::optional<double> parse_java_double(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s == "NaN") return std::nan("");
  if (s == "Infinity") return negative ? -HUGE_VAL : HUGE_VAL;
  if (!s.empty() && (s.back() == 'f' || s.back() == 'F' || s.back() == 'd' || s.back() == 'D')) {
    s.remove_suffix(1);
  }
  size_t i = 0;
  size_t mantissa_digits = 0;
  while (i < s.size() && is_digit(s[i])) ++i, ++mantissa_digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && is_digit(s[i])) ++i, ++mantissa_digits;
  }
  if (mantissa_digits == 0) return std::nullopt;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t exponent_digits = 0;
    while (i < s.size() && is_digit(s[i])) ++i, ++exponent_digits;
    if (exponent_digits == 0) return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  std::string text(s);
  double value = std::strtod(text.c_str(), nullptr);  // ERANGE gives HUGE_VAL or 0, as Java
  return negative ? -value : value;
}

// Double.toString: the shortest digits that read back as the same double, as "ddd.ddd" when
// 1e-3 <= |d| < 1e7 and as "d.dddE[-]n" otherwise, with at least one digit after the point.
std::string java_double_string(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  if (d == 0) return std::signbit(d) ? "-0.0" : "0.0";
  std::array<char, 64> buf{};
  auto [end, ec] =
      std::to_chars(buf.data(), buf.data() + buf.size(), std::fabs(d), std::chars_format::scientific);
  std::string_view sci(buf.data(), static_cast<size_t>(end - buf.data()));  // "1.25e-05", "5e+00"
  size_t e = sci.find('e');
  std::string digits(1, sci[0]);
  if (e > 1) digits += sci.substr(2, e - 2);
  int exponent = 0;
  std::string_view exp_text = sci.substr(e + 1);
  if (!exp_text.empty() && exp_text.front() == '+') exp_text.remove_prefix(1);
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exponent);

  std::string out = d < 0 ? "-" : "";
  double magnitude = std::fabs(d);
  if (magnitude >= 1e-3 && magnitude < 1e7) {
    if (exponent >= 0) {
      size_t int_len = static_cast<size_t>(exponent) + 1;
      std::string int_part = digits.substr(0, std::min(int_len, digits.size()));
      int_part.resize(int_len, '0');
      std::string frac_part = int_len < digits.size() ? digits.substr(int_len) : "0";
      out += int_part + "." + frac_part;
    } else {
      out += "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
    }
  } else {
    out += digits[0];
    out += '.';
    out += digits.size() > 1 ? digits.substr(1) : "0";
    out += 'E';
    out += std::to_string(exponent);
  }
  return out;
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += separator;
    out += items[i];
  }
  return out;
}

// ConfigDef.convertToString.
std::string render(const Value& value) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) {
          return v ? "true" : "false";
        } else if constexpr (std::is_same_v<T, int32_t> || std::is_same_v<T, int64_t>) {
          return std::to_string(v);
        } else if constexpr (std::is_same_v<T, double>) {
          return java_double_string(v);
        } else if constexpr (std::is_same_v<T, std::string>) {
          return v;
        } else {
          return join(v, ",");
        }
      },
      value);
}

Status invalid_value(std::string_view name, std::string_view value, std::string_view why) {
  std::string message = "Invalid value ";
  message += value;
  message += " for configuration ";
  message += name;
  message += ": ";
  message += why;
  return Status(ErrorCode::invalid_config, std::move(message));
}

// ConfigDef.parseType for a string value. Errors name the original, untrimmed value.
StatusOr<Value> parse_value(std::string_view name, ConfigType type, std::string_view raw) {
  std::string_view trimmed = java_trim(raw);
  switch (type) {
    case ConfigType::boolean:
      if (equals_ignore_case(trimmed, "true")) return Value(true);
      if (equals_ignore_case(trimmed, "false")) return Value(false);
      return invalid_value(name, raw, "Expected value to be either true or false");
    case ConfigType::string:
      return Value(std::string(trimmed));
    case ConfigType::int32:
      if (auto v = parse_java_integer(trimmed, std::numeric_limits<int32_t>::min(),
                                      std::numeric_limits<int32_t>::max())) {
        return Value(static_cast<int32_t>(*v));
      }
      break;
    case ConfigType::int64:
      if (auto v = parse_java_integer(trimmed, std::numeric_limits<int64_t>::min(),
                                      std::numeric_limits<int64_t>::max())) {
        return Value(*v);
      }
      break;
    case ConfigType::float64:
      if (auto v = parse_java_double(trimmed)) return Value(*v);
      break;
    case ConfigType::list: {
      // Split on \s*,\s* keeping empty items, as String.split(regex, -1); empty input is [].
      std::vector<std::string> items;
      if (trimmed.empty()) return Value(std::move(items));
      size_t start = 0;
      while (true) {
        size_t comma = trimmed.find(',', start);
        std::string_view item =
            trimmed.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
        if (start > 0) {
          while (!item.empty() && is_java_space(item.front())) item.remove_prefix(1);
        }
        if (comma != std::string_view::npos) {
          while (!item.empty() && is_java_space(item.back())) item.remove_suffix(1);
        }
        items.emplace_back(item);
        if (comma == std::string_view::npos) break;
        start = comma + 1;
      }
      return Value(std::move(items));
    }
  }
  return invalid_value(name, raw, "Not a number of type " + std::string(config_type_name(type)));
}

// ---- Validators ------------------------------------------------------------------------------

enum class Check { none, at_least, between, one_of, list_of, gzip_level, throttled_replicas };

struct Validator {
  Check check = Check::none;
  int64_t min = 0;
  int64_t max = 0;
  std::span<const std::string_view> valid = {};
};

constexpr Validator no_check() { return {}; }
constexpr Validator at_least(int64_t min) { return {Check::at_least, min, 0, {}}; }
constexpr Validator between(int64_t min, int64_t max) { return {Check::between, min, max, {}}; }

constexpr std::string_view kTimestampTypes[] = {"CreateTime", "LogAppendTime"};
// BrokerCompressionType.names(), in Kafka's order.
constexpr std::string_view kCompressionTypes[] = {"uncompressed", "zstd", "lz4",
                                                  "snappy",       "gzip", "producer"};
constexpr std::string_view kCleanupPolicies[] = {"compact", "delete"};

std::string join_valid(std::span<const std::string_view> valid) {
  std::string out;
  for (size_t i = 0; i < valid.size(); ++i) {
    if (i > 0) out += ", ";
    out += valid[i];
  }
  return out;
}

bool is_one_of(std::string_view s, std::span<const std::string_view> valid) {
  return std::find(valid.begin(), valid.end(), s) != valid.end();
}

// "partition:broker" with ASCII digits on both sides, or empty (Kafka's ([0-9]+:[0-9]+)?).
bool is_replica_entry(std::string_view s) {
  if (s.empty()) return true;
  size_t colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == s.size()) return false;
  return std::all_of(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(colon), is_digit) &&
         std::all_of(s.begin() + static_cast<std::ptrdiff_t>(colon) + 1, s.end(), is_digit);
}

// Java's List.toString: "[a, b]".
std::string java_list_string(const std::vector<std::string>& items) { return "[" + join(items, ", ") + "]"; }

// Range.ensureValid compares as doubles; ints compare exactly here, which is the same for them.
std::optional<double> as_number(const Value& v) {
  if (auto* i = std::get_if<int32_t>(&v)) return *i;
  if (auto* l = std::get_if<int64_t>(&v)) return static_cast<double>(*l);
  if (auto* d = std::get_if<double>(&v)) return *d;
  return std::nullopt;
}

bool below(const Value& v, int64_t bound) {
  if (auto* i = std::get_if<int32_t>(&v)) return *i < bound;
  if (auto* l = std::get_if<int64_t>(&v)) return *l < bound;
  return *as_number(v) < static_cast<double>(bound);  // false for NaN, as in Java
}

bool above(const Value& v, int64_t bound) {
  if (auto* i = std::get_if<int32_t>(&v)) return *i > bound;
  if (auto* l = std::get_if<int64_t>(&v)) return *l > bound;
  return *as_number(v) > static_cast<double>(bound);
}

Status validate(std::string_view name, const Validator& validator, const Value& value) {
  switch (validator.check) {
    case Check::none:
      return {};
    case Check::at_least:
    case Check::between:
      if (below(value, validator.min)) {
        return invalid_value(name, render(value), "Value must be at least " + std::to_string(validator.min));
      }
      if (validator.check == Check::between && above(value, validator.max)) {
        return invalid_value(name, render(value),
                             "Value must be no more than " + std::to_string(validator.max));
      }
      return {};
    case Check::one_of: {
      const auto& s = std::get<std::string>(value);
      if (!is_one_of(s, validator.valid)) {
        return invalid_value(name, s, "String must be one of: " + join_valid(validator.valid));
      }
      return {};
    }
    case Check::list_of:
      for (const std::string& item : std::get<std::vector<std::string>>(value)) {
        if (!is_one_of(item, validator.valid)) {
          return invalid_value(name, item, "String must be one of: " + join_valid(validator.valid));
        }
      }
      return {};
    case Check::gzip_level: {
      int32_t level = std::get<int32_t>(value);
      if (level > 9 || (level < 1 && level != -1)) {
        return invalid_value(name, render(value), "Value must be between 1 and 9 or equal to -1");
      }
      return {};
    }
    case Check::throttled_replicas: {
      const auto& items = std::get<std::vector<std::string>>(value);
      std::vector<std::string> trimmed;
      for (const std::string& item : items) trimmed.emplace_back(java_trim(item));
      bool all_entries = std::all_of(trimmed.begin(), trimmed.end(),
                                     [](const std::string& s) { return is_replica_entry(s); });
      if (!all_entries && join(trimmed, "") != "*") {
        return invalid_value(name, java_list_string(items),
                             std::string(name) +
                                 " must be the literal '*' or a list of replicas in the following format: "
                                 "[partitionId]:[brokerId],[partitionId]:[brokerId],...");
      }
      return {};
    }
  }
  return {};
}

StatusOr<Value> parse_and_validate(std::string_view name, ConfigType type, const Validator& validator,
                                   std::string_view raw) {
  StatusOr<Value> parsed = parse_value(name, type, raw);
  if (!parsed) return parsed;
  if (Status s = validate(name, validator, *parsed); !s) return s;
  return parsed;
}

// ---- The topic-level keys --------------------------------------------------------------------

struct KeyDef {
  TopicConfigKey key;
  Validator validator;
  void (*set)(LogConfig&, const Value&);
  Value (*get)(const LogConfig&);
  // The broker default comes from several properties with unit conversions or precedence
  // (segment.ms, segment.jitter.ms, flush.ms, retention.ms); from_broker_properties handles it.
  bool derived_broker_default = false;
};

#define GREGOR_FIELD(member)                                                                 \
  [](LogConfig& c, const Value& v) { c.member = std::get<decltype(LogConfig::member)>(v); }, \
      [](const LogConfig& c) -> Value { return c.member; }

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
     {Check::list_of, 0, 0, kCleanupPolicies},
     [](LogConfig& c, const Value& v) {
       const auto& items = std::get<std::vector<std::string>>(v);
       c.cleanup_policy_compact = std::find(items.begin(), items.end(), "compact") != items.end();
       c.cleanup_policy_delete = std::find(items.begin(), items.end(), "delete") != items.end();
     },
     [](const LogConfig& c) -> Value {
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
     {Check::one_of, 0, 0, kCompressionTypes},
     GREGOR_FIELD(compression_type)},
    {{"compression.gzip.level", ConfigType::int32, "-1", "compression.gzip.level"},
     {Check::gzip_level, 0, 0, {}},
     GREGOR_FIELD(compression_gzip_level)},
    {{"compression.lz4.level", ConfigType::int32, "9", "compression.lz4.level"},
     between(1, 17),
     GREGOR_FIELD(compression_lz4_level)},
    {{"compression.zstd.level", ConfigType::int32, "3", "compression.zstd.level"},
     between(-131072, 22),
     GREGOR_FIELD(compression_zstd_level)},
    {{"preallocate", ConfigType::boolean, "false", "log.preallocate"}, no_check(), GREGOR_FIELD(preallocate)},
    {{"message.timestamp.type", ConfigType::string, "CreateTime", "log.message.timestamp.type"},
     {Check::one_of, 0, 0, kTimestampTypes},
     [](LogConfig& c, const Value& v) {
       c.message_timestamp_type = std::get<std::string>(v) == "LogAppendTime"
                                      ? record::TimestampType::log_append_time
                                      : record::TimestampType::create_time;
     },
     [](const LogConfig& c) -> Value {
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
     {Check::throttled_replicas, 0, 0, {}},
     [](LogConfig& c, const Value& v) {
       c.leader_replication_throttled_replicas.clear();
       for (const std::string& s : std::get<std::vector<std::string>>(v)) {
         c.leader_replication_throttled_replicas.emplace_back(java_trim(s));
       }
     },
     [](const LogConfig& c) -> Value { return c.leader_replication_throttled_replicas; }},
    {{"follower.replication.throttled.replicas", ConfigType::list, "", ""},
     {Check::throttled_replicas, 0, 0, {}},
     [](LogConfig& c, const Value& v) {
       c.follower_replication_throttled_replicas.clear();
       for (const std::string& s : std::get<std::vector<std::string>>(v)) {
         c.follower_replication_throttled_replicas.emplace_back(java_trim(s));
       }
     },
     [](const LogConfig& c) -> Value { return c.follower_replication_throttled_replicas; }},
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
  Validator validator;
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
  StatusOr<Value> v = parse_and_validate(key.name, key.type, key.validator, it->second);
  if (!v) {
    if (error->ok()) *error = v.status();
    return std::nullopt;
  }
  if (auto* i = std::get_if<int32_t>(&*v)) return *i;
  return std::get<int64_t>(*v);
}

}  // namespace

std::string_view config_type_name(ConfigType type) {
  switch (type) {
    case ConfigType::boolean:
      return "BOOLEAN";
    case ConfigType::string:
      return "STRING";
    case ConfigType::int32:
      return "INT";
    case ConfigType::int64:
      return "LONG";
    case ConfigType::float64:
      return "DOUBLE";
    case ConfigType::list:
      return "LIST";
  }
  return "UNKNOWN";
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
    StatusOr<Value> v = parse_and_validate(def.key.server_default, def.key.type, def.validator, it->second);
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
    if (Status s = validate(def.key.name, def.validator, def.get(out)); !s) return s;
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
    StatusOr<Value> v = parse_and_validate(def.key.name, def.key.type, def.validator, it->second);
    if (!v) return v.status();
    def.set(out, *v);
  }
  if (Status s = validate_combined(out); !s) return s;
  return out;
}

std::map<std::string, std::string> LogConfig::to_topic_configs() const {
  std::map<std::string, std::string> out;
  for (const KeyDef& def : kKeyDefs) out.emplace(def.key.name, render(def.get(*this)));
  return out;
}

int64_t LogConfig::max_segment_ms() const {
  if (compact() && max_compaction_lag_ms > 0) return std::min(max_compaction_lag_ms, segment_ms);
  return segment_ms;
}

}  // namespace gregor::storage
