#include "storage/config_def.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>
#include <type_traits>
#include <utility>

namespace gregor::storage {
namespace {

// Java regex \s: [ \t\n\x0B\f\r].
bool is_java_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\x0B' || c == '\f' || c == '\r'; }

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
std::string java_list_string(const std::vector<std::string>& items) { return "[" + join_strings(items, ", ") + "]"; }

// Range.ensureValid: the value against a bound, as -1, 0 or 1; nullopt for NaN, which is never
// out of range. Integers compare exactly (Kafka compares as doubles, which is the same for them).
std::optional<int> compare_to_bound(const ConfigValue& v, int64_t bound) {
  return std::visit(
      [bound](const auto& x) -> std::optional<int> {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
          return static_cast<int64_t>(x) < bound ? -1 : static_cast<int64_t>(x) > bound ? 1 : 0;
        } else if constexpr (std::is_same_v<T, double>) {
          double b = static_cast<double>(bound);
          if (std::isnan(x)) return std::nullopt;
          return x < b ? -1 : x > b ? 1 : 0;
        } else {
          return std::nullopt;
        }
      },
      v);
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
    case ConfigType::int16:
      return "SHORT";
    case ConfigType::int64:
      return "LONG";
    case ConfigType::float64:
      return "DOUBLE";
    case ConfigType::list:
      return "LIST";
    case ConfigType::class_name:
      return "CLASS";
    case ConfigType::password:
      return "PASSWORD";
  }
  return "UNKNOWN";
}

std::string_view java_trim(std::string_view s) {
  while (!s.empty() && static_cast<unsigned char>(s.front()) <= ' ') s.remove_prefix(1);
  while (!s.empty() && static_cast<unsigned char>(s.back()) <= ' ') s.remove_suffix(1);
  return s;
}

std::string java_double_string(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  if (d == 0) return std::signbit(d) ? "-0.0" : "0.0";
  std::array<char, 64> buf{};
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), std::fabs(d), std::chars_format::scientific);
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

std::string join_strings(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += separator;
    out += items[i];
  }
  return out;
}

std::string render_config_value(const ConfigValue& value) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) {
          return v ? "true" : "false";
        } else if constexpr (std::is_integral_v<T>) {
          return std::to_string(v);
        } else if constexpr (std::is_same_v<T, double>) {
          return java_double_string(v);
        } else if constexpr (std::is_same_v<T, std::string>) {
          return v;
        } else {
          return join_strings(v, ",");
        }
      },
      value);
}

Status invalid_config_value(std::string_view name, std::string_view value, std::string_view why) {
  std::string message = "Invalid value ";
  message += value;
  message += " for configuration ";
  message += name;
  message += ": ";
  message += why;
  return Status(ErrorCode::invalid_config, std::move(message));
}

StatusOr<ConfigValue> parse_config_value(std::string_view name, ConfigType type, std::string_view raw) {
  std::string_view trimmed = java_trim(raw);
  switch (type) {
    case ConfigType::boolean:
      if (equals_ignore_case(trimmed, "true")) return ConfigValue(true);
      if (equals_ignore_case(trimmed, "false")) return ConfigValue(false);
      return invalid_config_value(name, raw, "Expected value to be either true or false");
    case ConfigType::string:
    case ConfigType::class_name:
    case ConfigType::password:
      return ConfigValue(std::string(trimmed));
    case ConfigType::int16:
      if (auto v =
              parse_java_integer(trimmed, std::numeric_limits<int16_t>::min(), std::numeric_limits<int16_t>::max())) {
        return ConfigValue(static_cast<int16_t>(*v));
      }
      break;
    case ConfigType::int32:
      if (auto v =
              parse_java_integer(trimmed, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max())) {
        return ConfigValue(static_cast<int32_t>(*v));
      }
      break;
    case ConfigType::int64:
      if (auto v =
              parse_java_integer(trimmed, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max())) {
        return ConfigValue(*v);
      }
      break;
    case ConfigType::float64:
      if (auto v = parse_java_double(trimmed)) return ConfigValue(*v);
      break;
    case ConfigType::list: {
      // Split on \s*,\s* keeping empty items, as String.split(regex, -1); empty input is [].
      std::vector<std::string> items;
      if (trimmed.empty()) return ConfigValue(std::move(items));
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
      return ConfigValue(std::move(items));
    }
  }
  return invalid_config_value(name, raw, "Not a number of type " + std::string(config_type_name(type)));
}

Status validate_config_value(std::string_view name, const ConfigValidator& validator, const ConfigValue& value) {
  switch (validator.check) {
    case ConfigCheck::none:
      return {};
    case ConfigCheck::at_least:
    case ConfigCheck::between: {
      std::optional<int> to_min = compare_to_bound(value, validator.min);
      if (to_min && *to_min < 0) {
        return invalid_config_value(name, render_config_value(value),
                                    "Value must be at least " + std::to_string(validator.min));
      }
      std::optional<int> to_max = compare_to_bound(value, validator.max);
      if (validator.check == ConfigCheck::between && to_max && *to_max > 0) {
        return invalid_config_value(name, render_config_value(value),
                                    "Value must be no more than " + std::to_string(validator.max));
      }
      return {};
    }
    case ConfigCheck::one_of: {
      const auto& s = std::get<std::string>(value);
      if (!is_one_of(s, validator.valid)) {
        return invalid_config_value(name, s, "String must be one of: " + join_valid(validator.valid));
      }
      return {};
    }
    case ConfigCheck::list_of:
      for (const std::string& item : std::get<std::vector<std::string>>(value)) {
        if (!is_one_of(item, validator.valid)) {
          return invalid_config_value(name, item, "String must be one of: " + join_valid(validator.valid));
        }
      }
      return {};
    case ConfigCheck::gzip_level: {
      int32_t level = std::get<int32_t>(value);
      if (level > 9 || (level < 1 && level != -1)) {
        return invalid_config_value(name, render_config_value(value), "Value must be between 1 and 9 or equal to -1");
      }
      return {};
    }
    case ConfigCheck::throttled_replicas: {
      const auto& items = std::get<std::vector<std::string>>(value);
      std::vector<std::string> trimmed;
      for (const std::string& item : items) trimmed.emplace_back(java_trim(item));
      bool all_entries =
          std::all_of(trimmed.begin(), trimmed.end(), [](const std::string& s) { return is_replica_entry(s); });
      if (!all_entries && join_strings(trimmed, "") != "*") {
        return invalid_config_value(name, java_list_string(items),
                                    std::string(name) +
                                        " must be the literal '*' or a list of replicas in the following format: "
                                        "[partitionId]:[brokerId],[partitionId]:[brokerId],...");
      }
      return {};
    }
  }
  return {};
}

StatusOr<ConfigValue> parse_and_validate(std::string_view name, ConfigType type, const ConfigValidator& validator,
                                         std::string_view raw) {
  StatusOr<ConfigValue> parsed = parse_config_value(name, type, raw);
  if (!parsed) return parsed;
  if (Status s = validate_config_value(name, validator, *parsed); !s) return s;
  return parsed;
}

}  // namespace gregor::storage
