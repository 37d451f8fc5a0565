#include "group/records.h"

#include "protocol/generated/group_coordinator/group_metadata_key.h"
#include "protocol/generated/group_coordinator/offset_commit_key.h"
#include "protocol/message_support.h"

namespace gregor::group {

namespace {

constexpr int16_t kOffsetCommitKeyVersion = 1;
constexpr int16_t kGroupMetadataKeyVersion = 2;
constexpr int16_t kGroupMetadataValueVersion = 3;

template <typename T>
Bytes versioned(const T& body, int16_t version) {
  Bytes out;
  ByteWriter w(out);
  w.write_int16(version);
  body.encode(w, version);
  return out;
}

template <typename T>
Result<T> read_versioned(BytesView bytes, const char* what) {
  if (bytes.size() < 2) return DecodeError{0, what, "needs a 2-byte version"};
  ByteReader r(bytes);
  const int16_t version = r.read_int16("version");
  if (version < T::kValidVersions.lo || version > T::kValidVersions.hi) {
    return DecodeError{0, what, "unknown version " + std::to_string(version)};
  }
  return protocol::decode_message<T>(bytes.subview(2, bytes.size() - 2), version, protocol::TrailingBytes::reject, 2);
}

}  // namespace

Record offset_commit_record(const std::string& group, const std::string& topic, int32_t partition,
                            const std::optional<protocol::OffsetCommitValue>& value) {
  protocol::OffsetCommitKey key;
  key.group = group;
  key.topic = topic;
  key.partition = partition;
  Record r{versioned(key, kOffsetCommitKeyVersion), std::nullopt};
  // Version 1 is the only one that keeps an expire timestamp (OffsetCommit v1 requests set it).
  if (value) r.value = versioned(*value, value->expire_timestamp >= 0 ? 1 : 3);
  return r;
}

Record group_metadata_record(const std::string& group, const std::optional<protocol::GroupMetadataValue>& value) {
  protocol::GroupMetadataKey key;
  key.group = group;
  Record r{versioned(key, kGroupMetadataKeyVersion), std::nullopt};
  if (value) r.value = versioned(*value, kGroupMetadataValueVersion);
  return r;
}

Result<DecodedRecord> decode_record(BytesView key, std::optional<BytesView> value) {
  if (key.size() < 2) return DecodeError{0, "key", "needs a 2-byte version"};
  ByteReader r(key);
  const int16_t key_version = r.read_int16("version");
  if (key_version == 0 || key_version == 1) {
    auto k = protocol::decode_message<protocol::OffsetCommitKey>(key.subview(2, key.size() - 2), key_version,
                                                                  protocol::TrailingBytes::reject, 2);
    if (!k.ok()) return k.error();
    OffsetCommitRecord out{k->group, k->topic, k->partition, std::nullopt};
    if (value) {
      auto v = read_versioned<protocol::OffsetCommitValue>(*value, "OffsetCommitValue");
      if (!v.ok()) return v.error();
      out.value = std::move(*v);
    }
    return DecodedRecord(std::move(out));
  }
  if (key_version == 2) {
    auto k = protocol::decode_message<protocol::GroupMetadataKey>(key.subview(2, key.size() - 2), key_version,
                                                                   protocol::TrailingBytes::reject, 2);
    if (!k.ok()) return k.error();
    GroupMetadataRecord out{k->group, std::nullopt};
    if (value) {
      auto v = read_versioned<protocol::GroupMetadataValue>(*value, "GroupMetadataValue");
      if (!v.ok()) return v.error();
      out.value = std::move(*v);
    }
    return DecodedRecord(std::move(out));
  }
  if (key_version < 0) return DecodeError{0, "key", "negative key version " + std::to_string(key_version)};
  return DecodedRecord(OtherRecord{key_version});
}

int32_t partition_for_group(const std::string& group_id, int32_t partition_count) {
  // Java's String.hashCode: h = 31 * h + c over UTF-16 code units, wrapping at 32 bits.
  uint32_t h = 0;
  auto add = [&h](uint32_t unit) { h = h * 31u + unit; };
  const auto* s = reinterpret_cast<const unsigned char*>(group_id.data());
  const size_t n = group_id.size();
  for (size_t i = 0; i < n;) {
    uint32_t cp = s[i];
    size_t len = 1;
    if (cp >= 0xF0 && i + 3 < n) {
      cp = ((cp & 0x07u) << 18) | ((s[i + 1] & 0x3Fu) << 12) | ((s[i + 2] & 0x3Fu) << 6) | (s[i + 3] & 0x3Fu);
      len = 4;
    } else if (cp >= 0xE0 && i + 2 < n) {
      cp = ((cp & 0x0Fu) << 12) | ((s[i + 1] & 0x3Fu) << 6) | (s[i + 2] & 0x3Fu);
      len = 3;
    } else if (cp >= 0xC0 && i + 1 < n) {
      cp = ((cp & 0x1Fu) << 6) | (s[i + 1] & 0x3Fu);
      len = 2;
    }
    if (cp > 0xFFFF) {
      cp -= 0x10000;
      add(0xD800u + (cp >> 10));
      add(0xDC00u + (cp & 0x3FFu));
    } else {
      add(cp);
    }
    i += len;
  }
  const auto hash = static_cast<int32_t>(h);
  const int32_t positive = hash == INT32_MIN ? 0 : (hash < 0 ? -hash : hash);
  return positive % partition_count;
}

}  // namespace gregor::group
