// KRaft metadata records and their framing, as Kafka's MetadataRecordSerde writes them into the
// values of `__cluster_metadata` records (and of snapshots):
//
//   frame version  unsigned varint   1 (0 was the KRaft preview of Kafka 2.8, which is not read)
//   api key        unsigned varint   the record type (TopicRecord = 2, PartitionRecord = 3, ...)
//   version        unsigned varint   the version of that type the body is written in
//   body                             the record, encoded by the generated codec in that version
//
// A record fills its value exactly: bytes left after the body are an error, as in Kafka.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "common/bytes.h"
#include "common/result.h"
#include "protocol/generated/metadata/all.h"

namespace gregor::metadata {

namespace detail {

template <typename... Ts>
struct Pack {};

// Collects the types of a list that ends in void into a std::variant, so that the generated
// X-macro list (which leaves a trailing comma) can name every record type.
template <typename Acc, typename... Ts>
struct VariantOf;
template <typename... As>
struct VariantOf<Pack<As...>> {
  using type = std::variant<As...>;
};
template <typename... As, typename T, typename... Ts>
struct VariantOf<Pack<As...>, T, Ts...>
    : VariantOf<std::conditional_t<std::is_void_v<T>, Pack<As...>, Pack<As..., T>>, Ts...> {};

#define GREGOR_METADATA_RECORD_TYPE(T) protocol::T,
using RecordBody = typename VariantOf<Pack<>, GREGOR_FOR_EACH_METADATA_MESSAGE(GREGOR_METADATA_RECORD_TYPE) void>::type;
#undef GREGOR_METADATA_RECORD_TYPE

template <typename T, typename Variant>
struct IsAlternative;
template <typename T, typename... As>
struct IsAlternative<T, std::variant<As...>> : std::disjunction<std::is_same<T, As>...> {};

}  // namespace detail

// One of every generated metadata record type.
using MetadataRecordBody = detail::RecordBody;

template <typename T>
concept MetadataRecordType = detail::IsAlternative<std::remove_cvref_t<T>, MetadataRecordBody>::value;

// A record and the version it is (to be) written in: Kafka's ApiMessageAndVersion. Which version
// to write depends on the cluster's metadata.version, so it is always given explicitly.
struct MetadataRecord {
  MetadataRecordBody body;
  int16_t version = 0;

  MetadataRecord() = default;
  template <MetadataRecordType T>
  MetadataRecord(T record, int16_t record_version) : body(std::move(record)), version(record_version) {}

  int16_t api_key() const;
  const char* type_name() const;  // "TopicRecord"

  template <MetadataRecordType T>
  const T* get() const {
    return std::get_if<T>(&body);
  }
  template <MetadataRecordType T>
  T* get() {
    return std::get_if<T>(&body);
  }

  friend bool operator==(const MetadataRecord&, const MetadataRecord&) = default;
};

inline constexpr uint32_t kRecordFrameVersion = 1;

// Appends the framed record to out. Returns an error, leaving out as it was, when the record's
// type has no such version or a value does not fit the version's wire form; nullopt on success.
[[nodiscard]] std::optional<std::string> encode_record(const MetadataRecord& record, Bytes& out);

// Decodes one framed record that fills bytes exactly. Errors name what was wrong: a frame version
// other than 1, an unknown record type, a version the type does not have, a truncated or
// malformed body, or bytes after it. base_offset is added to the error's byte offset.
Result<MetadataRecord> decode_record(BytesView bytes, size_t base_offset = 0);

// The name of the record type with this api key ("TopicRecord"), or nullptr when none has it.
const char* record_type_name(int16_t api_key);

}  // namespace gregor::metadata
