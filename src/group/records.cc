#include "group/records.h"

#include "protocol/generated/group_coordinator/consumer_group_current_member_assignment_key.h"
#include "protocol/generated/group_coordinator/consumer_group_member_metadata_key.h"
#include "protocol/generated/group_coordinator/consumer_group_metadata_key.h"
#include "protocol/generated/group_coordinator/consumer_group_partition_metadata_key.h"
#include "protocol/generated/group_coordinator/consumer_group_target_assignment_member_key.h"
#include "protocol/generated/group_coordinator/consumer_group_target_assignment_metadata_key.h"
#include "protocol/generated/group_coordinator/group_metadata_key.h"
#include "protocol/generated/group_coordinator/offset_commit_key.h"
#include "protocol/message_support.h"
#include "record/record_batch.h"

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

using CgKind = ConsumerGroupRecord::Kind;

// A record's fields around its key and value, each at its widest: the length (varint, 5), the
// attributes (1), the timestamp delta (varlong, 10), the offset delta (5), the key and value
// lengths (5 each) and the header count (5).
constexpr size_t kRecordOverhead = 5 + 1 + 10 + 5 + 5 + 5 + 5;

// A consumer group key: the group, and for member records the member.
template <typename Key>
Bytes consumer_group_key(const ConsumerGroupRecord& r) {
  Key key;
  key.group_id = r.group;
  if constexpr (requires { key.member_id; }) key.member_id = r.member;
  return versioned(key, static_cast<int16_t>(r.kind));
}

template <typename Key, typename Value>
Result<ConsumerGroupRecord> read_consumer_group_record(CgKind kind, BytesView key, std::optional<BytesView> value,
                                                       const char* what) {
  auto k = protocol::decode_message<Key>(key.subview(2, key.size() - 2), static_cast<int16_t>(kind),
                                         protocol::TrailingBytes::reject, 2);
  if (!k.ok()) return k.error();
  ConsumerGroupRecord out;
  out.kind = kind;
  out.group = k->group_id;
  if constexpr (requires { k->member_id; }) out.member = k->member_id;
  if (value) {
    auto v = read_versioned<Value>(*value, what);
    if (!v.ok()) return v.error();
    out.value = std::move(*v);
  }
  return out;
}

}  // namespace

Record consumer_group_record(const ConsumerGroupRecord& r) {
  Record out;
  switch (r.kind) {
    case CgKind::metadata: out.key = consumer_group_key<protocol::ConsumerGroupMetadataKey>(r); break;
    case CgKind::partition_metadata: out.key = consumer_group_key<protocol::ConsumerGroupPartitionMetadataKey>(r); break;
    case CgKind::member_metadata: out.key = consumer_group_key<protocol::ConsumerGroupMemberMetadataKey>(r); break;
    case CgKind::target_assignment_metadata:
      out.key = consumer_group_key<protocol::ConsumerGroupTargetAssignmentMetadataKey>(r);
      break;
    case CgKind::target_assignment_member:
      out.key = consumer_group_key<protocol::ConsumerGroupTargetAssignmentMemberKey>(r);
      break;
    case CgKind::current_member_assignment:
      out.key = consumer_group_key<protocol::ConsumerGroupCurrentMemberAssignmentKey>(r);
      break;
  }
  // Every value is written as version 0, the only one there is.
  std::visit(
      [&out](const auto& v) {
        if constexpr (!std::is_same_v<std::decay_t<decltype(v)>, std::monostate>) out.value = versioned(v, 0);
      },
      r.value);
  return out;
}

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

namespace {

Result<DecodedRecord> wrap(Result<ConsumerGroupRecord> r) {
  if (!r.ok()) return r.error();
  return DecodedRecord(std::move(*r));
}

}  // namespace

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
  switch (static_cast<CgKind>(key_version)) {
    case CgKind::metadata:
      return wrap(read_consumer_group_record<protocol::ConsumerGroupMetadataKey, protocol::ConsumerGroupMetadataValue>(
          CgKind::metadata, key, value, "ConsumerGroupMetadataValue"));
    case CgKind::partition_metadata:
      return wrap(read_consumer_group_record<protocol::ConsumerGroupPartitionMetadataKey,
                                             protocol::ConsumerGroupPartitionMetadataValue>(
          CgKind::partition_metadata, key, value, "ConsumerGroupPartitionMetadataValue"));
    case CgKind::member_metadata:
      return wrap(read_consumer_group_record<protocol::ConsumerGroupMemberMetadataKey,
                                             protocol::ConsumerGroupMemberMetadataValue>(
          CgKind::member_metadata, key, value, "ConsumerGroupMemberMetadataValue"));
    case CgKind::target_assignment_metadata:
      return wrap(read_consumer_group_record<protocol::ConsumerGroupTargetAssignmentMetadataKey,
                                             protocol::ConsumerGroupTargetAssignmentMetadataValue>(
          CgKind::target_assignment_metadata, key, value, "ConsumerGroupTargetAssignmentMetadataValue"));
    case CgKind::target_assignment_member:
      return wrap(read_consumer_group_record<protocol::ConsumerGroupTargetAssignmentMemberKey,
                                             protocol::ConsumerGroupTargetAssignmentMemberValue>(
          CgKind::target_assignment_member, key, value, "ConsumerGroupTargetAssignmentMemberValue"));
    case CgKind::current_member_assignment:
      return wrap(read_consumer_group_record<protocol::ConsumerGroupCurrentMemberAssignmentKey,
                                             protocol::ConsumerGroupCurrentMemberAssignmentValue>(
          CgKind::current_member_assignment, key, value, "ConsumerGroupCurrentMemberAssignmentValue"));
  }
  if (key_version < 0) return DecodeError{0, "key", "negative key version " + std::to_string(key_version)};
  return DecodedRecord(OtherRecord{key_version});
}

size_t record_bytes(const Record& record) {
  return kRecordOverhead + record.key.size() + (record.value ? record.value->size() : 0);
}

size_t batch_bytes(const std::vector<Record>& records) {
  size_t total = record::v2::kHeaderSize;
  for (const Record& r : records) total += record_bytes(r);
  return total;
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
