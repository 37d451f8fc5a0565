// The small runtime that generated message code is written against: version ranges, per-field
// metadata, unknown tagged fields, and whole-message decode/encode helpers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/byte_reader.h"
#include "common/byte_writer.h"
#include "common/bytes.h"
#include "common/result.h"
#include "common/uuid.h"

namespace gregor::protocol {

// An inclusive range of versions; empty when lo > hi ("none" in the spec).
struct VersionRange {
  int16_t lo = 1;
  int16_t hi = 0;
  constexpr bool contains(int16_t v) const { return v >= lo && v <= hi; }
  constexpr bool empty() const { return lo > hi; }
};

// What the spec says about one field, kept for tools, tests and validation.
struct FieldInfo {
  const char* name;         // the spec's name, e.g. "TransactionalId"
  VersionRange versions;    // versions in which the field is on the wire
  VersionRange nullable;    // versions in which it may be null
  VersionRange tagged;      // versions in which it is a tagged field
  int32_t tag;              // its tag, or -1
  bool ignorable;           // may be dropped silently when a version lacks it
  bool map_key;             // part of the key of the enclosing collection
  const char* entity_type;  // "topicName", "groupId", "brokerId", ... or ""
};

// A tagged field this code does not know, kept so it survives a decode/encode round trip.
struct RawTaggedField {
  uint32_t tag = 0;
  Bytes data;
  friend bool operator==(const RawTaggedField&, const RawTaggedField&) = default;
};
using TaggedFields = std::vector<RawTaggedField>;

// Writes a struct's tagged-field section: the count, then every field in ascending tag order,
// known fields (encoded by the caller) interleaved with preserved unknown ones. As in Kafka,
// unknown fields out of ascending order, or reusing a known field's tag, fail the write.
class TaggedFieldWriter {
 public:
  TaggedFieldWriter(ByteWriter& w, const TaggedFields& unknown, uint32_t known_count)
      : w_(w), unknown_(unknown) {
    w_.write_uvarint(known_count + static_cast<uint32_t>(unknown.size()));
  }
  template <typename EncodeFn>
  void field(uint32_t tag, EncodeFn&& encode) {
    flush_unknown_below(tag);
    if (next_ < unknown_.size() && unknown_[next_].tag == tag)
      w_.fail("unknown tagged field " + std::to_string(tag) + " reuses a known field's tag");
    Bytes scratch;
    ByteWriter sw(scratch);
    encode(sw);
    if (!sw.ok()) w_.fail(sw.error());
    w_.write_uvarint(tag);
    w_.write_uvarint(static_cast<uint32_t>(scratch.size()));
    w_.write_raw(scratch);
  }
  // Writes the unknown fields left, including one tagged UINT32_MAX.
  void finish() { flush_unknown_below(uint64_t{UINT32_MAX} + 1); }

 private:
  void flush_unknown_below(uint64_t tag) {
    for (; next_ < unknown_.size() && unknown_[next_].tag < tag; ++next_) {
      if (next_ > 0 && unknown_[next_].tag <= unknown_[next_ - 1].tag)
        w_.fail("unknown tagged fields out of ascending order at tag " + std::to_string(unknown_[next_].tag));
      w_.write_uvarint(unknown_[next_].tag);
      w_.write_uvarint(static_cast<uint32_t>(unknown_[next_].data.size()));
      w_.write_raw(unknown_[next_].data);
    }
  }
  ByteWriter& w_;
  const TaggedFields& unknown_;
  size_t next_ = 0;
};

// Reads a struct's tagged-field section. For each field, `known(tag)` decodes it and returns true
// when the struct knows that tag in this version; any other field is kept in `unknown`. Each
// field is read with the reader limited to the field's declared size, so a field that decodes
// short is skipped to its end and one that runs long fails instead of eating the next field.
template <typename KnownFn>
void read_tagged_fields(ByteReader& r, TaggedFields& unknown, KnownFn&& known) {
  // Kafka reads the count as a signed int: one of 2^31 or more means no fields.
  const int32_t count = static_cast<int32_t>(r.read_uvarint("tagged field count"));
  for (int32_t i = 0; i < count && r.ok(); ++i) {
    const uint32_t tag = r.read_uvarint("tag");
    const uint32_t size = r.read_uvarint("tagged field size");
    const uint8_t* saved_end = r.push_limit(size, "tagged field");
    if (!r.ok()) return;
    if (!known(tag)) unknown.push_back({tag, r.read_view(r.remaining(), "tagged field").to_bytes()});
    r.pop_limit(saved_end);
  }
}

// What to do with bytes after the end of a message. Kafka ignores them after a request body;
// tests and tools reject them, since a message knows its own length.
enum class TrailingBytes { reject, ignore };

// Decodes a whole message from `bytes`.
template <typename T>
Result<T> decode_message(BytesView bytes, int16_t version, TrailingBytes trailing = TrailingBytes::reject,
                         size_t base_offset = 0) {
  T value;
  ByteReader r(bytes, base_offset);
  value.decode(r, version);
  if (r.ok() && !r.at_end() && trailing == TrailingBytes::reject)
    r.fail("", std::to_string(r.remaining()) + " unexpected trailing bytes");
  if (!r.ok()) return r.error();
  return value;
}

// Encodes a message; returns the error when a value does not fit the version's wire form.
template <typename T>
std::optional<std::string> encode_message(const T& msg, int16_t version, Bytes& out) {
  ByteWriter w(out);
  msg.encode(w, version);
  if (!w.ok()) return w.error();
  return std::nullopt;
}

}  // namespace gregor::protocol
