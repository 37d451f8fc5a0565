// The records of __consumer_offsets, as Kafka's group coordinator writes them: the key and the
// value each start with an int16 version naming their schema (group-coordinator/*.json):
//
//   key version 0, 1   OffsetCommitKey     group, topic, partition  -> OffsetCommitValue
//   key version 2      GroupMetadataKey    group                    -> GroupMetadataValue
//   key version 3+     the consumer groups of KIP-848 (ConsumerGroup*Key), read as "other"
//
// A null value is a tombstone: the offset, or the whole group, is gone. Values are written in
// the versions Kafka writes (OffsetCommitValue 3, or 1 with an expire timestamp; GroupMetadata-
// Value 3), so that Kafka's tools read Gregor's log, and any version Kafka writes is read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "common/bytes.h"
#include "common/result.h"
#include "protocol/generated/group_coordinator/group_metadata_value.h"
#include "protocol/generated/group_coordinator/offset_commit_value.h"

namespace gregor::group {

// One record to append to (or read from) an offsets partition.
struct Record {
  Bytes key;
  std::optional<Bytes> value;  // nullopt: a tombstone
};

struct OffsetCommitRecord {
  std::string group;
  std::string topic;
  int32_t partition = 0;
  std::optional<protocol::OffsetCommitValue> value;  // nullopt: deleted
};

struct GroupMetadataRecord {
  std::string group;
  std::optional<protocol::GroupMetadataValue> value;  // nullopt: the group was deleted
};

// A record this coordinator does not keep (yet): its key version.
struct OtherRecord {
  int16_t key_version = 0;
};

using DecodedRecord = std::variant<OffsetCommitRecord, GroupMetadataRecord, OtherRecord>;

Record offset_commit_record(const std::string& group, const std::string& topic, int32_t partition,
                            const std::optional<protocol::OffsetCommitValue>& value);
Record group_metadata_record(const std::string& group, const std::optional<protocol::GroupMetadataValue>& value);

// Reads a record's key and value; an error names what does not parse.
Result<DecodedRecord> decode_record(BytesView key, std::optional<BytesView> value);

// The __consumer_offsets partition of a group: Kafka's Utils.abs(groupId.hashCode()) % count,
// with Java's String.hashCode over the UTF-16 code units of the id.
int32_t partition_for_group(const std::string& group_id, int32_t partition_count);

}  // namespace gregor::group
