// Generated messages as JSON, the way the JsonConverter classes Kafka generates for each message
// write them (what kafka-dump-log prints for metadata and group records): an object of the
// fields the version has, in spec order, under their names with the first letter lower-cased;
// a tagged field only when it differs from its default. Strings, UUIDs (base64url) and bytes
// (base64) are JSON strings, null stays null, and the text is compact, as Jackson's toString
// writes it.
#pragma once

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "common/bytes.h"
#include "common/uuid.h"
#include "protocol/message_support.h"

namespace gregor::tools {

// Appends s as a JSON string: quoted, with Jackson's escapes; bytes that are not UTF-8 read as
// Java reads them, each bad sequence one U+FFFD.
void append_json_string(std::string& out, std::string_view s);
// Standard base64 with padding, as Jackson writes a byte array.
std::string base64(BytesView bytes);
// A float64 as Java's Double.toString writes it for the common cases ("1.0", "0.25", "1.0E10").
std::string java_double(double value);

// A field's JSON name: the spec's name with its first letter lower-cased ("TopicId" -> "topicId").
std::string json_field_name(const char* spec_name);

template <typename T>
concept GeneratedStruct = requires(const T& t) {
  t.visit_fields([](const auto&, const protocol::FieldInfo&) {});
};

// Lets a caller write some fields its own way (Kafka's offsets decoder replaces a group member's
// subscription bytes with the decoded subscription): returns true when it appended the value.
struct NoFieldHook {
  template <typename M>
  bool operator()(std::string&, const M&, const protocol::FieldInfo&) const {
    return false;
  }
};

template <typename T, typename Hook = NoFieldHook>
void append_json(std::string& out, const T& value, int16_t version, const Hook& hook = {});

namespace detail {

template <typename T>
struct IsOptional : std::false_type {};
template <typename T>
struct IsOptional<std::optional<T>> : std::true_type {};
template <typename T>
struct IsVector : std::false_type {};
template <typename T>
struct IsVector<std::vector<T>> : std::true_type {};

template <GeneratedStruct T, typename Hook>
void append_struct(std::string& out, const T& value, int16_t version, const Hook& hook) {
  // A tagged field is written only when it differs from the default, compared as JSON text.
  std::vector<std::string> defaults;
  static const T kDefault{};
  kDefault.visit_fields([&](const auto& member, const protocol::FieldInfo& info) {
    std::string text;
    if (info.versions.contains(version) && info.tagged.contains(version)) append_json(text, member, version);
    defaults.push_back(std::move(text));
  });
  out += '{';
  bool first = true;
  size_t i = 0;
  value.visit_fields([&](const auto& member, const protocol::FieldInfo& info) {
    const size_t index = i++;
    if (!info.versions.contains(version)) return;
    std::string text;
    if (!hook(text, member, info)) append_json(text, member, version, hook);
    if (info.tagged.contains(version) && text == defaults[index]) return;
    if (!first) out += ',';
    first = false;
    append_json_string(out, json_field_name(info.name));
    out += ':';
    out += text;
  });
  out += '}';
}

}  // namespace detail

template <typename T, typename Hook>
void append_json(std::string& out, const T& value, int16_t version, const Hook& hook) {
  if constexpr (std::is_same_v<T, bool>) {
    out += value ? "true" : "false";
  } else if constexpr (std::is_integral_v<T>) {
    out += std::to_string(static_cast<int64_t>(value));
  } else if constexpr (std::is_floating_point_v<T>) {
    out += java_double(static_cast<double>(value));
  } else if constexpr (std::is_same_v<T, std::string>) {
    append_json_string(out, value);
  } else if constexpr (std::is_same_v<T, Uuid>) {
    append_json_string(out, value.to_string());
  } else if constexpr (std::is_same_v<T, Bytes> || std::is_same_v<T, BytesView>) {
    out += '"' + base64(BytesView(value)) + '"';
  } else if constexpr (detail::IsOptional<T>::value) {
    if (value) {
      append_json(out, *value, version, hook);
    } else {
      out += "null";
    }
  } else if constexpr (detail::IsVector<T>::value) {
    out += '[';
    for (size_t i = 0; i < value.size(); ++i) {
      if (i > 0) out += ',';
      append_json(out, value[i], version, hook);
    }
    out += ']';
  } else {
    static_assert(GeneratedStruct<T>, "no JSON form for this type");
    detail::append_struct(out, value, version, hook);
  }
}

template <typename T>
std::string to_json(const T& value, int16_t version) {
  std::string out;
  append_json(out, value, version);
  return out;
}

}  // namespace gregor::tools
